"""The demo seed: its bulk load writes what committing its transactions one by one writes, and every
seeded customer's history obeys the rules it illustrates (API.md's transition table and portal side).

The histories are read from the items the seed composes (infra.bulk_load's fold, before any write), for
the full default seed: every customer, every status, every episode."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from csr import clock
from csr.data import keys
from csr.data.batch_write import batch_write
from csr.data.dynamo import Transaction
from csr.models.activity import ActivityRecord, ActivityType
from csr.models.customers import PortalStatus
from csr.rules.portal import MAX_FAILED_LOGINS, TRANSITIONS, Transition
from infra import seed, template
from infra.apigw import invoke
from infra.bulk_load import BulkLoad
from infra.local_aws import LocalAws
from infra.ses_events import SesEventType, ses_event
from tests.support.api import Api, new_customer_body
from tests.support.credentials import (
    NEW_PASSWORD,
    log_in,
    messages_to,
    recover,
    reset_password,
    send_link,
    token_from,
    wrong_code,
)
from tests.support.customers import ACK, SUPERVISOR_GROUPS, activity, create_customer
from tests.support.tables import all_items

STATUS_CHANGES = {
    "account_enrolled": (Transition.ENROLL, PortalStatus.ENROLLED),
    "account_unlocked": (Transition.UNLOCK, PortalStatus.ENROLLED),
    "account_locked": (Transition.LOCK, PortalStatus.LOCKED),
    "account_deactivated": (Transition.DEACTIVATE, PortalStatus.PERMANENT_LOCK),
    "account_hidden": (Transition.HIDE, PortalStatus.HIDDEN),
}
RECORDED = {"outcome": "recorded"}
PASSWORD_SET = {"password_reset_completed", "recovery_code_redeemed"}
ISSUED = {"password_reset_link_sent", "recovery_code_generated"}


Partitions = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def seeded() -> tuple[Partitions, seed.SeedSummary]:
    """The default seed's items as the bulk load would write them, by partition in key order (moto only
    for the settings)."""
    local = LocalAws(password_hash_log2_n=10).start()
    summary = seed.SeedSummary()
    load = BulkLoad()
    load.add_all(seed.demo_transactions(seed.DEFAULT_CUSTOMERS, summary))
    local.stop()
    partitions: Partitions = {}
    for (pk, _), item in sorted(load.items.items()):
        partitions.setdefault(pk, []).append(item)
    return partitions, summary


def test_bulk_load_writes_what_committing_each_transaction_writes(aws: LocalAws) -> None:
    # Given the writes of a small seed (every status; the showcase: every episode, a cancelled payment)
    transactions = list(seed.demo_transactions(7, seed.SeedSummary()))
    assert len(transactions) > 7
    # When they are committed one by one, as the product's writers would commit them
    for tx in transactions:
        tx.commit()
    committed = all_items()
    batch_write(deletes=[{"pk": item["pk"], "sk": item["sk"]} for item in committed])
    assert all_items() == []
    # Then loading them in bulk leaves exactly the same items (counters summed, sets merged)
    load = BulkLoad()
    load.add_all(transactions)
    assert load.write() == len(committed)
    assert all_items() == committed


def test_a_second_claim_of_a_guarded_key_is_refused(aws: LocalAws) -> None:
    transactions = list(seed.demo_transactions(2, seed.SeedSummary()))
    load = BulkLoad()
    load.add(transactions[0])
    with pytest.raises(ValueError, match="second conditional"):
        load.add(transactions[0])


def test_the_seed_has_every_status_and_a_lockout_by_failed_logins(seeded: Any) -> None:
    partitions, summary = seeded
    statuses = Counter(customer.portal_status for customer in summary.customers)
    assert set(statuses) == set(PortalStatus)
    portals = [profile(partitions, c.tenant_id, c.customer_id)["portal"] for c in summary.customers]
    reasons = Counter(portal.get("lock_reason") for portal in portals if portal["status"] == "locked")
    assert reasons["failed_logins"] >= 3, reasons
    assert len(reasons) >= 4, reasons


def test_every_seeded_history_obeys_the_rules(seeded: Any) -> None:
    partitions, summary = seeded
    for customer in summary.customers:
        tenant_id, customer_id = customer.tenant_id, customer.customer_id
        entries = partitions[keys.activity_pk(tenant_id, customer_id)]
        own = partitions[keys.customer_pk(tenant_id, customer_id)]
        accounts = [item["account_number"] for item in own if item["sk"].startswith(keys.ACCOUNT_SK_PREFIX)]
        paid = {item["payment_id"]: item for item in own if item["sk"].startswith(keys.PAYMENT_SK_PREFIX)}
        counters = partitions[keys.activity_count_pk(tenant_id, customer_id)]
        try:
            check_history(profile(partitions, tenant_id, customer_id), accounts, entries)
            check_deactivations(entries, paid)
            check_counters(counters, entries)
        except AssertionError as failure:
            raise AssertionError(f"{customer_id}: {failure}") from failure


def profile(partitions: Partitions, tenant_id: str, customer_id: str) -> dict[str, Any]:
    return next(item for item in partitions[keys.customer_pk(tenant_id, customer_id)] if item["sk"] == keys.PROFILE_SK)


def check_history(profile: dict[str, Any], account_numbers: list[str], entries: list[dict[str, Any]]) -> None:
    """Replays the log against API.md's rules and compares where it ends with the stored customer."""
    created, *rest = entries
    assert created["type"] == "customer_created"
    assert created["at"] == profile["created_at"]
    status = PortalStatus(created["details"]["portal_status"])
    failed = 0  # the run of counted failures since the last success, password set or unlock
    last_lock: dict[str, Any] | None = None
    last_success: str | None = None
    password = False
    accounts = list(created["details"]["accounts"])
    for index, entry in enumerate(rest, start=1):
        kind, actor, details = entry["type"], entry["actor"], entry["details"]
        assert entry["at"] >= entries[index - 1]["at"], "the log goes back in time"
        if kind in STATUS_CHANGES:
            route, target = STATUS_CHANGES[kind]
            assert TRANSITIONS[status][route] is target, f"{kind} from {status}"
            if kind == "account_locked" and details["reason"] == "failed_logins":
                assert actor["kind"] == "system", "a lock for failed logins is the system's"
                assert failed == MAX_FAILED_LOGINS == details["failed_login_count"], failed
                run = rest[index - 1 - MAX_FAILED_LOGINS : index - 1]
                assert [e["details"].get("failed_login_count") for e in run] == list(range(1, 11))
                assert all(e["actor"]["kind"] == "customer" for e in run)
                assert run[-1]["at"] == entry["at"]
            else:
                assert actor["kind"] == "csr", f"{kind} is a CSR's change"
            if kind == "account_unlocked":
                assert details["previous_status"] == status
                assert details["cleared_failed_logins"] == failed
            if kind in {"account_deactivated", "account_hidden", "account_enrolled"}:
                assert details["previous_status"] == status
            status = target
            failed = 0 if target is PortalStatus.ENROLLED else failed
            last_lock = entry if target is not PortalStatus.ENROLLED else None
        elif kind == "login_succeeded":
            assert status is PortalStatus.ENROLLED, f"a login succeeded while {status}"
            assert password, "a login succeeded with no password set"
            failed, last_success = 0, entry["at"]
        elif kind == "login_failed":
            assert actor["kind"] == "customer"
            if status is PortalStatus.ENROLLED:
                failed += 1
                assert details["failed_login_count"] == failed
                assert details["reason"] == ("wrong_password" if password else "no_password_set")
            else:
                assert details == {"reason": "account_locked", "portal_status": status}, "refused, not counted"
        elif kind in PASSWORD_SET:
            assert status is PortalStatus.ENROLLED, f"{kind} while {status}"
            password, failed = True, 0
        elif kind in ISSUED:
            assert status is PortalStatus.ENROLLED, f"{kind} while {status}"
        elif kind == "account_added":
            assert details["account_number"] not in accounts
            accounts.append(details["account_number"])
    portal = profile["portal"]
    assert portal["status"] == status, "the status is the one the last status-changing entry made"
    assert portal.get("failed_login_count", 0) == failed, "the count is the run of trailing failures"
    assert portal.get("last_access_at") == last_success
    assert ("password_hash" in profile) == password
    if last_lock is None:
        assert portal.get("lock_reason") is None
        assert portal.get("locked_at") is None
    else:
        expected = {"account_deactivated": "deactivated", "account_hidden": "hidden"}
        reason = expected.get(last_lock["type"]) or last_lock["details"]["reason"]
        assert (portal["lock_reason"], portal["locked_at"]) == (reason, last_lock["at"])
        assert portal.get("lock_note") == last_lock["details"].get("note")
    assert sorted(accounts) == sorted(account_numbers), "created with some accounts, the others added"


def check_deactivations(entries: list[dict[str, Any]], payments: dict[str, dict[str, Any]]) -> None:
    """A deactivation cancels every open payment in the same change, each with its entry, and a customer
    deactivated now has none open."""
    for index, entry in enumerate(entries):
        if entry["type"] != "account_deactivated":
            continue
        count = entry["details"]["payments_to_cancel"]
        cancelled = entries[index + 1 : index + 1 + count]
        assert all(e["type"] == "payment_cancelled" and e["at"] == entry["at"] for e in cancelled)
        assert all(payments[e["details"]["payment_id"]]["status"] == "cancelled" for e in cancelled)
    status_changes = [entry["type"] for entry in entries if entry["type"] in STATUS_CHANGES]
    if status_changes and status_changes[-1] == "account_deactivated":
        assert not [p for p in payments.values() if p["status"] in {"scheduled", "pending"}], "left open"


def check_counters(counters: list[dict[str, Any]], entries: list[dict[str, Any]]) -> None:
    """The monthly counters total each type's entries (the log's `total` reads them)."""
    totals = Counter[str]()
    for counter in counters:
        totals.update({name[2:]: int(value) for name, value in counter.items() if name.startswith("n_")})
    assert totals == Counter(entry["type"] for entry in entries)


def test_the_showcase_customer_has_every_activity_type(seeded: Any) -> None:
    # A new activity type needs an episode in infra/seed_history.py (the showcase's story has them all)
    partitions, summary = seeded
    showcase = summary.showcase()
    entries = partitions[keys.activity_pk(showcase.tenant_id, showcase.customer_id)]
    assert {entry["type"] for entry in entries} == set(ActivityType)


def drive_every_activity_type(api: Api) -> list[dict[str, Any]]:
    """The entries the product itself writes for every activity type, on customers driven through its
    routes (and SES's events through the email-events function), oldest first."""
    supervisor = api.as_(groups=SUPERVISOR_GROUPS)
    customer = create_customer(supervisor, 1)
    cid, email = customer["customer_id"], customer["email"]
    assert send_link(supervisor, cid)[0] == 202
    assert reset_password(api, token_from(messages_to(email)[-1]))[0] == 204
    events = next(function for function in template.functions() if function.logical_id == "EmailEventsFunction")
    sent: list[SesEventType] = ["Delivery", "Bounce", "Complaint"]
    for event in sent:
        assert invoke(events, ses_event(messages_to(email)[0].id, event, [email], clock.now())) == RECORDED
    assert log_in(api, email, NEW_PASSWORD) == 200
    assert [log_in(api, email, "not the password at all") for _ in range(10)] == [401] * 10
    assert log_in(api, email, NEW_PASSWORD) == 423
    routes = [
        ("POST", "unlock", None),
        ("POST", "recovery-code", None),
        ("DELETE", "recovery-code", None),
        ("PATCH", "", {"phone": "+1 514 555 0199"}),
        ("POST", "accounts", {**new_customer_body(2)["accounts"][0], "account_number": "ACC-ADDED"}),
        ("POST", "impersonation", None),
        ("POST", "password-reset-link", None),  # voided by the lock that follows
        ("POST", "lock", {"reason": "misuse", "note": "Seen from two cities"}),
        ("POST", "unlock", None),
        ("POST", "hide", None),
        ("POST", "unlock", None),
    ]
    for method, route, body in routes:
        status, answer, _ = supervisor.call(method, f"/customers/{cid}/{route}".rstrip("/"), body)
        assert status < 300, (route, answer)
    status, issued, _ = supervisor.call("POST", f"/customers/{cid}/recovery-code")
    assert status == 201, issued
    assert recover(api, email, wrong_code(issued["code"]))[0] == 400
    assert recover(api, email, issued["code"])[0] == 204
    feed = {"account_number": "ACC-ADDED", "amount": 12.5, "currency": "CAD", "status": "scheduled"}
    payment = {**feed, "scheduled_for": "2030-01-05"}
    assert api.machine("integration").call("PUT", "/integration/payments/PAY-SEED", payment)[0] == 200
    assert supervisor.call("POST", f"/customers/{cid}/deactivate", ACK)[0] == 200
    unenrolled = create_customer(supervisor, 3, enroll_in_portal=False)["customer_id"]
    assert supervisor.call("POST", f"/customers/{unenrolled}/enroll")[0] == 202
    return activity(cid) + activity(unenrolled)


def test_seeded_entries_carry_the_details_the_product_writes(api: Api) -> None:
    # Given what the product writes for each activity type (and by whom)
    driven = drive_every_activity_type(api)
    written = {(entry["type"], entry["actor"]["kind"], tuple(sorted(entry["details"]))) for entry in driven}
    assert {kind for kind, _, _ in written} == set(ActivityType)
    # Then every seeded entry has the shape of one the product writes: its type, actor kind and detail names
    seeded = {
        (entry.type.value, entry.actor.kind, tuple(sorted(entry.details)))
        for tx in seed.demo_transactions(7, seed.SeedSummary())
        for entry in entries_of(tx)
    }
    assert seeded - written == set()


def entries_of(tx: Transaction) -> list[ActivityRecord]:
    items = [operation["Put"]["Item"] for operation in tx.operations if "Put" in operation]
    return [ActivityRecord.model_validate(item) for item in items if "actor" in item]
