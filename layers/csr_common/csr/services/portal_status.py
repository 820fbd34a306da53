"""The CSR's portal-status changes: lock, unlock and hide (deactivation, which may cancel hundreds of
payments, is `services.deactivation`).

Each change re-reads the customer and decides again on a version conflict (a failed login bumping the
count must not turn a CSR's lock into a 409); after `WRITE_ATTEMPTS` conflicting writes it gives up with
409 `concurrent_change`, having written nothing. A change that leaves `enrolled` voids the customer's live
reset link and recovery code, each with its own entry in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from csr import clock
from csr.auth import Caller, Role, require_role
from csr.data.customers import CustomerPartition
from csr.errors import ConflictError
from csr.models.access import LockRequest, PortalStatusResponse
from csr.models.activity import ActivityRecord, ActivityType, Actor
from csr.models.customers import LockReason, PortalState
from csr.rules import portal
from csr.rules.portal import Refusal, Transition
from csr.services.customer_changes import entry, load_customer, retry_on_conflict, save, voided_entries

SUPERVISOR_ONLY = frozenset({Role.CSR_SUPERVISOR})

# Each CSR route's own entry type.
ROUTE_ENTRY = {
    Transition.LOCK: ActivityType.ACCOUNT_LOCKED,
    Transition.UNLOCK: ActivityType.ACCOUNT_UNLOCKED,
    Transition.HIDE: ActivityType.ACCOUNT_HIDDEN,
    Transition.DEACTIVATE: ActivityType.ACCOUNT_DEACTIVATED,
}


def refused(refusal: Refusal) -> ConflictError:
    return ConflictError(refusal.message, code=refusal.code)


@dataclass(frozen=True)
class StatusChange:
    """One CSR route applied to one customer: the route, the lock's reason and note, and the details its
    entry records beyond the previous status."""

    caller: Caller
    customer_id: str
    route: Transition
    reason: LockReason | None = None
    note: str | None = None

    def actor(self) -> Actor:
        return Actor.csr(self.caller.sub, self.caller.email)

    def new_state(self, found: CustomerPartition, moment: datetime) -> PortalState:
        state = portal.transition(found.customer.portal, self.route, clock.iso(moment), self.reason, self.note)
        if isinstance(state, Refusal):
            raise refused(state)
        return state

    def entries(
        self, found: CustomerPartition, after: PortalState, moment: datetime, **details: Any
    ) -> list[ActivityRecord]:
        """The route's own entry, then one for each credential the change voids."""
        kind = ROUTE_ENTRY[self.route]
        before = found.customer
        changed = before.model_copy(update={"portal": after})
        # A lock is only ever from `enrolled`: its entry names the CSR's reason and note instead.
        previous = {} if self.route is Transition.LOCK else {"previous_status": before.portal.status}
        own = entry(moment, kind, self.actor(), **previous, **details)
        return [own, *voided_entries(found, changed, moment, self.actor(), kind)]

    def apply(self, **details: Any) -> PortalStatusResponse:
        """Read, decide and write, again while a concurrent change defeats it."""
        return retry_on_conflict(lambda: self._attempt(details))

    def _attempt(self, details: dict[str, Any]) -> PortalStatusResponse:
        found = load_customer(self.caller, self.customer_id)
        moment = clock.now()
        state = self.new_state(found, moment)
        before = found.customer
        extra = {**details, **self._from_before(found)}
        entries = self.entries(found, state, moment, **extra)
        save(self.caller, before, before.model_copy(update={"portal": state}), entries, moment)
        return PortalStatusResponse(portal_status=state.status)

    def _from_before(self, found: CustomerPartition) -> dict[str, Any]:
        if self.route is not Transition.UNLOCK:
            return {}
        previous = found.customer.portal
        return {"previous_lock_reason": previous.lock_reason, "cleared_failed_logins": previous.failed_login_count}


def lock(caller: Caller, customer_id: str, request: LockRequest) -> PortalStatusResponse:
    change = StatusChange(caller, customer_id, Transition.LOCK, LockReason(request.reason), request.note or None)
    return change.apply(reason=request.reason, note=request.note)


def unlock(caller: Caller, customer_id: str) -> PortalStatusResponse:
    return StatusChange(caller, customer_id, Transition.UNLOCK).apply()


def hide(caller: Caller, customer_id: str) -> PortalStatusResponse:
    require_role(caller, SUPERVISOR_ONLY)
    return StatusChange(caller, customer_id, Transition.HIDE).apply()
