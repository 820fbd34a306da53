"""Lock, unlock, deactivate, hide: through the handler template.yaml routes them to, inside moto."""

from __future__ import annotations

import threading
from collections.abc import Callable
from itertools import pairwise
from typing import Any

import pytest

from csr.auth import Caller
from csr.data import customers as customer_store
from csr.data import keys
from csr.data.dynamo import table
from csr.errors import ConflictError
from csr.models.access import CsrLockReason, LockRequest, PortalStatusResponse
from csr.models.customers import LockReason, PortalStatus
from csr.rules.portal import Transition
from csr.services import customer_changes, portal_status
from tests.support.api import Api
from tests.support.customers import (
    SUPERVISOR_GROUPS,
    TENANT,
    activity,
    create_customer,
    portal_of,
    set_portal,
)
from tests.support.tables import all_items
from tests.support.transitions import EXPECTED

BODIES: dict[Transition, Any] = {
    Transition.ENROLL: None,
    Transition.LOCK: {"reason": "misuse", "note": "Called from an unknown number"},
    Transition.UNLOCK: None,
    Transition.DEACTIVATE: {"acknowledge_pending_payments": False},
    Transition.HIDE: None,
}
ENTRY_TYPES = {
    Transition.ENROLL: ["account_enrolled", "password_reset_link_sent"],
    Transition.LOCK: ["account_locked"],
    Transition.UNLOCK: ["account_unlocked"],
    Transition.DEACTIVATE: ["account_deactivated"],
    Transition.HIDE: ["account_hidden"],
}
SUPERVISOR = {"kind": "csr", "id": "sup-1", "name": "sup-1@staff.example.com"}
SET_UP_LOCK_REASON = {
    PortalStatus.LOCKED: LockReason.COMPROMISED,
    PortalStatus.PERMANENT_LOCK: LockReason.DEACTIVATED,
    PortalStatus.HIDDEN: LockReason.HIDDEN,
}


@pytest.fixture
def supervisor(api: Api) -> Api:
    return api.as_(groups=SUPERVISOR_GROUPS, sub="sup-1")


def customer_in(csr: Api, status: PortalStatus, n: int = 1) -> str:
    customer = create_customer(csr, n, enroll_in_portal=status is not PortalStatus.UNENROLLED)
    if status in SET_UP_LOCK_REASON:
        set_portal(
            customer["customer_id"],
            status=status,
            lock_reason=SET_UP_LOCK_REASON[status],
            locked_at="2026-01-01T00:00:00.000Z",
            failed_login_count=4,
        )
    return str(customer["customer_id"])


def post(caller: Api, customer_id: str, route: Transition, body: Any = None) -> tuple[int, Any]:
    status, answer, headers = caller.call("POST", f"/customers/{customer_id}/{route}", body)
    assert headers.get("X-Request-Id")
    return status, answer


@pytest.mark.parametrize(("start", "route", "expected"), EXPECTED)
def test_transition_table_cell(
    csr: Api, supervisor: Api, start: PortalStatus, route: Transition, expected: str
) -> None:
    # Given a customer in `start`
    customer_id = customer_in(csr, start)
    before = all_items()
    entries_before = activity(customer_id)
    # When a supervisor takes the route
    status, answer = post(supervisor, customer_id, route, BODIES[route])
    # Then it moves as the table says, with exactly one activity entry in the same write...
    if expected.startswith("-> "):
        new_status = expected[3:]
        assert status == (202 if route is Transition.ENROLL else 200), answer
        assert answer["portal_status"] == new_status
        assert portal_of(customer_id).status == new_status
        new_entries = activity(customer_id)[len(entries_before) :]
        assert [(e["type"], e["actor"]) for e in new_entries] == [(kind, SUPERVISOR) for kind in ENTRY_TYPES[route]]
    # ...or is refused with the table's code and writes nothing
    else:
        assert status == 409, answer
        assert answer["error"]["code"] == expected
        assert all_items() == before


def test_lock_records_reason_note_and_time(csr: Api) -> None:
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    status, answer = post(csr, customer_id, Transition.LOCK, {"reason": "opt_out", "note": "  Asked by phone  "})
    assert (status, answer) == (200, {"portal_status": "locked"})
    _, got, _ = csr.call("GET", f"/customers/{customer_id}")
    assert got["portal"]["lock_reason"] == "opt_out"
    assert got["portal"]["lock_note"] == "Asked by phone"
    assert got["portal"]["locked_at"] is not None
    last = activity(customer_id)[-1]
    assert last["details"] == {"reason": "opt_out", "note": "Asked by phone"}
    assert last["actor"] == {"kind": "csr", "id": "csr-1", "name": "csr-1@staff.example.com"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reason": "failed_logins"},
        {"reason": "bored"},
        {"reason": "other", "note": "x" * 501},
        {"reason": "other", "note": "a NUL\u0000 is not a note"},
        {"reason": "other", "unknown": 1},
    ],
)
def test_lock_with_invalid_body_is_422_and_writes_nothing(csr: Api, body: dict[str, Any]) -> None:
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    before = all_items()
    status, answer = post(csr, customer_id, Transition.LOCK, body)
    assert status == 422, answer
    assert answer["error"]["code"] == "validation_error"
    assert answer["error"]["details"]["fields"]
    assert all_items() == before


def test_unlock_clears_the_lock_note(csr: Api) -> None:
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    post(csr, customer_id, Transition.LOCK, {"reason": "compromised", "note": "Caller could not confirm the PIN"})
    _, locked, _ = csr.call("GET", f"/customers/{customer_id}")
    assert locked["portal"]["lock_note"] == "Caller could not confirm the PIN"
    status, _ = post(csr, customer_id, Transition.UNLOCK)
    assert status == 200
    _, unlocked, _ = csr.call("GET", f"/customers/{customer_id}")
    assert unlocked["portal"]["lock_note"] is None
    assert portal_of(customer_id).lock_note is None


def test_lock_note_of_500_characters_is_accepted(csr: Api) -> None:
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    status, answer = post(csr, customer_id, Transition.LOCK, {"reason": "other", "note": "x" * 500})
    assert status == 200, answer


def test_lock_note_may_break_lines(csr: Api) -> None:
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    note = "Caller could not confirm the PIN.\n\tCalled back from the number on file."
    status, answer = post(csr, customer_id, Transition.LOCK, {"reason": "other", "note": note})
    assert status == 200, answer
    assert portal_of(customer_id).lock_note == note


@pytest.mark.parametrize("start", [PortalStatus.LOCKED, PortalStatus.PERMANENT_LOCK, PortalStatus.HIDDEN])
def test_unlock_clears_count_reason_and_time(csr: Api, start: PortalStatus) -> None:
    customer_id = customer_in(csr, start)
    assert portal_of(customer_id).failed_login_count == 4
    status, answer = post(csr, customer_id, Transition.UNLOCK)
    assert (status, answer) == (200, {"portal_status": "enrolled"})
    _, got, _ = csr.call("GET", f"/customers/{customer_id}")
    assert got["portal"] == {
        "status": "enrolled",
        "enrolled": True,
        "last_access_at": None,
        "failed_login_count": 0,
        "lock_reason": None,
        "lock_note": None,
        "locked_at": None,
    }
    assert activity(customer_id)[-1]["details"]["previous_status"] == start


def test_hide_is_forbidden_to_a_plain_csr(csr: Api, supervisor: Api) -> None:
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    before = all_items()
    status, answer = post(csr, customer_id, Transition.HIDE)
    assert status == 403, answer
    assert answer["error"]["code"] == "forbidden"
    assert all_items() == before
    status, answer = post(supervisor, customer_id, Transition.HIDE)
    assert (status, answer) == (200, {"portal_status": "hidden"})


@pytest.mark.parametrize("route", list(Transition))
def test_another_tenants_token_gets_404_and_changes_nothing(api: Api, csr: Api, route: Transition) -> None:
    customer_id = customer_in(csr, PortalStatus.LOCKED)
    before = all_items()
    intruder = api.as_(groups=SUPERVISOR_GROUPS, tenant_id="utility-b", sub="csr-b")
    status, answer = post(intruder, customer_id, route, BODIES[route])
    assert status == 404, answer
    assert answer["error"]["code"] == "not_found"
    assert all_items() == before


@pytest.mark.parametrize("route", list(Transition))
def test_unknown_or_malformed_customer_id_is_404(supervisor: Api, route: Transition) -> None:
    for customer_id in ("cus_doesnotexist", "not!an!id"):
        status, answer = post(supervisor, customer_id, route, BODIES[route])
        assert status == 404, answer


@pytest.mark.parametrize("groups", [["portal"], ["integration"], ["business_account_manager"]])
@pytest.mark.parametrize("route", list(Transition))
def test_non_csr_roles_get_403_and_change_nothing(api: Api, csr: Api, groups: list[str], route: Transition) -> None:
    customer_id = customer_in(csr, PortalStatus.LOCKED)
    before = all_items()
    status, answer = post(api.as_roles(groups), customer_id, route, BODIES[route])
    assert status == 403, answer
    assert answer["error"]["code"] == "forbidden"
    assert all_items() == before


# --- deactivate with payments ----------------------------------------------------------------------


def add_payment(api: Api, payment_id: str, account_number: str, status: str, day: int) -> None:
    feed = {
        "account_number": account_number,
        "amount": 120.5,
        "currency": "CAD",
        "status": status,
        "scheduled_for": f"2026-12-{day:02d}",
    }
    code, answer, _ = api.machine("integration").call("PUT", f"/integration/payments/{payment_id}", feed)
    assert code == 200, answer


def payment_item(customer_id: str, payment_id: str) -> dict[str, Any]:
    key = {"pk": keys.customer_pk(TENANT, customer_id), "sk": keys.payment_sk(payment_id)}
    return dict(table().get_item(Key=key, ConsistentRead=True)["Item"])


@pytest.fixture
def customer_with_payments(api: Api, csr: Api) -> str:
    customer = create_customer(csr, 1)
    number = customer["accounts"][0]["account_number"]
    add_payment(api, "pay-sched", number, "scheduled", 10)
    add_payment(api, "pay-pend", number, "pending", 5)
    add_payment(api, "pay-done", number, "completed", 1)
    return str(customer["customer_id"])


def test_deactivate_with_open_payments_and_no_acknowledgement_lists_them(csr: Api, customer_with_payments: str) -> None:
    before = all_items()
    status, answer = post(csr, customer_with_payments, Transition.DEACTIVATE, {})
    assert status == 409, answer
    assert answer["error"]["code"] == "payments_pending"
    payments = answer["error"]["details"]["payments"]
    assert [(p["payment_id"], p["status"]) for p in payments] == [("pay-pend", "pending"), ("pay-sched", "scheduled")]
    assert set(payments[0]) == {"payment_id", "account_number", "amount", "currency", "status", "scheduled_for"}
    assert payments[0]["amount"] == 120.5
    assert all_items() == before


def test_deactivate_with_acknowledgement_cancels_open_payments_in_the_same_write(
    csr: Api, customer_with_payments: str
) -> None:
    customer_id = customer_with_payments
    entries_before = len(activity(customer_id))
    status, answer = post(csr, customer_id, Transition.DEACTIVATE, {"acknowledge_pending_payments": True})
    assert status == 200, answer
    assert answer["portal_status"] == "permanent_lock"
    assert [(p["payment_id"], p["status"]) for p in answer["cancelled_payments"]] == [
        ("pay-pend", "cancelled"),
        ("pay-sched", "cancelled"),
    ]
    assert [payment_item(customer_id, p)["status"] for p in ("pay-pend", "pay-sched", "pay-done")] == [
        "cancelled",
        "cancelled",
        "completed",
    ]
    assert portal_of(customer_id).lock_reason is LockReason.DEACTIVATED
    new = activity(customer_id)[entries_before:]
    assert [(e["type"], e["details"].get("payment_id")) for e in new] == [
        ("account_deactivated", None),
        ("payment_cancelled", "pay-pend"),
        ("payment_cancelled", "pay-sched"),
    ]
    assert {e["actor"]["id"] for e in new} == {"csr-1"}
    # and the payments route now shows them cancelled
    _, listed, _ = csr.call("GET", f"/customers/{customer_id}/payments", query={"status": "scheduled,pending"})
    assert listed["items"] == []


def test_deactivate_with_only_closed_payments_needs_no_acknowledgement(api: Api, csr: Api) -> None:
    customer = create_customer(csr, 1)
    add_payment(api, "pay-done", customer["accounts"][0]["account_number"], "completed", 1)
    status, answer = post(csr, customer["customer_id"], Transition.DEACTIVATE, {})
    assert (status, answer) == (200, {"portal_status": "permanent_lock", "cancelled_payments": []})


# --- concurrency -------------------------------------------------------------------------------------


def test_a_stale_change_fails_with_409_concurrent_change_and_writes_nothing(
    csr: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every read returns the customer as it was before another change landed
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    stale = customer_store.load(TENANT, customer_id)
    assert csr.call("PATCH", f"/customers/{customer_id}", {"first_name": "Jeanne"})[0] == 200
    monkeypatch.setattr(portal_status, "load_customer", lambda caller, cid: stale)
    monkeypatch.setattr(customer_changes, "WRITE_ATTEMPTS", 3)
    before = all_items()
    # When a CSR locks
    status, answer = post(csr, customer_id, Transition.LOCK, {"reason": "misuse"})
    # Then the conditional write fails every time, and nothing is written
    assert status == 409, answer
    assert answer["error"]["code"] == "concurrent_change"
    assert all_items() == before


@pytest.mark.usefixtures("separate_environments")
def test_lock_and_unlock_racing_leave_status_matching_the_last_entry(csr: Api) -> None:
    # Service calls stand in for two Lambda instances: one handler module cannot serve two events at
    # once (Powertools keeps the current event on the resolver class).
    customer_id = customer_in(csr, PortalStatus.ENROLLED)
    caller = Caller(sub="csr-1", email="csr-1@staff.example.com", tenant_id=TENANT, roles=frozenset({"csr"}))
    outcomes: list[str] = []
    unexpected: list[Exception] = []
    start = threading.Barrier(2)

    def lock() -> PortalStatusResponse:
        return portal_status.lock(caller, customer_id, LockRequest(reason=CsrLockReason.MISUSE))

    def unlock() -> PortalStatusResponse:
        return portal_status.unlock(caller, customer_id)

    def run(change: Callable[[], PortalStatusResponse]) -> None:
        start.wait()
        for _ in range(8):
            try:
                outcomes.append(change().portal_status)
            except ConflictError as refused:
                if refused.code not in {"already_locked", "not_locked"}:
                    unexpected.append(refused)

    threads = [threading.Thread(target=run, args=(change,)) for change in (lock, unlock)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert unexpected == []
    changes = [e for e in activity(customer_id) if e["type"] in {"account_locked", "account_unlocked"}]
    assert len(changes) == len(outcomes)
    final = portal_of(customer_id).status
    assert final == ("locked" if changes[-1]["type"] == "account_locked" else "enrolled")
    # the log alternates, as a state machine's history must
    assert all(a["type"] != b["type"] for a, b in pairwise(changes))
