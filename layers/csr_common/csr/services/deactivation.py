"""Deactivation (the permanent lock): the status change and the cancellation of every open payment,
written in parts when there are more than one transaction holds (API.md), finished by the next attempt or
the cleanup job when cut short."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from csr import clock
from csr.auth import Caller
from csr.data import activity, deactivations, payments
from csr.data import customers as customer_store
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction
from csr.data.errors import ConditionFailed
from csr.errors import ConcurrentChangeError, ConflictError, DependencyUnavailableError
from csr.i18n import NP_
from csr.models.access import DeactivateRequest, DeactivateResponse
from csr.models.activity import ActivityRecord, ActivityType, Actor
from csr.models.customers import OPEN_PAYMENT_STATUSES, Payment, PaymentStatus, PortalState
from csr.observability import logger
from csr.rules import portal
from csr.rules.portal import Refusal, Transition
from csr.services.customer_changes import WRITE_ATTEMPTS, entry, load_customer, retry_on_conflict, save
from csr.services.portal_status import StatusChange

# Payments cancelled per part of a deactivation. A part holds each cancellation and its entry (2 items a
# payment), the log's monthly counter and the marker; the first part also holds the status change (the
# profile and two credential deletes), its `account_deactivated` entry and up to two entries for the
# credentials it voids: 2 x 40 + 8 = 88 of 100 items.
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
    the marker left for the next attempt). A deactivation found cut short is finished; one found undone
    meanwhile (unlocked before it was finished) is started afresh."""
    change = StatusChange(caller, customer_id, Transition.DEACTIVATE)
    for _ in range(WRITE_ATTEMPTS):
        started = retry_on_conflict(lambda: _start(change, request))
        if isinstance(started, list):
            return DeactivateResponse(cancelled_payments=started)
        parts = started or _Parts.read(caller.tenant_id, customer_id)
        cancelled = _write_parts(parts, remaining_ms) if parts else []
        now_state = load_customer(caller, customer_id).customer.portal
        if isinstance(portal.transition(now_state, Transition.DEACTIVATE, clock.iso(clock.now())), Refusal):
            return DeactivateResponse(cancelled_payments=cancelled)
    raise ConcurrentChangeError()


def _start(change: StatusChange, request: DeactivateRequest) -> _Parts | list[Payment] | None:
    """The first part, or None when a deactivation is already in progress (its parts are then finished)."""
    found = load_customer(change.caller, change.customer_id)
    if found.deactivation is not None:
        return None
    moment = clock.now()
    state = change.new_state(found, moment)
    open_payments = payments.payments(change.caller.tenant_id, change.customer_id, OPEN_PAYMENT_STATUSES)
    if open_payments and not request.acknowledge_pending_payments:
        raise ConflictError(
            "The customer has scheduled or pending payments; acknowledge them to cancel them and deactivate.",
            code="payments_pending",
            payments=[payment.model_dump(mode="json") for payment in open_payments],
        )
    return _start_deactivation(change, found, state, open_payments, moment)


@dataclass
class _Parts:
    """A deactivation in parts as one run knows it: the payments as last read (by date), the open ones
    among them still to cancel from `next_index` on, and the ids cancelled so far. Read once; read again
    (`refresh`) only when a part loses a race (billing moved a payment on, another run wrote that part)."""

    tenant_id: str
    customer_id: str
    actor: Actor  # the deactivating CSR: every part's entries are in that CSR's name
    known: list[Payment]
    left: list[Payment]
    cancelled: set[str] = field(default_factory=set)
    next_index: int = 0
    stale: bool = False

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

    def refresh(self) -> bool:
        """Read the deactivation again after a lost race, keeping what this run cancelled; False if another
        run finished it meanwhile."""
        fresh = _Parts.read(self.tenant_id, self.customer_id)
        if fresh is None:
            return False
        self.known, self.left, self.next_index = fresh.known, fresh.left, 0
        self.cancelled |= fresh.cancelled
        self.stale = False
        return True

    def next_part(self) -> list[Payment]:
        return self.left[self.next_index : self.next_index + CANCELLATIONS_PER_PART]

    def remaining(self) -> int:
        return len(self.left) - self.next_index

    def answer(self) -> list[Payment]:
        return [_cancelled(p) for p in self.known if p.payment_id in self.cancelled]

    def write_next(self, remaining_ms: Callable[[], int] | None) -> bool:
        """Write the next part; True once the deactivation is finished. Before the part, 503 if
        `remaining_ms()` leaves less than PART_MARGIN_MS (the marker stays)."""
        if remaining_ms is not None and remaining_ms() < PART_MARGIN_MS:
            raise _unfinished(self)
        if self.stale and not self.refresh():
            return True  # another run finished it meanwhile
        part = self.next_part()
        last = len(part) == self.remaining()
        moment = clock.now()
        tx = Transaction()
        for payment in part:
            payments.add_cancellation(tx, self.tenant_id, self.customer_id, payment)
        if last:
            deactivations.add_finish(tx, self.tenant_id, self.customer_id)
        else:
            deactivations.add_progress(tx, self.tenant_id, self.customer_id, [p.payment_id for p in part])
        activity.record(tx, self.tenant_id, self.customer_id, _cancellation_entries(part, self.actor, moment), moment)
        try:
            tx.commit()
        except ConditionFailed:
            self.stale = True
            raise
        self.cancelled.update(p.payment_id for p in part)
        self.next_index += len(part)
        return last


def _start_deactivation(
    change: StatusChange,
    found: CustomerPartition,
    portal_state: PortalState,
    open_payments: list[Payment],
    moment: datetime,
) -> _Parts | list[Payment]:
    """The first (or only) part: the status change, its entries and the first cancellations, each only if
    the payment is still open. Returns the cancelled payments if nothing is left, else the parts to write."""
    caller, before = change.caller, found.customer
    first, rest = open_payments[:CANCELLATIONS_PER_PART], open_payments[CANCELLATIONS_PER_PART:]
    actor = change.actor()
    tx = Transaction()
    for payment in first:
        payments.add_cancellation(tx, caller.tenant_id, before.customer_id, payment)
    if rest:
        deactivations.add_start(tx, caller.tenant_id, before.customer_id, moment, actor, [p.payment_id for p in first])
    own = change.entries(found, portal_state, moment, payments_to_cancel=len(open_payments))
    entries = [*own, *_cancellation_entries(first, actor, moment)]
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
    cancellation conditional on the payment being still open; the last part deletes the marker."""
    while not retry_on_conflict(lambda: parts.write_next(remaining_ms)):
        pass
    return parts.answer()


def _unfinished(parts: _Parts) -> DependencyUnavailableError:
    """Out of time between parts: everything written so far is consistent and the marker stays, so the
    CSR's retry (or the cleanup job) finishes it; retrying is safe."""
    logger.info(
        "deactivation stopped for time",
        extra={"customer_id": parts.customer_id, "cancelled": len(parts.cancelled), "remaining": parts.remaining()},
    )
    return DependencyUnavailableError(
        NP_(
            "The deactivation is not finished yet ({remaining} payment still to cancel); send it again to finish it.",
            "The deactivation is not finished yet ({remaining} payments still to cancel); send it again to finish it.",
            "remaining",
        ),
        cancelled=len(parts.cancelled),
        remaining=parts.remaining(),
    )


def _cancelled(payment: Payment) -> Payment:
    return payment.model_copy(update={"status": PaymentStatus.CANCELLED})


def _cancellation_entries(cancelled: list[Payment], actor: Actor, moment: datetime) -> list[ActivityRecord]:
    return [
        entry(
            moment,
            ActivityType.PAYMENT_CANCELLED,
            actor,
            payment_id=p.payment_id,
            account_number=p.account_number,
            amount=str(p.amount),
            currency=p.currency,
            scheduled_for=p.scheduled_for,
        )
        for p in cancelled
    ]
