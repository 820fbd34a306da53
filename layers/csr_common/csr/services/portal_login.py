"""The customer portal's login: one answer (401) for an unknown email, an unenrolled account, no password
yet and a wrong password; 423 for a locked account whatever the password, which is then never checked and
only its `login_failed` entry written. Every path hashes once (the password or a decoy), so timing tells
none of them apart either."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from csr import clock
from csr.auth import Caller
from csr.data import activity
from csr.data import customers as customer_store
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction
from csr.errors import LockedError, UnauthorizedError
from csr.models.access import LoginRequest, LoginResponse
from csr.models.activity import ActivityRecord, ActivityType, Actor
from csr.models.customers import Customer, LockReason
from csr.passwords import verify_password
from csr.rules import portal
from csr.rules.portal import LoginOutcome
from csr.services.customer_changes import entry, load_customer, retry_on_conflict, save, voided_entries


def invalid_credentials() -> UnauthorizedError:
    return UnauthorizedError("The email or password is incorrect.", code="invalid_credentials")


def log_in(caller: Caller, request: LoginRequest) -> LoginResponse:
    customer_id = customer_store.customer_id_by_email(caller.tenant_id, request.email)
    found = customer_store.load(caller.tenant_id, customer_id) if customer_id else None
    enrolled = found if found and found.customer.portal.enrolled else None
    check = _PasswordCheck.of(request.password, enrolled.customer if enrolled else None)
    if enrolled is None:
        raise invalid_credentials()
    login = _Login(caller, enrolled.customer.customer_id, enrolled, check)
    outcome = retry_on_conflict(login.attempt)
    if outcome is LoginOutcome.SUCCEEDED:
        return LoginResponse(customer_id=enrolled.customer.customer_id)
    if outcome is LoginOutcome.ACCOUNT_LOCKED:
        raise LockedError("This portal account is locked; contact customer service.")
    raise invalid_credentials()


def _hash_to_check(customer: Customer | None) -> str | None:
    """The stored hash a login compares against; None (a decoy is hashed) where the password is not checked."""
    return customer.password_hash if customer and portal.checks_password(customer.portal) else None


@dataclass
class _PasswordCheck:
    """The password offered, the hash it was checked against and the result."""

    password: str
    checked_hash: str | None
    ok: bool

    @classmethod
    def of(cls, password: str, customer: Customer | None) -> _PasswordCheck:
        checked = _hash_to_check(customer)
        return cls(password, checked, verify_password(password, checked))

    def against(self, customer: Customer) -> bool:
        """The result for `customer` as now read: checked again only if its hash changed meanwhile (the
        password was reset, or the account unlocked)."""
        if _hash_to_check(customer) != self.checked_hash:
            renewed = _PasswordCheck.of(self.password, customer)
            self.checked_hash, self.ok = renewed.checked_hash, renewed.ok
        return self.ok


@dataclass
class _Login:
    """One login's read-decide-write, retried on a concurrent change: the first attempt decides on the
    customer read to find the account, a retry reads it again."""

    caller: Caller
    customer_id: str
    fresh: CustomerPartition | None
    check: _PasswordCheck

    def attempt(self) -> LoginOutcome:
        found = self.fresh or load_customer(self.caller, self.customer_id)
        self.fresh = None
        before = found.customer
        moment = clock.now()
        result = portal.attempt_login(before.portal, self.check.against(before), clock.iso(moment))
        if result.outcome is LoginOutcome.ACCOUNT_LOCKED:
            # Recorded, and nothing else written: the profile (its version) stays as it was, so a flood of
            # guesses at a locked account never pushes a CSR's unlock or hide into 409 `concurrent_change`.
            tx = Transaction()
            activity.record(
                tx, self.caller.tenant_id, before.customer_id, _login_entries(found, result, moment), moment
            )
            tx.commit()
        elif result.outcome is not LoginOutcome.NOT_ENROLLED:
            after = before.model_copy(update={"portal": result.state})
            save(self.caller, before, after, _login_entries(found, result, moment), moment)
        return result.outcome


def _login_entries(found: CustomerPartition, result: portal.LoginAttempt, moment: datetime) -> list[ActivityRecord]:
    before = found.customer
    customer = Actor.customer(before.customer_id)
    if result.outcome is LoginOutcome.SUCCEEDED:
        return [entry(moment, ActivityType.LOGIN_SUCCEEDED, customer)]
    if result.outcome is LoginOutcome.ACCOUNT_LOCKED:
        return [
            entry(
                moment, ActivityType.LOGIN_FAILED, customer, reason="account_locked", portal_status=before.portal.status
            )
        ]
    reason = "wrong_password" if before.password_hash else "no_password_set"
    count = result.state.failed_login_count
    entries = [entry(moment, ActivityType.LOGIN_FAILED, customer, reason=reason, failed_login_count=count)]
    if result.locked_now:
        locked = before.model_copy(update={"portal": result.state})
        entries.append(
            entry(
                moment,
                ActivityType.ACCOUNT_LOCKED,
                Actor.system(),
                reason=LockReason.FAILED_LOGINS,
                failed_login_count=count,
            )
        )
        entries.extend(voided_entries(found, locked, moment, Actor.system(), ActivityType.ACCOUNT_LOCKED))
    return entries
