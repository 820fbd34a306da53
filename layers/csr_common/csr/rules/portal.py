"""The portal-status state machine of API.md, and what a login attempt does to a portal account.

Pure functions over `PortalState`: no AWS, no clock (the moment is passed in), so every cell of the
transition table is tested without DynamoDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from csr.models.customers import LockReason, PortalState, PortalStatus

MAX_FAILED_LOGINS = 10

LOCKED_STATUSES = frozenset({PortalStatus.LOCKED, PortalStatus.PERMANENT_LOCK, PortalStatus.HIDDEN})


def voids_credentials(before: PortalStatus, after: PortalStatus) -> bool:
    """A reset link or recovery code must not outlive the enrolment it was issued for: leaving `enrolled`
    (a lock, permanent lock, hide, or the failed-login lockout) voids them."""
    return before is PortalStatus.ENROLLED and after is not PortalStatus.ENROLLED


class Transition(StrEnum):
    ENROLL = "enroll"
    LOCK = "lock"
    UNLOCK = "unlock"
    DEACTIVATE = "deactivate"
    HIDE = "hide"


@dataclass(frozen=True)
class Refusal:
    """Why a transition may not happen: the 409 code of API.md's table and a sentence a CSR can read."""

    code: str
    message: str


NOT_ENROLLED = Refusal("not_enrolled", "This customer has no portal account.")
NOT_LOCKED = Refusal("not_locked", "The portal account is not locked.")
ALREADY_LOCKED = Refusal("already_locked", "The portal account is already locked.")
ALREADY_DEACTIVATED = Refusal("already_deactivated", "The portal account is already under a permanent lock.")
ALREADY_HIDDEN = Refusal("already_hidden", "The portal account is already hidden.")
ALREADY_ENROLLED = Refusal("already_enrolled", "This customer already has a portal account.")

_S = PortalStatus
_T = Transition

# API.md's table: from status, by route, the new status or the refusal.
TRANSITIONS: dict[PortalStatus, dict[Transition, PortalStatus | Refusal]] = {
    _S.UNENROLLED: {
        _T.ENROLL: _S.ENROLLED,
        _T.LOCK: NOT_ENROLLED,
        _T.UNLOCK: NOT_ENROLLED,
        _T.DEACTIVATE: NOT_ENROLLED,
        _T.HIDE: NOT_ENROLLED,
    },
    _S.ENROLLED: {
        _T.ENROLL: ALREADY_ENROLLED,
        _T.LOCK: _S.LOCKED,
        _T.UNLOCK: NOT_LOCKED,
        _T.DEACTIVATE: _S.PERMANENT_LOCK,
        _T.HIDE: _S.HIDDEN,
    },
    _S.LOCKED: {
        _T.ENROLL: ALREADY_ENROLLED,
        _T.LOCK: ALREADY_LOCKED,
        _T.UNLOCK: _S.ENROLLED,
        _T.DEACTIVATE: _S.PERMANENT_LOCK,
        _T.HIDE: _S.HIDDEN,
    },
    _S.PERMANENT_LOCK: {
        _T.ENROLL: ALREADY_ENROLLED,
        _T.LOCK: ALREADY_LOCKED,
        _T.UNLOCK: _S.ENROLLED,
        _T.DEACTIVATE: ALREADY_DEACTIVATED,
        _T.HIDE: _S.HIDDEN,
    },
    _S.HIDDEN: {
        _T.ENROLL: ALREADY_ENROLLED,
        _T.LOCK: ALREADY_LOCKED,
        _T.UNLOCK: _S.ENROLLED,
        _T.DEACTIVATE: ALREADY_DEACTIVATED,
        _T.HIDE: ALREADY_HIDDEN,
    },
}

# The lock reason each locking route records; `lock` records the CSR's own reason instead.
_ROUTE_LOCK_REASON = {_T.DEACTIVATE: LockReason.DEACTIVATED, _T.HIDE: LockReason.HIDDEN}


def refusal_codes(route: Transition) -> list[str]:
    """The 409 codes the table gives `route`, once each in the table's order: what its handler declares."""
    return list(dict.fromkeys(cell.code for row in TRANSITIONS.values() if isinstance(cell := row[route], Refusal)))


def transition(
    state: PortalState, route: Transition, at: str, reason: LockReason | None = None, note: str | None = None
) -> PortalState | Refusal:
    """The portal state after `route` at time `at`, or why it is refused. `reason` and `note` are the lock
    route's; any other locking route leaves no note, and reaching `enrolled` clears reason and note."""
    target = TRANSITIONS[state.status][route]
    if isinstance(target, Refusal):
        return target
    if target is PortalStatus.ENROLLED:
        return state.model_copy(
            update={
                "status": target,
                "failed_login_count": 0,
                "lock_reason": None,
                "lock_note": None,
                "locked_at": None,
            }
        )
    if route is Transition.LOCK:
        return state.model_copy(update={"status": target, "lock_reason": reason, "lock_note": note, "locked_at": at})
    return state.model_copy(
        update={"status": target, "lock_reason": _ROUTE_LOCK_REASON[route], "lock_note": None, "locked_at": at}
    )


class LoginOutcome(StrEnum):
    SUCCEEDED = "succeeded"  # 200
    FAILED = "failed"  # 401, counted as a failure
    ACCOUNT_LOCKED = "account_locked"  # 423: a locked account, whatever the password
    NOT_ENROLLED = "not_enrolled"  # 401 like an unknown email, nothing recorded


@dataclass(frozen=True)
class LoginAttempt:
    outcome: LoginOutcome
    state: PortalState
    locked_now: bool = False


def checks_password(state: PortalState) -> bool:
    """Whether a login to this account looks at the password at all: a locked account never does, so that
    it confirms no guess (the caller hashes a decoy instead, to take the same time)."""
    return state.status is PortalStatus.ENROLLED


def attempt_login(state: PortalState, password_ok: bool, at: str) -> LoginAttempt:
    """What one login attempt does to the portal account.

    A locked account (`locked`, `permanent_lock`, `hidden`) refuses every attempt whatever the password
    (`password_ok` is ignored) and keeps its count: guessing against it learns nothing and changes
    nothing. On an `enrolled` account a wrong password counts, and the MAX_FAILED_LOGINS-th locks it.
    """
    if state.status is PortalStatus.UNENROLLED:
        return LoginAttempt(LoginOutcome.NOT_ENROLLED, state)
    if state.status in LOCKED_STATUSES:
        return LoginAttempt(LoginOutcome.ACCOUNT_LOCKED, state)
    if not password_ok:
        count = state.failed_login_count + 1
        failed = state.model_copy(update={"failed_login_count": count})
        if count >= MAX_FAILED_LOGINS:
            locked = failed.model_copy(
                update={"status": PortalStatus.LOCKED, "lock_reason": LockReason.FAILED_LOGINS, "locked_at": at}
            )
            return LoginAttempt(LoginOutcome.FAILED, locked, locked_now=True)
        return LoginAttempt(LoginOutcome.FAILED, failed)
    return LoginAttempt(
        LoginOutcome.SUCCEEDED, state.model_copy(update={"failed_login_count": 0, "last_access_at": at})
    )
