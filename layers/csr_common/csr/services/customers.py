"""Customer use cases: add, read, update, add accounts, payments, impersonation."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from csr import clock
from csr.auth import Caller
from csr.data import activity, customers, keys
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction, call, is_live, query_all, table
from csr.errors import ConflictError, NotFoundError, ValidationFailedError, customer_not_found
from csr.ids import new_id, new_token, token_hash
from csr.models.activity import ActivityEntry, ActivityType, Actor
from csr.models.customers import (
    Account,
    CreateCustomerRequest,
    Customer,
    CustomerView,
    ImpersonatingCsr,
    ImpersonationSession,
    ImpersonationStarted,
    NewAccount,
    Payment,
    PaymentFeed,
    PaymentList,
    PaymentStatus,
    PortalState,
    PortalStatus,
    PortalView,
    RecoveryCodeSummary,
    UpdateCustomerRequest,
)
from csr.settings import get_settings

IMPERSONATION_TTL = timedelta(minutes=15)


def csr_actor(caller: Caller) -> Actor:
    return Actor(kind="csr", id=caller.sub)


def entry(moment: datetime, kind: ActivityType, actor: Actor, summary: str, **details: Any) -> ActivityEntry:
    return ActivityEntry(at=clock.iso(moment), type=kind, actor=actor, summary=summary, details=details)


def load_customer(caller: Caller, customer_id: str) -> CustomerPartition:
    found = customers.load(caller.tenant_id, customer_id)
    if found is None:
        raise customer_not_found()
    return found


def save(
    caller: Caller,
    before: Customer | None,
    after: Customer,
    entries: list[ActivityEntry],
    moment: datetime,
    tx: Transaction | None = None,
) -> Customer:
    """Write a customer change and its activity entries in one transaction."""
    tx = tx or Transaction()
    stored = customers.add_customer_write(tx, caller.tenant_id, before, after)
    activity.record(tx, caller.tenant_id, after.customer_id, entries, moment)
    tx.commit()
    return stored


def view(customer: Customer, codes: dict[str, dict[str, Any]]) -> CustomerView:
    stored_code = codes.get(keys.RECOVERY_CODE_SK)
    live_code = stored_code if is_live(stored_code, clock.now()) else None
    portal = customer.portal
    return CustomerView(
        **customer.model_dump(include={"customer_id", "person_id", "first_name", "last_name", "email", "phone"}),
        created_at=customer.created_at,
        portal=PortalView(**portal.model_dump(), enrolled=portal.enrolled),
        accounts=customer.accounts,
        recovery_code=RecoveryCodeSummary(
            active=live_code is not None, expires_at=live_code["expires_at"] if live_code else None
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
        raise ValidationFailedError(fields=[{"field": "accounts", "message": "Account numbers must be distinct."}])
    created = entry(
        moment,
        ActivityType.CUSTOMER_CREATED,
        csr_actor(caller),
        "Customer added",
        accounts=numbers,
        portal_status=customer.portal.status,
    )
    stored = save(caller, None, customer, [created], moment)
    return view(stored, {})


def get_customer(caller: Caller, customer_id: str) -> CustomerView:
    found = load_customer(caller, customer_id)
    return view(found.customer, found.codes)


def update_customer(caller: Caller, customer_id: str, request: UpdateCustomerRequest) -> CustomerView:
    if "email" in request.model_fields_set:
        raise ValidationFailedError(
            "The login email cannot be changed here.",
            code="login_id_immutable",
            fields=[{"field": "email", "message": "The login email is not changeable."}],
        )
    found = load_customer(caller, customer_id)
    before = found.customer
    accounts = {account.account_number: account for account in before.accounts}
    for change in request.accounts:
        if change.account_number not in accounts:
            raise NotFoundError(f"No account {change.account_number} on this customer.", code="account_not_found")
        fields = change.model_dump(exclude={"account_number"}, exclude_unset=True)
        accounts[change.account_number] = accounts[change.account_number].model_copy(update=fields)
    profile = request.model_dump(include={"first_name", "last_name", "phone"}, exclude_unset=True)
    after = before.model_copy(update={**profile, "accounts": list(accounts.values())})
    changed = [name for name in profile if getattr(before, name) != getattr(after, name)] + [
        f"accounts.{old.account_number}" for old, new in zip(before.accounts, after.accounts, strict=True) if old != new
    ]
    if not changed:
        return view(before, found.codes)
    moment = clock.now()
    updated = entry(moment, ActivityType.PROFILE_UPDATED, csr_actor(caller), "Profile updated", fields=changed)
    return view(save(caller, before, after, [updated], moment), found.codes)


def add_account(caller: Caller, customer_id: str, request: NewAccount) -> CustomerView:
    found = load_customer(caller, customer_id)
    before = found.customer
    if any(account.account_number == request.account_number for account in before.accounts):
        raise ConflictError(
            f"Account {request.account_number} already belongs to a customer.",
            code="account_taken",
            account_number=request.account_number,
        )
    after = before.model_copy(update={"accounts": [*before.accounts, _account(request)]})
    moment = clock.now()
    added = entry(
        moment,
        ActivityType.ACCOUNT_ADDED,
        csr_actor(caller),
        "Service account added",
        account_number=request.account_number,
    )
    stored = save(caller, before, after, [added], moment)
    return view(stored, found.codes)


def list_payments(caller: Caller, customer_id: str, statuses: frozenset[PaymentStatus] | None) -> PaymentList:
    load_customer(caller, customer_id)
    return PaymentList(items=payments_of(caller.tenant_id, customer_id, statuses))


def payments_of(tenant_id: str, customer_id: str, statuses: frozenset[PaymentStatus] | None) -> list[Payment]:
    items = query_all(
        KeyConditionExpression=Key("pk").eq(keys.customer_pk(tenant_id, customer_id))
        & Key("sk").begins_with(keys.PAYMENT_SK_PREFIX),
        ConsistentRead=True,
    )
    payments = [Payment.model_validate(item) for item in items]
    chosen = [payment for payment in payments if statuses is None or payment.status in statuses]
    return sorted(chosen, key=lambda payment: (payment.scheduled_for, payment.payment_id))


def upsert_payment(caller: Caller, payment_id: str, feed: PaymentFeed) -> Payment:
    customer_id = customers.customer_id_by_account(caller.tenant_id, feed.account_number)
    if customer_id is None:
        raise NotFoundError(f"No account {feed.account_number}.", code="account_not_found")
    payment = Payment(payment_id=payment_id, **feed.model_dump())
    guard_key = {"pk": keys.payment_guard_pk(caller.tenant_id, payment_id), "sk": keys.UNIQUE_SK}
    previous = call(table().get_item, Key=guard_key, ConsistentRead=True).get("Item")
    tx = Transaction()
    if previous and previous["customer_id"] != customer_id:
        # Billing moved the payment to an account of another customer: it leaves the old one.
        tx.delete(
            {"pk": keys.customer_pk(caller.tenant_id, previous["customer_id"]), "sk": keys.payment_sk(payment_id)}
        )
    tx.put(
        {**guard_key, "customer_id": customer_id},
        condition="attribute_not_exists(pk) OR customer_id = :old",
        values={":old": previous["customer_id"] if previous else customer_id},
    )
    tx.put(
        {
            "pk": keys.customer_pk(caller.tenant_id, customer_id),
            "sk": keys.payment_sk(payment_id),
            **payment.model_dump(mode="python"),
        }
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
    tx.put(
        {
            "pk": keys.session_pk(caller.tenant_id, token_hash(token)),
            "sk": keys.UNIQUE_SK,
            "customer_id": customer_id,
            "csr_id": caller.sub,
            "csr_email": caller.email,
            "expires_at": clock.iso(expires),
            "ttl": clock.epoch(expires),
        }
    )
    started = entry(
        moment,
        ActivityType.IMPERSONATION_STARTED,
        csr_actor(caller),
        "Read-only impersonation started",
        expires_at=clock.iso(expires),
    )
    activity.record(tx, caller.tenant_id, customer_id, [started], moment)
    tx.commit()
    portal_url = f"{get_settings().portal_base_url}/impersonate?session={token}"
    return ImpersonationStarted(session_token=token, expires_at=clock.iso(expires), portal_url=portal_url)


def check_impersonation(caller: Caller, session_token: str) -> ImpersonationSession:
    key = {"pk": keys.session_pk(caller.tenant_id, token_hash(session_token)), "sk": keys.UNIQUE_SK}
    item = call(table().get_item, Key=key, ConsistentRead=True).get("Item")
    if item is None or not is_live(item, clock.now()):
        raise NotFoundError("No such impersonation session, or it has expired.")
    return ImpersonationSession(
        customer_id=item["customer_id"],
        expires_at=item["expires_at"],
        csr=ImpersonatingCsr(id=item["csr_id"], email=item["csr_email"]),
    )
