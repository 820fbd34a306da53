"""API.md's table of portal status transitions, written out again by hand so that a change to either the
contract or csr.rules.portal that the other does not follow fails the tests that read it."""

from __future__ import annotations

from csr.models.customers import PortalStatus
from csr.rules.portal import Transition

S = PortalStatus
T = Transition

EXPECTED: list[tuple[PortalStatus, Transition, str]] = [
    (S.UNENROLLED, T.ENROLL, "-> enrolled"),
    (S.ENROLLED, T.ENROLL, "already_enrolled"),
    (S.LOCKED, T.ENROLL, "already_enrolled"),
    (S.PERMANENT_LOCK, T.ENROLL, "already_enrolled"),
    (S.HIDDEN, T.ENROLL, "already_enrolled"),
    (S.UNENROLLED, T.LOCK, "not_enrolled"),
    (S.UNENROLLED, T.UNLOCK, "not_enrolled"),
    (S.UNENROLLED, T.DEACTIVATE, "not_enrolled"),
    (S.UNENROLLED, T.HIDE, "not_enrolled"),
    (S.ENROLLED, T.LOCK, "-> locked"),
    (S.ENROLLED, T.UNLOCK, "not_locked"),
    (S.ENROLLED, T.DEACTIVATE, "-> permanent_lock"),
    (S.ENROLLED, T.HIDE, "-> hidden"),
    (S.LOCKED, T.LOCK, "already_locked"),
    (S.LOCKED, T.UNLOCK, "-> enrolled"),
    (S.LOCKED, T.DEACTIVATE, "-> permanent_lock"),
    (S.LOCKED, T.HIDE, "-> hidden"),
    (S.PERMANENT_LOCK, T.LOCK, "already_locked"),
    (S.PERMANENT_LOCK, T.UNLOCK, "-> enrolled"),
    (S.PERMANENT_LOCK, T.DEACTIVATE, "already_deactivated"),
    (S.PERMANENT_LOCK, T.HIDE, "-> hidden"),
    (S.HIDDEN, T.LOCK, "already_locked"),
    (S.HIDDEN, T.UNLOCK, "-> enrolled"),
    (S.HIDDEN, T.DEACTIVATE, "already_deactivated"),
    (S.HIDDEN, T.HIDE, "already_hidden"),
]
