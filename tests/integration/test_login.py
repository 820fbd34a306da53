"""POST /portal/login: generic failures, the 10-failure lockout, and its behaviour under concurrency."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from csr.auth import Caller
from csr.data import keys
from csr.errors import ApiError, LockedError
from csr.models.access import LoginRequest
from csr.models.customers import LockReason, PortalStatus
from csr.passwords import verify_password
from csr.services import portal_login, portal_status
from csr.services.customer_changes import save
from infra import template
from infra.apigw import invoking
from tests.support.api import Api
from tests.support.customers import (
    TENANT,
    activity,
    create_customer,
    portal_of,
    set_password,
    set_portal,
)
from tests.support.tables import all_items

PORTAL_APP = Caller(sub="portal-app", email="", tenant_id=TENANT, roles=frozenset({"portal"}))

PASSWORD = "correct horse battery staple"
WRONG = "Tr0ub4dor&3"


@pytest.fixture
def portal(api: Api) -> Api:
    return api.machine("portal")


@pytest.fixture
def customer(csr: Api) -> dict[str, Any]:
    created = create_customer(csr, 1)
    set_password(created["customer_id"], PASSWORD)
    return created


def login(portal: Api, email: str, password: str) -> tuple[int, Any]:
    status, answer, _ = portal.call("POST", "/portal/login", {"email": email, "password": password})
    return status, answer


def types_of(customer_id: str) -> list[str]:
    return [entry["type"] for entry in activity(customer_id)]


def test_right_password_logs_in_and_records_it(portal: Api, customer: dict[str, Any]) -> None:
    status, answer = login(portal, customer["email"], PASSWORD)
    assert (status, answer) == (200, {"customer_id": customer["customer_id"]})
    state = portal_of(customer["customer_id"])
    assert state.last_access_at is not None
    assert state.failed_login_count == 0
    last = activity(customer["customer_id"])[-1]
    assert (last["type"], last["actor"]) == (
        "login_succeeded",
        {"kind": "customer", "id": customer["customer_id"], "name": None},
    )


def test_email_is_compared_case_insensitively(portal: Api, customer: dict[str, Any]) -> None:
    status, _ = login(portal, "  " + customer["email"].upper(), PASSWORD)
    assert status == 200


def test_wrong_password_is_401_and_counted(portal: Api, customer: dict[str, Any]) -> None:
    status, answer = login(portal, customer["email"], WRONG)
    assert status == 401
    assert answer["error"]["code"] == "invalid_credentials"
    assert portal_of(customer["customer_id"]).failed_login_count == 1
    last = activity(customer["customer_id"])[-1]
    assert last["type"] == "login_failed"
    assert last["actor"] == {"kind": "customer", "id": customer["customer_id"], "name": None}
    assert last["details"] == {"reason": "wrong_password", "failed_login_count": 1}


def test_unknown_email_unenrolled_and_no_password_answer_exactly_like_a_wrong_password(
    csr: Api, portal: Api, customer: dict[str, Any]
) -> None:
    # Given an unenrolled customer (even with a hash somehow on record) and an enrolled one with no password
    unenrolled = create_customer(csr, 2, enroll_in_portal=False)
    set_password(unenrolled["customer_id"], PASSWORD)
    no_password = create_customer(csr, 3)
    wrong = login(portal, customer["email"], WRONG)
    # Then every failure gets the same answer
    assert wrong[0] == 401
    assert login(portal, "nobody@example.org", PASSWORD) == wrong
    assert login(portal, "not an email", PASSWORD) == wrong
    assert login(portal, unenrolled["email"], PASSWORD) == wrong
    assert login(portal, no_password["email"], PASSWORD) == wrong
    # and an unenrolled customer's log shows no portal activity
    assert types_of(unenrolled["customer_id"]) == ["customer_created"]
    assert activity(no_password["customer_id"])[-1]["details"]["reason"] == "no_password_set"


@pytest.mark.parametrize("password", ["x", "y" * 1024])
def test_a_wrong_password_of_any_allowed_length_is_a_failure_not_a_422(
    portal: Api, customer: dict[str, Any], password: str
) -> None:
    status, answer = login(portal, customer["email"], password)
    assert (status, answer["error"]["code"]) == (401, "invalid_credentials")


@pytest.mark.parametrize(
    "body",
    [
        {"email": "a@example.org", "password": ""},
        {"email": "a@example.org", "password": "z" * 1025},
        {"email": "a@example.org"},
        {"password": "x"},
        {"email": "a@example.org", "password": "x", "remember": True},
    ],
)
def test_malformed_body_is_422_without_echoing_the_password(portal: Api, body: dict[str, Any]) -> None:
    before = all_items()
    status, answer, _ = portal.call("POST", "/portal/login", body)
    assert status == 422, answer
    assert answer["error"]["code"] == "validation_error"
    assert "z" * 100 not in json.dumps(answer)
    assert all_items() == before


def test_tenth_consecutive_failure_locks_the_account(portal: Api, customer: dict[str, Any]) -> None:
    customer_id = customer["customer_id"]
    for _ in range(9):
        assert login(portal, customer["email"], WRONG)[0] == 401
    assert portal_of(customer_id).status is PortalStatus.ENROLLED
    # When the 10th fails
    assert login(portal, customer["email"], WRONG)[0] == 401
    # Then the account is locked, in the same write as the failure and a system entry
    state = portal_of(customer_id)
    assert (state.status, state.lock_reason, state.failed_login_count) == (
        PortalStatus.LOCKED,
        LockReason.FAILED_LOGINS,
        10,
    )
    assert state.locked_at is not None
    entries = activity(customer_id)
    assert [e["type"] for e in entries[-2:]] == ["login_failed", "account_locked"]
    assert entries[-1]["actor"] == {"kind": "system", "id": "system", "name": None}
    assert entries[-1]["at"] == entries[-2]["at"] == state.locked_at
    # and every later guess, right or wrong, gets 423: recorded, never counted, never another lock
    for guess in (PASSWORD, WRONG, WRONG, PASSWORD):
        status, answer = login(portal, customer["email"], guess)
        assert (status, answer["error"]["code"]) == (423, "account_locked")
    state = portal_of(customer_id)
    assert (state.status, state.failed_login_count) == (PortalStatus.LOCKED, 10)
    later = activity(customer_id)[len(entries) :]
    assert [(e["type"], e["details"]) for e in later] == [
        ("login_failed", {"reason": "account_locked", "portal_status": "locked"})
    ] * 4
    assert types_of(customer_id).count("account_locked") == 1


def test_a_locked_account_never_checks_the_password_but_hashes_a_decoy(
    portal: Api, customer: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    set_portal(customer["customer_id"], status=PortalStatus.LOCKED, lock_reason=LockReason.MISUSE)
    checked: list[str | None] = []
    real = verify_password  # what portal_login.verify_password is until the spy replaces it

    def spy(password: str, stored: str | None) -> bool:
        checked.append(stored)
        return real(password, stored)

    monkeypatch.setattr(portal_login, "verify_password", spy)
    for guess in (PASSWORD, WRONG):
        assert login(portal, customer["email"], guess)[0] == 423
    # one hash per attempt, as for any other login, and never against the stored hash
    assert checked == [None, None]


def test_success_resets_the_count(portal: Api, customer: dict[str, Any]) -> None:
    for _ in range(9):
        login(portal, customer["email"], WRONG)
    assert login(portal, customer["email"], PASSWORD)[0] == 200
    assert portal_of(customer["customer_id"]).failed_login_count == 0
    for _ in range(9):
        login(portal, customer["email"], WRONG)
    assert portal_of(customer["customer_id"]).status is PortalStatus.ENROLLED


def test_unlock_clears_the_count_and_lets_the_customer_back_in(csr: Api, portal: Api, customer: dict[str, Any]) -> None:
    for _ in range(10):
        login(portal, customer["email"], WRONG)
    status, answer, _ = csr.call("POST", f"/customers/{customer['customer_id']}/unlock")
    assert (status, answer) == (200, {"portal_status": "enrolled"})
    state = portal_of(customer["customer_id"])
    assert (state.failed_login_count, state.lock_reason, state.locked_at) == (0, None, None)
    assert login(portal, customer["email"], PASSWORD)[0] == 200


@pytest.mark.parametrize("status", [PortalStatus.LOCKED, PortalStatus.PERMANENT_LOCK, PortalStatus.HIDDEN])
def test_right_password_on_a_csr_locked_account_is_423_and_leaves_it_locked(
    portal: Api, customer: dict[str, Any], status: PortalStatus
) -> None:
    customer_id = customer["customer_id"]
    set_portal(customer_id, status=status, lock_reason=LockReason.MISUSE, failed_login_count=2)
    code, answer = login(portal, customer["email"], PASSWORD)
    assert (code, answer["error"]["code"]) == (423, "account_locked")
    state = portal_of(customer_id)
    assert (state.status, state.lock_reason, state.failed_login_count) == (status, LockReason.MISUSE, 2)
    assert activity(customer_id)[-1]["details"] == {"reason": "account_locked", "portal_status": status}


def test_another_tenants_portal_cannot_log_in(api: Api, customer: dict[str, Any]) -> None:
    other = api.machine("portal", tenant_id="utility-b")
    before = all_items()
    status, answer = login(other, customer["email"], PASSWORD)
    assert (status, answer["error"]["code"]) == (401, "invalid_credentials")
    assert all_items() == before


@pytest.mark.parametrize("groups", [["csr"], ["csr_supervisor"], ["integration"]])
def test_non_portal_roles_get_403(api: Api, customer: dict[str, Any], groups: list[str]) -> None:
    status, answer, _ = api.as_roles(groups).call(
        "POST", "/portal/login", {"email": customer["email"], "password": PASSWORD}
    )
    assert (status, answer["error"]["code"]) == (403, "forbidden")


def test_no_password_or_email_is_stored_in_the_activity_log(portal: Api, customer: dict[str, Any]) -> None:
    for password in (PASSWORD, WRONG, *[WRONG] * 9, PASSWORD):
        login(portal, customer["email"], password)
    stored = json.dumps(activity(customer["customer_id"]), default=str)
    assert PASSWORD not in stored
    assert WRONG not in stored
    assert customer["email"] not in stored
    assert customer["email"].split("@")[0] not in stored


@pytest.mark.usefixtures("separate_environments")
def test_twenty_parallel_failures_count_ten_and_lock_once(customer: dict[str, Any]) -> None:
    # Service calls stand in for 20 Lambda instances: one handler module cannot serve two events at once
    # (Powertools keeps the current event on the resolver class).
    caller = Caller(sub="portal-app", email="", tenant_id=TENANT, roles=frozenset({"portal"}))
    request = LoginRequest(email=customer["email"], password=WRONG)
    answers: list[str] = []
    start = threading.Barrier(20)

    def fail_once() -> None:
        start.wait()
        try:
            portal_login.log_in(caller, request)
        except ApiError as error:
            answers.append(error.code)

    threads = [threading.Thread(target=fail_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # the first ten count (the tenth locks), the ten that land after the lock get 423 and count nothing
    assert sorted(answers) == ["account_locked"] * 10 + ["invalid_credentials"] * 10
    state = portal_of(customer["customer_id"])
    assert (state.status, state.failed_login_count) == (PortalStatus.LOCKED, 10)
    types = types_of(customer["customer_id"])
    assert types.count("login_failed") == 20
    assert types.count("account_locked") == 1
    counts = sorted(
        e["details"].get("failed_login_count", 0)
        for e in activity(customer["customer_id"])
        if e["type"] == "login_failed"
    )
    assert counts == [0] * 10 + list(range(1, 11))


def test_a_password_set_while_the_login_runs_is_the_one_checked(
    portal: Api, customer: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the password changes between the login's read and its write
    real_save = save  # what portal_login.save is until it is replaced
    raced: list[bool] = []

    def save_after_a_reset(*args: Any, **kwargs: Any) -> Any:
        if not raced:
            raced.append(True)
            set_password(customer["customer_id"], "a brand new passphrase")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(portal_login, "save", save_after_a_reset)
    # When the customer logs in with the new password
    status, answer = login(portal, customer["email"], "a brand new passphrase")
    # Then the stale write is refused, and the retry decides on the new hash
    assert (status, answer) == (200, {"customer_id": customer["customer_id"]})
    assert types_of(customer["customer_id"])[-1] == "login_succeeded"
    assert "login_failed" not in types_of(customer["customer_id"])


def outside_the_log(customer_id: str) -> list[dict[str, Any]]:
    """Every stored item but the customer's activity entries and their monthly counters."""
    log = {keys.activity_pk(TENANT, customer_id), keys.activity_count_pk(TENANT, customer_id)}
    return [item for item in all_items() if item["pk"] not in log]


@pytest.mark.parametrize("status", [PortalStatus.LOCKED, PortalStatus.PERMANENT_LOCK, PortalStatus.HIDDEN])
def test_a_login_to_a_locked_account_records_the_attempt_and_writes_nothing_else(
    portal: Api, customer: dict[str, Any], status: PortalStatus
) -> None:
    customer_id = customer["customer_id"]
    set_portal(customer_id, status=status, lock_reason=LockReason.MISUSE, failed_login_count=3)
    before = outside_the_log(customer_id)
    for guess in (PASSWORD, WRONG, WRONG):
        code, answer = login(portal, customer["email"], guess)
        assert (code, answer["error"]["code"]) == (423, "account_locked")
    # the profile item (its version too) and every other item as they were: only the log grew
    assert outside_the_log(customer_id) == before
    later = [e for e in activity(customer_id) if e["type"] == "login_failed"]
    assert [e["details"] for e in later] == [{"reason": "account_locked", "portal_status": status}] * 3


def test_an_unlock_with_locked_logins_landing_before_each_of_its_writes_succeeds(
    csr: Api, customer: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = customer["customer_id"]
    set_portal(customer_id, status=PortalStatus.LOCKED, lock_reason=LockReason.FAILED_LOGINS, failed_login_count=10)
    flood = LoginRequest(email=customer["email"], password=WRONG)
    portal_function = next(f for f in template.functions() if f.logical_id == "PortalFunction")
    real_save = save  # what portal_status.save is until it is replaced
    landed: list[str] = []

    def save_after_a_flood_of_logins(*args: Any, **kwargs: Any) -> Any:
        if args[0].sub != PORTAL_APP.sub:  # the CSR's unlock: five guesses land between its read and write
            for _ in range(5):
                with invoking(portal_function), pytest.raises(LockedError):
                    portal_login.log_in(PORTAL_APP, flood)
                landed.append("423")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(portal_status, "save", save_after_a_flood_of_logins)
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/unlock")
    assert (status, answer) == (200, {"portal_status": "enrolled"})
    assert landed == ["423"] * 5  # the unlock's first write landed
    state = portal_of(customer_id)
    assert (state.status, state.failed_login_count) == (PortalStatus.ENROLLED, 0)
    types = types_of(customer_id)
    assert (types.count("login_failed"), types.count("account_unlocked")) == (5, 1)
