"""The scheduled cleanup, for every tenant at once, never by a Scan:

- expired reset tokens, recovery codes and impersonation sessions that DynamoDB's TTL has not deleted yet
  leave (found hour by hour in the due index; each deletion conditional on the item being unchanged);
- relationships whose end date has passed take their clients out of their groups (a `system` request);
- deactivations cut short are finished (found by their marker, across tenants), so no payment of a
  permanently locked account stays scheduled;
- process requests pending with no progress for `STUCK_AFTER` are queued again, and after
  `MAX_REQUEUES` such tries with no progress between they end `failed` with a reason a person can read.

Before each step it checks the time left; when it runs short it stops (`finished` false) and the next run
goes on. Whatever it handled is gone from the indexes it reads, so a run right after does nothing more.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from csr import clock
from csr.data import cleanup_mark, expiry, queue
from csr.data import deactivations as deactivation_store
from csr.data import process_requests as request_store
from csr.data.cleanup_mark import CleanupMark
from csr.data.due import Kind
from csr.data.dynamo import Transaction
from csr.data.errors import ConditionFailed
from csr.data.expiry import DueEntry
from csr.data.process_requests import Watch
from csr.models.groups import RequestStatus
from csr.observability import logger
from csr.services import deactivation, group_worker
from csr.services.relationships import take_out_expired

# Time kept in hand: a step is a few DynamoDB calls, or a group request stored and queued.
SAFETY_MARGIN_MS = 10_000
# Where the first run ever starts reading the due index and the end-date index (later runs start at the
# mark the one before left, however far back: csr.data.cleanup_mark).
FIRST_RUN_HOURS_BACK = 48
DUE_PAGE = 100
# A deactivation younger than this may still be written by the request that started it.
DEACTIVATION_GRACE = timedelta(minutes=5)
DEACTIVATION_PAGE = 25
MAX_REQUEUES = 3
STUCK_REASON = (
    "This request made no progress after being queued again several times, so it was stopped; "
    "nothing more will be applied. Please try again."
)
_CREDENTIALS = {
    Kind.RESET_TOKEN: "reset_tokens",
    Kind.RECOVERY_CODE: "recovery_codes",
    Kind.IMPERSONATION_SESSION: "impersonation_sessions",
}


class Deactivations(Protocol):
    """Deactivations written in parts whose last part never came (the lock capability owns them)."""

    def interrupted(self, started_before: datetime, limit: int) -> list[tuple[str, str]]:
        """(tenant_id, customer_id) of deactivations started before `started_before`, oldest first."""

    def finish(self, tenant_id: str, customer_id: str) -> None:
        """Write the remaining parts; safe to run twice at once."""


class LockDeactivations:
    """The lock capability's deactivations in parts: markers found across tenants, finished by its service."""

    def interrupted(self, started_before: datetime, limit: int) -> list[tuple[str, str]]:
        found = deactivation_store.interrupted_deactivations(started_before, limit)
        return [(marker.tenant_id, marker.customer_id) for marker in found]

    def finish(self, tenant_id: str, customer_id: str) -> None:
        deactivation.finish_deactivation(tenant_id, customer_id)


@dataclass
class Report:
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_CREDENTIALS.values(), 0))
    relationships_expired: int = 0
    deactivations_finished: int = 0
    requests_requeued: int = 0
    requests_failed: int = 0
    finished: bool = False

    def answer(self) -> dict[str, object]:
        """What the run did, in API.md's shape (`POST /_local/jobs/cleanup`)."""
        return {
            "deleted": dict(self.deleted),
            "relationships_expired": self.relationships_expired,
            "deactivations_finished": self.deactivations_finished,
            "requests_requeued": self.requests_requeued,
            "requests_failed": self.requests_failed,
            "finished": self.finished,
        }

    def counts(self) -> dict[str, int]:
        """Every count by name, for metrics."""
        named = {f"{name}_deleted": count for name, count in self.deleted.items()}
        return {
            **named,
            "relationships_expired": self.relationships_expired,
            "deactivations_finished": self.deactivations_finished,
            "requests_requeued": self.requests_requeued,
            "requests_failed": self.requests_failed,
        }


def run(remaining_ms: Callable[[], int], deactivations: Deactivations | None) -> Report:
    """One run at `clock.now()`, from where the last run got (oldest first) until done or `remaining_ms()`
    runs short of the margin; it then records how far it got."""
    moment = clock.now()
    report = Report()

    def keep_going() -> bool:
        return remaining_ms() > SAFETY_MARGIN_MS

    first = moment - timedelta(hours=FIRST_RUN_HOURS_BACK)
    mark = (cleanup_mark.load() or CleanupMark(cleanup_mark.hour_of(first), first.date())).no_later_than(moment)
    due_hour = _due(mark.due_hour, moment, report, keep_going)
    report.relationships_expired, relationship_day = take_out_expired(mark.relationship_day, moment, keep_going)
    reached = CleanupMark(due_hour, relationship_day)
    if reached != mark:
        cleanup_mark.save(reached)
    if keep_going() and deactivations is not None:
        _finish_deactivations(deactivations, moment, report, keep_going)
    report.finished = keep_going()
    return report


def _due(since: datetime, moment: datetime, report: Report, keep_going: Callable[[], bool]) -> datetime:
    """What is due in the hours from `since` to `moment`'s, oldest first; returns the first hour not
    handled to its end (`moment`'s own at best: more falls due later in it)."""
    for hour in expiry.hours(since, moment):
        after: dict[str, str] | None = None
        while True:
            if not keep_going():
                return hour
            entries, after = expiry.due_entries(hour, moment, DUE_PAGE, after)
            for entry in entries:
                if not keep_going():
                    return hour
                _handle(entry, moment, report)
            if after is None:
                break
    return cleanup_mark.hour_of(moment)


def _handle(entry: DueEntry, moment: datetime, report: Report) -> None:
    if entry.kind is Kind.PROCESS_REQUEST:
        tenant_id, request_id = entry.ident
        _look_at_request(tenant_id, request_id, moment, report)
    elif expiry.delete_expired(entry, moment) and entry.kind in _CREDENTIALS:
        report.deleted[_CREDENTIALS[entry.kind]] += 1


def _look_at_request(tenant_id: str, request_id: str, moment: datetime, report: Report) -> None:
    found = request_store.load_watched(tenant_id, request_id)
    if found is None or found[0].status is not RequestStatus.PENDING:
        return
    request, seen = found
    progressed = request.items_done != seen.seen_done
    if not progressed and seen.requeues >= MAX_REQUEUES:
        try:
            group_worker.fail_request(tenant_id, request_id, STUCK_REASON)
        except ConditionFailed:
            return  # it moved, or ended, meanwhile
        report.requests_failed += 1
        return
    # Progress since the last look: the request moves, only its next look is due later.
    watch = Watch(requeues=0 if progressed else seen.requeues + 1, seen_done=request.items_done)
    tx = Transaction()
    request_store.add_watch(tx, tenant_id, request, seen, watch, moment)
    try:
        tx.commit()
    except ConditionFailed:
        return  # it moved, or ended, meanwhile
    if not progressed:
        queue.send_request(tenant_id, request_id)
        report.requests_requeued += 1
        logger.info("process request queued again", extra={"request_id": request_id, "requeues": watch.requeues})


def _finish_deactivations(
    deactivations: Deactivations, moment: datetime, report: Report, keep_going: Callable[[], bool]
) -> None:
    tried: set[tuple[str, str]] = set()
    while keep_going():
        found = deactivations.interrupted(moment - DEACTIVATION_GRACE, DEACTIVATION_PAGE)
        fresh = [key for key in found if key not in tried]
        if not fresh:
            return
        for tenant_id, customer_id in fresh:
            if not keep_going():
                return
            tried.add((tenant_id, customer_id))
            try:
                deactivations.finish(tenant_id, customer_id)
            except Exception:
                # One customer's failure must not stop the others; its marker stays for the next run.
                logger.exception("deactivation not finished", extra={"customer_id": customer_id})
                continue
            report.deactivations_finished += 1
