"""The portal-status state machine and login rules, cell by cell, without AWS."""

from __future__ import annotations

import pytest

from csr.models.customers import LockReason, PortalState, PortalStatus
from csr.rules.portal import (
    MAX_FAILED_LOGINS,
    LoginOutcome,
    Refusal,
    Transition,
    attempt_login,
    checks_password,
    transition,
)
from tests.support.transitions import EXPECTED

AT = "2026-11-22T14:03:00.123Z"
EARLIER = "2026-11-01T08:00:00.000Z"

S = PortalStatus
T = Transition

LOCK_REASON_OF = {S.LOCKED: LockReason.MISUSE, S.PERMANENT_LOCK: LockReason.DEACTIVATED, S.HIDDEN: LockReason.HIDDEN}


def state_in(status: PortalStatus, failed: int = 3) -> PortalState:
    locked = status in LOCK_REASON_OF
    return PortalState(
        status=status,
        last_access_at=EARLIER,
        failed_login_count=failed,
        lock_reason=LOCK_REASON_OF.get(status),
        locked_at=EARLIER if locked else None,
    )


def test_the_table_has_every_cell() -> None:
    assert {(s, t) for s, t, _ in EXPECTED} == {(s, t) for s in PortalStatus for t in Transition}


@pytest.mark.parametrize(("status", "route", "expected"), EXPECTED)
def test_transition_cell(status: PortalStatus, route: Transition, expected: str) -> None:
    result = transition(state_in(status), route, AT, LockReason.COMPROMISED)
    if expected.startswith("-> "):
        assert isinstance(result, PortalState)
        assert result.status == PortalStatus(expected[3:])
    else:
        assert isinstance(result, Refusal)
        assert result.code == expected
        assert result.message


def test_enroll_gives_a_fresh_enrolled_state() -> None:
    result = transition(PortalState(status=S.UNENROLLED), T.ENROLL, AT)
    assert result == PortalState(status=S.ENROLLED)


def test_lock_keeps_the_note_and_unlock_clears_it() -> None:
    locked = transition(state_in(S.ENROLLED), T.LOCK, AT, LockReason.OTHER, "Asked by phone, ticket 42")
    assert isinstance(locked, PortalState)
    assert locked.lock_note == "Asked by phone, ticket 42"
    unlocked = transition(locked, T.UNLOCK, AT)
    assert isinstance(unlocked, PortalState)
    assert unlocked.lock_note is None
    assert unlocked.lock_reason is None


@pytest.mark.parametrize("route", [T.DEACTIVATE, T.HIDE])
def test_other_locking_routes_leave_no_note(route: Transition) -> None:
    locked = transition(state_in(S.ENROLLED), T.LOCK, AT, LockReason.OTHER, "a note")
    assert isinstance(locked, PortalState)
    result = transition(locked, route, AT)
    assert isinstance(result, PortalState)
    assert result.lock_note is None


def test_lock_records_the_csr_reason_and_time_and_keeps_the_count() -> None:
    result = transition(state_in(S.ENROLLED), T.LOCK, AT, LockReason.OPT_OUT)
    assert result == state_in(S.ENROLLED).model_copy(
        update={"status": S.LOCKED, "lock_reason": LockReason.OPT_OUT, "locked_at": AT}
    )


@pytest.mark.parametrize(("route", "reason"), [(T.DEACTIVATE, LockReason.DEACTIVATED), (T.HIDE, LockReason.HIDDEN)])
def test_deactivate_and_hide_record_their_own_reason(route: Transition, reason: LockReason) -> None:
    # Given a CSR reason passed along by mistake, the route's own reason still wins
    result = transition(state_in(S.LOCKED), route, AT, LockReason.MISUSE)
    assert isinstance(result, PortalState)
    assert (result.lock_reason, result.locked_at) == (reason, AT)


@pytest.mark.parametrize("status", [S.LOCKED, S.PERMANENT_LOCK, S.HIDDEN])
def test_unlock_clears_count_reason_and_time_and_keeps_last_access(status: PortalStatus) -> None:
    result = transition(state_in(status, failed=12), T.UNLOCK, AT)
    assert result == PortalState(status=S.ENROLLED, last_access_at=EARLIER, failed_login_count=0)


def test_success_resets_count_and_sets_last_access() -> None:
    result = attempt_login(state_in(S.ENROLLED, failed=9), True, AT)
    assert result.outcome is LoginOutcome.SUCCEEDED
    assert (result.state.failed_login_count, result.state.last_access_at) == (0, AT)
    assert not result.locked_now


def test_failure_counts_without_locking_below_the_limit() -> None:
    result = attempt_login(state_in(S.ENROLLED, failed=MAX_FAILED_LOGINS - 2), False, AT)
    assert result.outcome is LoginOutcome.FAILED
    assert result.state == state_in(S.ENROLLED, failed=MAX_FAILED_LOGINS - 1)
    assert not result.locked_now


def test_tenth_consecutive_failure_locks() -> None:
    result = attempt_login(state_in(S.ENROLLED, failed=MAX_FAILED_LOGINS - 1), False, AT)
    assert result.outcome is LoginOutcome.FAILED
    assert result.locked_now
    assert result.state.status is S.LOCKED
    assert (result.state.lock_reason, result.state.locked_at) == (LockReason.FAILED_LOGINS, AT)
    assert result.state.failed_login_count == MAX_FAILED_LOGINS


@pytest.mark.parametrize("password_ok", [True, False])
@pytest.mark.parametrize("status", [S.LOCKED, S.PERMANENT_LOCK, S.HIDDEN])
def test_locked_account_refuses_any_password_and_changes_nothing(status: PortalStatus, password_ok: bool) -> None:
    result = attempt_login(state_in(status, failed=MAX_FAILED_LOGINS), password_ok, AT)
    assert result.outcome is LoginOutcome.ACCOUNT_LOCKED
    assert not result.locked_now
    assert result.state == state_in(status, failed=MAX_FAILED_LOGINS)


@pytest.mark.parametrize("status", list(S))
def test_only_an_enrolled_account_checks_the_password(status: PortalStatus) -> None:
    assert checks_password(state_in(status)) is (status is S.ENROLLED)


@pytest.mark.parametrize("password_ok", [True, False])
def test_unenrolled_answers_like_unknown_and_changes_nothing(password_ok: bool) -> None:
    result = attempt_login(state_in(S.UNENROLLED), password_ok, AT)
    assert result.outcome is LoginOutcome.NOT_ENROLLED
    assert result.state == state_in(S.UNENROLLED)
