"""Customer use cases: add, read, update, add accounts, payments, impersonation."""

from __future__ import annotations

from datetime import timedelta

from csr import clock
from csr.auth import Caller
from csr.data import activity, customers, payments, sessions
from csr.data.credentials import RecoveryCode
from csr.data.dynamo import Transaction
from csr.errors import ConflictError, NotFoundError, ValidationFailedError, field_error
from csr.ids import new_id, new_token, token_hash
from csr.models.activity import ActivityType, Actor
from csr.models.customers import (
    Account,
    AccountView,
    CreateCustomerRequest,
    Customer,
    CustomerPortalView,
    CustomerView,
    ImpersonatingCsr,
    ImpersonationSession,
    ImpersonationStarted,
    NewAccount,
    Payment,
    PaymentFeed,
    PaymentList,
    PaymentStatus,
    PortalAccount,
    PortalState,
    PortalStatus,
    PortalView,
    RecoveryCodeSummary,
    UpdateCustomerRequest,
)
from csr.rules.expiry import is_live
from csr.services.customer_changes import entry, load_customer, save
from csr.settings import get_settings
from csr.tenants import tenant_settings

IMPERSONATION_TTL = timedelta(minutes=15)


def view(tenant_id: str, customer: Customer, code: RecoveryCode | None) -> CustomerView:
    live_code = code if is_live(code, clock.now()) else None
    portal = customer.portal
    tenant = tenant_settings(tenant_id)
    accounts = [
        AccountView(**account.model_dump(), payment_admin_url=tenant.payment_admin_link(account.account_number))
        for account in customer.accounts
    ]
    return CustomerView(
        **customer.model_dump(
            include={"customer_id", "person_id", "first_name", "last_name", "email", "phone", "language"}
        ),
        created_at=customer.created_at,
        portal=PortalView(**portal.model_dump(), enrolled=portal.enrolled),
        accounts=accounts,
        recovery_code=RecoveryCodeSummary(
            active=live_code is not None, expires_at=live_code.expires_at if live_code else None
        ),
    )


def _account(new: NewAccount) -> Account:
    return Account.model_validate(new.model_dump())


def create_customer(caller: Caller, request: CreateCustomerRequest) -> CustomerView:
    moment = clock.now()
    customer = Customer(
        customer_id=new_id("cus"),
        created_at=clock.iso(moment),
        portal=PortalState(status=PortalStatus.ENROLLED if request.enroll_in_portal else PortalStatus.UNENROLLED),
        **request.model_dump(exclude={"accounts", "enroll_in_portal"}),
        accounts=[_account(account) for account in request.accounts],
    )
    numbers = [account.account_number for account in customer.accounts]
    if len(set(numbers)) != len(numbers):
        raise ValidationFailedError(fields=[field_error("accounts", "Account numbers must be distinct.")])
    created = entry(
        moment,
        ActivityType.CUSTOMER_CREATED,
        Actor.csr(caller.sub, caller.email),
        accounts=numbers,
        portal_status=customer.portal.status,
    )
    stored = save(caller, None, customer, [created], moment)
    return view(caller.tenant_id, stored, None)


def get_customer(caller: Caller, customer_id: str) -> CustomerView:
    found = load_customer(caller, customer_id)
    return view(caller.tenant_id, found.customer, found.recovery_code)


def update_customer(caller: Caller, customer_id: str, request: UpdateCustomerRequest) -> CustomerView:
    if "email" in request.model_fields_set:
        raise ValidationFailedError(
            "The login email cannot be changed here.",
            code="login_id_immutable",
            fields=[field_error("email", "The login email is not changeable.")],
        )
    found = load_customer(caller, customer_id)
    before = found.customer
    accounts = {account.account_number: account for account in before.accounts}
    for change in request.accounts:
        if change.account_number not in accounts:
            raise NotFoundError(
                "No account {account_number} on this customer.",
                code="account_not_found",
                account_number=change.account_number,
            )
        fields = change.model_dump(exclude={"account_number"}, exclude_unset=True)
        accounts[change.account_number] = accounts[change.account_number].model_copy(update=fields)
    profile = request.model_dump(include={"first_name", "last_name", "phone", "language"}, exclude_unset=True)
    after = before.model_copy(update={**profile, "accounts": list(accounts.values())})
    changed = [name for name in profile if getattr(before, name) != getattr(after, name)] + [
        f"accounts.{old.account_number}" for old, new in zip(before.accounts, after.accounts, strict=True) if old != new
    ]
    if not changed:
        return view(caller.tenant_id, before, found.recovery_code)
    moment = clock.now()
    updated = entry(moment, ActivityType.PROFILE_UPDATED, Actor.csr(caller.sub, caller.email), fields=changed)
    return view(caller.tenant_id, save(caller, before, after, [updated], moment), found.recovery_code)


def add_account(caller: Caller, customer_id: str, request: NewAccount) -> CustomerView:
    found = load_customer(caller, customer_id)
    before = found.customer
    if any(account.account_number == request.account_number for account in before.accounts):
        raise ConflictError(
            "Account {account_number} already belongs to a customer.",
            code="account_taken",
            account_number=request.account_number,
        )
    after = before.model_copy(update={"accounts": [*before.accounts, _account(request)]})
    moment = clock.now()
    added = entry(
        moment,
        ActivityType.ACCOUNT_ADDED,
        Actor.csr(caller.sub, caller.email),
        account_number=request.account_number,
    )
    stored = save(caller, before, after, [added], moment)
    return view(caller.tenant_id, stored, found.recovery_code)


def list_payments(caller: Caller, customer_id: str, statuses: frozenset[PaymentStatus] | None) -> PaymentList:
    load_customer(caller, customer_id)
    return PaymentList(items=payments.payments(caller.tenant_id, customer_id, statuses))


def upsert_payment(caller: Caller, payment_id: str, feed: PaymentFeed) -> Payment:
    customer_id = customers.customer_id_by_account(caller.tenant_id, feed.account_number)
    if customer_id is None:
        raise NotFoundError(
            "No account {account_number}.", code="account_not_found", account_number=feed.account_number
        )
    payment = Payment(payment_id=payment_id, **feed.model_dump())
    tx = Transaction()
    # Billing may have moved the payment to an account of another customer: it leaves the old one.
    payments.add_payment_write(
        tx, caller.tenant_id, customer_id, payment, payments.holder(caller.tenant_id, payment_id)
    )
    tx.commit()
    return payment


def start_impersonation(caller: Caller, customer_id: str) -> ImpersonationStarted:
    found = load_customer(caller, customer_id)
    if not found.customer.portal.enrolled:
        raise ConflictError("This customer has no portal account to impersonate.", code="not_enrolled")
    token = new_token()
    moment = clock.now()
    expires = moment + IMPERSONATION_TTL
    tx = Transaction()
    sessions.add_session(tx, caller.tenant_id, token_hash(token), customer_id, caller.sub, caller.email, expires)
    started = entry(
        moment,
        ActivityType.IMPERSONATION_STARTED,
        Actor.csr(caller.sub, caller.email),
        expires_at=clock.iso(expires),
    )
    activity.record(tx, caller.tenant_id, customer_id, [started], moment)
    tx.commit()
    portal_url = f"{get_settings().portal_base_url}/impersonate?session={token}"
    return ImpersonationStarted(session_token=token, expires_at=clock.iso(expires), portal_url=portal_url)


def check_impersonation(caller: Caller, session_token: str) -> ImpersonationSession:
    stored = sessions.session(caller.tenant_id, token_hash(session_token))
    found = customers.load(caller.tenant_id, stored.customer_id) if stored else None
    if stored is None or found is None or not is_live(stored, clock.now()):
        raise NotFoundError("No such impersonation session, or it has expired.")
    customer = found.customer
    view = CustomerPortalView(
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        language=customer.language,
        accounts=[PortalAccount.model_validate(account.model_dump()) for account in customer.accounts],
        payments=payments.payments(caller.tenant_id, customer.customer_id),
    )
    return ImpersonationSession(
        customer_id=stored.customer_id,
        expires_at=stored.expires_at,
        csr=ImpersonatingCsr(id=stored.csr_id, email=stored.csr_email),
        view=view,
    )
