"""Portal access use cases: lock, unlock, deactivate, hide (CSR console) and login (portal).

Each change re-reads the customer and decides again on a version conflict (a failed login bumping the
count must not turn a CSR's lock into a 409); after `WRITE_ATTEMPTS` conflicting writes it gives up with
409 `concurrent_change`, having written nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from csr import clock
from csr.auth import Caller, Role, require_role
from csr.data import activity, deactivations, payments
from csr.data import customers as customer_store
from csr.data.dynamo import Transaction
from csr.data.errors import ConditionFailed
from csr.errors import ConflictError, DependencyUnavailableError, LockedError, UnauthorizedError
from csr.models.access import (
    DeactivateRequest,
    DeactivateResponse,
    LockRequest,
    LoginRequest,
    LoginResponse,
    PortalStatusResponse,
)
from csr.models.activity import ActivityEntry, ActivityType, Actor
from csr.models.customers import OPEN_PAYMENT_STATUSES, Customer, LockReason, Payment, PaymentStatus, PortalState
from csr.observability import logger
from csr.passwords import verify_password
from csr.rules import portal
from csr.rules.portal import LoginOutcome, Refusal, Transition
from csr.services.customer_changes import entry, load_customer, retry_on_conflict, save

SUPERVISOR_ONLY = frozenset({Role.CSR_SUPERVISOR})


def _refused(refusal: Refusal) -> ConflictError:
    return ConflictError(refusal.message, code=refusal.code)


def _change_status(
    caller: Caller,
    customer_id: str,
    route: Transition,
    make_entries: Callable[[Customer, datetime], list[ActivityEntry]],
    reason: LockReason | None = None,
    note: str | None = None,
) -> PortalStatusResponse:
    def attempt() -> PortalStatusResponse:
        before = load_customer(caller, customer_id).customer
        moment = clock.now()
        portal_state = portal.transition(before.portal, route, clock.iso(moment), reason, note)
        if isinstance(portal_state, Refusal):
            raise _refused(portal_state)
        after = before.model_copy(update={"portal": portal_state})
        save(caller, before, after, make_entries(before, moment), moment)
        return PortalStatusResponse(portal_status=portal_state.status)

    return retry_on_conflict(attempt)


def lock(caller: Caller, customer_id: str, request: LockRequest) -> PortalStatusResponse:
    def entries(before: Customer, moment: datetime) -> list[ActivityEntry]:
        return [
            entry(
                moment,
                ActivityType.ACCOUNT_LOCKED,
                Actor.csr(caller.sub, caller.email),
                "Portal access locked by a CSR",
                reason=request.reason,
                note=request.note,
            )
        ]

    return _change_status(
        caller, customer_id, Transition.LOCK, entries, LockReason(request.reason), request.note or None
    )


def unlock(caller: Caller, customer_id: str) -> PortalStatusResponse:
    def entries(before: Customer, moment: datetime) -> list[ActivityEntry]:
        return [
            entry(
                moment,
                ActivityType.ACCOUNT_UNLOCKED,
                Actor.csr(caller.sub, caller.email),
                "Portal access unlocked",
                previous_status=before.portal.status,
                previous_lock_reason=before.portal.lock_reason,
                cleared_failed_logins=before.portal.failed_login_count,
            )
        ]

    return _change_status(caller, customer_id, Transition.UNLOCK, entries)


def hide(caller: Caller, customer_id: str) -> PortalStatusResponse:
    require_role(caller, SUPERVISOR_ONLY)

    def entries(before: Customer, moment: datetime) -> list[ActivityEntry]:
        return [
            entry(
                moment,
                ActivityType.ACCOUNT_HIDDEN,
                Actor.csr(caller.sub, caller.email),
                "Portal account hidden from search",
                previous_status=before.portal.status,
            )
        ]

    return _change_status(caller, customer_id, Transition.HIDE, entries)


# Payments cancelled per part of a deactivation. A part holds each cancellation and its entry (2 items a
# payment), the log's monthly counter and the marker; the first part also holds the status change (the
# profile and two credential deletes) and its `account_deactivated` entry: 2 x 40 + 6 = 86 of 100 items.
CANCELLATIONS_PER_PART = 40
# Time kept in hand before another part: the part's transaction (with its retries on a concurrent change)
# and the answer take well under this, so the request answers rather than being killed by its timeout.
PART_MARGIN_MS = 3_000


def deactivate(
    caller: Caller,
    customer_id: str,
    request: DeactivateRequest,
    remaining_ms: Callable[[], int] | None = None,
) -> DeactivateResponse:
    """Deactivate and cancel every open payment. Up to CANCELLATIONS_PER_PART payments this is one
    transaction; beyond, the first part changes the status and marks the deactivation in progress, and the
    other parts are written before the answer while `remaining_ms()` leaves time for one more (else 503,
    the marker left for the next attempt). A deactivation found cut short is finished."""

    def start() -> _Parts | list[Payment] | None:
        partition = load_customer(caller, customer_id)
        if partition.deactivation is not None:
            return None
        before = partition.customer
        moment = clock.now()
        portal_state = portal.transition(before.portal, Transition.DEACTIVATE, clock.iso(moment))
        if isinstance(portal_state, Refusal):
            raise _refused(portal_state)
        open_payments = payments.payments(caller.tenant_id, customer_id, OPEN_PAYMENT_STATUSES)
        if open_payments and not request.acknowledge_pending_payments:
            raise ConflictError(
                "The customer has scheduled or pending payments; acknowledge them to cancel them and deactivate.",
                code="payments_pending",
                payments=[payment.model_dump(mode="json") for payment in open_payments],
            )
        return _start_deactivation(caller, before, portal_state, open_payments, moment)

    started = retry_on_conflict(start)
    if isinstance(started, list):
        return DeactivateResponse(cancelled_payments=started)
    parts = started or _Parts.read(caller.tenant_id, customer_id)
    cancelled = _write_parts(parts, remaining_ms) if parts else []
    now_state = load_customer(caller, customer_id).customer.portal
    if not isinstance(portal.transition(now_state, Transition.DEACTIVATE, clock.iso(clock.now())), Refusal):
        # The unfinished deactivation was undone (unlocked) before this one: this one starts afresh.
        return deactivate(caller, customer_id, request, remaining_ms)
    return DeactivateResponse(cancelled_payments=cancelled)


@dataclass
class _Parts:
    """A deactivation in parts as one run knows it: the payments as last read (by date), the open ones
    among them still to cancel from `next_index` on, and the ids cancelled so far. Read once; read again
    only when a part loses a race (billing moved a payment on, another run wrote that part)."""

    tenant_id: str
    customer_id: str
    actor: Actor  # the deactivating CSR: every part's entries are in that CSR's name
    known: list[Payment]
    left: list[Payment]
    cancelled: set[str] = field(default_factory=set)
    next_index: int = 0

    @classmethod
    def read(cls, tenant_id: str, customer_id: str) -> _Parts | None:
        """The deactivation in progress, None if there is none (or no longer)."""
        found = customer_store.load(tenant_id, customer_id)
        marker = found.deactivation if found else None
        if marker is None:
            return None
        known = payments.payments(tenant_id, customer_id)
        left = [p for p in known if p.status in OPEN_PAYMENT_STATUSES]
        return cls(tenant_id, customer_id, marker.actor, known, left, set(marker.cancelled))

    def next_part(self) -> list[Payment]:
        return self.left[self.next_index : self.next_index + CANCELLATIONS_PER_PART]

    def remaining(self) -> int:
        return len(self.left) - self.next_index

    def answer(self) -> list[Payment]:
        return [_cancelled(p) for p in self.known if p.payment_id in self.cancelled]


def _start_deactivation(
    caller: Caller, before: Customer, portal_state: PortalState, open_payments: list[Payment], moment: datetime
) -> _Parts | list[Payment]:
    """The first (or only) part: the status change, its entry and the first cancellations, each only if the
    payment is still open. Returns the cancelled payments if nothing is left, else the parts to write."""
    first, rest = open_payments[:CANCELLATIONS_PER_PART], open_payments[CANCELLATIONS_PER_PART:]
    actor = Actor.csr(caller.sub, caller.email)
    tx = Transaction()
    for payment in first:
        payments.add_cancellation(tx, caller.tenant_id, before.customer_id, payment)
    if rest:
        deactivations.add_start(tx, caller.tenant_id, before.customer_id, moment, actor, [p.payment_id for p in first])
    deactivated = entry(
        moment,
        ActivityType.ACCOUNT_DEACTIVATED,
        actor,
        "Portal account deactivated",
        previous_status=before.portal.status,
        payments_to_cancel=len(open_payments),
    )
    entries = [deactivated, *_cancellation_entries(first, actor, moment)]
    save(caller, before, before.model_copy(update={"portal": portal_state}), entries, moment, tx)
    if not rest:
        return [_cancelled(p) for p in first]
    cancelled = {p.payment_id for p in first}
    return _Parts(caller.tenant_id, before.customer_id, actor, open_payments, open_payments, cancelled, len(first))


def finish_deactivation(tenant_id: str, customer_id: str) -> list[Payment]:
    """Write the remaining parts of a deactivation in progress (the cleanup job, for one found by
    `data.deactivations.interrupted_deactivations`). Safe to run twice at once. Returns every payment the
    deactivation cancelled, by date; [] if none was in progress."""
    parts = _Parts.read(tenant_id, customer_id)
    return _write_parts(parts, None) if parts else []


def _write_parts(parts: _Parts, remaining_ms: Callable[[], int] | None) -> list[Payment]:
    """Cancel the open payments a part at a time, each part with its `payment_cancelled` entries and each
    cancellation conditional on the payment being still open; the last part deletes the marker. Before
    each part, stops with 503 if `remaining_ms()` leaves less than PART_MARGIN_MS (the marker stays)."""
    tenant_id, customer_id = parts.tenant_id, parts.customer_id
    current = parts
    stale = False

    def write_part() -> bool:
        nonlocal current, stale
        if remaining_ms is not None and remaining_ms() < PART_MARGIN_MS:
            raise _unfinished(current)
        if stale:
            stale = False
            fresh = _Parts.read(tenant_id, customer_id)
            if fresh is None:
                return True  # another run finished it meanwhile
            fresh.cancelled |= current.cancelled
            current = fresh
        part = current.next_part()
        last = len(part) == current.remaining()
        moment = clock.now()
        tx = Transaction()
        for payment in part:
            payments.add_cancellation(tx, tenant_id, customer_id, payment)
        if last:
            deactivations.add_finish(tx, tenant_id, customer_id)
        else:
            deactivations.add_progress(tx, tenant_id, customer_id, [p.payment_id for p in part])
        entries = _cancellation_entries(part, current.actor, moment)
        activity.record(tx, tenant_id, customer_id, entries, moment)
        try:
            tx.commit()
        except ConditionFailed:
            stale = True
            raise
        current.cancelled.update(p.payment_id for p in part)
        current.next_index += len(part)
        return last

    while not retry_on_conflict(write_part):
        pass
    return current.answer()


def _unfinished(parts: _Parts) -> DependencyUnavailableError:
    """Out of time between parts: everything written so far is consistent and the marker stays, so the
    CSR's retry (or the cleanup job) finishes it; retrying is safe."""
    logger.info(
        "deactivation stopped for time",
        extra={"customer_id": parts.customer_id, "cancelled": len(parts.cancelled), "remaining": parts.remaining()},
    )
    return DependencyUnavailableError(
        "The deactivation is not finished yet ({remaining} payments still to cancel); send it again to finish it.",
        cancelled=len(parts.cancelled),
        remaining=parts.remaining(),
    )


def _cancelled(payment: Payment) -> Payment:
    return payment.model_copy(update={"status": PaymentStatus.CANCELLED})


def _cancellation_entries(cancelled: list[Payment], actor: Actor, moment: datetime) -> list[ActivityEntry]:
    return [
        entry(
            moment,
            ActivityType.PAYMENT_CANCELLED,
            actor,
            "Payment cancelled on deactivation",
            payment_id=p.payment_id,
            account_number=p.account_number,
            amount=str(p.amount),
            currency=p.currency,
            scheduled_for=p.scheduled_for,
        )
        for p in cancelled
    ]


# --- portal login -------------------------------------------------------------------------------


def invalid_credentials() -> UnauthorizedError:
    return UnauthorizedError("The email or password is incorrect.", code="invalid_credentials")


def log_in(caller: Caller, request: LoginRequest) -> LoginResponse:
    """One answer (401) for unknown email, unenrolled, no password yet and wrong password; 423 for a locked
    account whatever the password, which is then never checked and only its `login_failed` entry written.
    Every path hashes once (the password or a decoy), so timing tells none of them apart either."""
    customer_id = customer_store.customer_id_by_email(caller.tenant_id, request.email)
    found = customer_store.load(caller.tenant_id, customer_id) if customer_id else None
    customer = found.customer if found and found.customer.portal.enrolled else None
    checked_hash = _hash_to_check(customer)
    password_ok = verify_password(request.password, checked_hash)
    if customer is None:
        raise invalid_credentials()
    known_id = customer.customer_id
    fresh: Customer | None = customer  # the first attempt decides on what was just read

    def attempt() -> LoginOutcome:
        nonlocal checked_hash, password_ok, fresh
        before = fresh or load_customer(caller, known_id).customer
        fresh = None
        if _hash_to_check(before) != checked_hash:  # the password was reset, or the account unlocked, meanwhile
            checked_hash = _hash_to_check(before)
            password_ok = verify_password(request.password, checked_hash)
        moment = clock.now()
        result = portal.attempt_login(before.portal, password_ok, clock.iso(moment))
        if result.outcome is LoginOutcome.ACCOUNT_LOCKED:
            # Recorded, and nothing else written: the profile (its version) stays as it was, so a flood of
            # guesses at a locked account never pushes a CSR's unlock or hide into 409 `concurrent_change`.
            tx = Transaction()
            activity.record(tx, caller.tenant_id, known_id, _login_entries(before, result, moment), moment)
            tx.commit()
        elif result.outcome is not LoginOutcome.NOT_ENROLLED:
            after = before.model_copy(update={"portal": result.state})
            save(caller, before, after, _login_entries(before, result, moment), moment)
        return result.outcome

    outcome = retry_on_conflict(attempt)
    if outcome is LoginOutcome.SUCCEEDED:
        return LoginResponse(customer_id=known_id)
    if outcome is LoginOutcome.ACCOUNT_LOCKED:
        raise LockedError("This portal account is locked; contact customer service.")
    raise invalid_credentials()


def _hash_to_check(customer: Customer | None) -> str | None:
    """The stored hash a login compares against; None (a decoy is hashed) where the password is not checked."""
    return customer.password_hash if customer and portal.checks_password(customer.portal) else None


def _login_entries(before: Customer, result: portal.LoginAttempt, moment: datetime) -> list[ActivityEntry]:
    customer = Actor.customer(before.customer_id)
    if result.outcome is LoginOutcome.SUCCEEDED:
        return [entry(moment, ActivityType.LOGIN_SUCCEEDED, customer, "Portal login")]
    if result.outcome is LoginOutcome.ACCOUNT_LOCKED:
        return [
            entry(
                moment,
                ActivityType.LOGIN_FAILED,
                customer,
                "Portal login refused: account locked",
                reason="account_locked",
                portal_status=before.portal.status,
            )
        ]
    reason = "wrong_password" if before.password_hash else "no_password_set"
    entries = [
        entry(
            moment,
            ActivityType.LOGIN_FAILED,
            customer,
            "Portal login failed",
            reason=reason,
            failed_login_count=result.state.failed_login_count,
        )
    ]
    if result.locked_now:
        entries.append(
            entry(
                moment,
                ActivityType.ACCOUNT_LOCKED,
                Actor.system(),
                f"Portal access locked after {portal.MAX_FAILED_LOGINS} failed logins",
                reason=LockReason.FAILED_LOGINS,
                failed_login_count=result.state.failed_login_count,
            )
        )
    return entries
