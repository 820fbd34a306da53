"""The table checker: the seeded `make serve` data passes; a table broken by hand fails, naming the item,
one test per invariant; `--repair` mends the derived items and leaves the items people wrote alone."""

from __future__ import annotations

import copy
import io
from datetime import timedelta
from typing import Any

import pytest

from csr import clock
from csr.data import dynamo, keys
from csr.data.due import Kind
from csr.data.invariants import INVARIANTS, Key, Snapshot, key_of, violations
from infra import check_table
from infra.local_aws import LocalAws
from tests.support.faults import drop_clients

Items = dict[Key, dict[str, Any]]


@pytest.fixture(scope="module")
def seeded_items() -> list[dict[str, Any]]:
    """The data `make serve` starts with (fewer customers), built as `make check-table` builds it."""
    from csr.settings import get_settings

    get_settings.cache_clear()
    drop_clients()
    local = check_table.seed_as_serve(customers=8)
    try:
        return list(check_table.scan(check_table.local_table(), 1e9))
    finally:
        clock.reset()
        local.stop()
        drop_clients()


@pytest.fixture
def items(seeded_items: list[dict[str, Any]]) -> Items:
    return {key_of(item): item for item in copy.deepcopy(seeded_items)}


@pytest.fixture
def seeded(aws: LocalAws, seeded_items: list[dict[str, Any]]) -> Any:
    """A table holding the seeded data."""
    table = check_table.local_table()
    with table.batch_writer() as batch:
        for item in seeded_items:
            batch.put_item(Item=item)
    return table


def is_posting(item: dict[str, Any]) -> bool:
    return bool(str(item["pk"]).startswith("T#") and str(item["pk"]).split("#")[2] == "S")


def broken(items: Items) -> list[str]:
    """The violations of the table as `items`, each as the checker prints it."""
    return [str(violation) for violation in violations(Snapshot(items))]


def named(found: list[str], invariant: str, key: Key) -> bool:
    return any(line.startswith(f"{invariant}:") and f"pk={key[0]!r} sk={key[1]!r}" in line for line in found)


def first(items: Items, test: Any) -> dict[str, Any]:
    return next(item for item in items.values() if test(item))


def profile_of(items: Items, status: str) -> dict[str, Any]:
    return first(items, lambda i: i["sk"] == keys.PROFILE_SK and i.get("portal", {}).get("status") == status)


def test_the_seeded_data_passes_every_invariant(seeded: Any) -> None:
    out = io.StringIO()
    assert check_table.check(seeded, out=out) == 0, out.getvalue()
    assert out.getvalue().endswith(" violations\n")
    assert " 0 violations" in out.getvalue()
    assert len(INVARIANTS) == 11


def test_a_missing_posting_is_named(items: Items) -> None:
    posting = first(items, is_posting)
    del items[key_of(posting)]
    assert named(broken(items), "search_postings_match_profiles", key_of(posting))


def test_a_stale_card_is_named(items: Items) -> None:
    posting = first(items, lambda i: is_posting(i) and "ln" in i)
    posting["ln"] = "someone else"
    assert named(broken(items), "search_postings_match_profiles", key_of(posting))


def test_a_district_counter_off_by_one_is_named(items: Items) -> None:
    counter = first(items, lambda i: i["pk"].endswith("#DISTRICTS"))
    counter["customers"] += 1
    assert named(broken(items), "district_counters_match_accounts", key_of(counter))


def test_a_lost_email_guard_and_a_guard_with_no_owner_are_named(items: Items) -> None:
    guard = first(items, lambda i: "#EMAIL#" in i["pk"])
    del items[key_of(guard)]
    stray = {"pk": keys.account_guard_pk("utility-a", "ACC-NOBODY"), "sk": keys.UNIQUE_SK, "customer_id": "c_x"}
    items[key_of(stray)] = stray
    found = broken(items)
    assert named(found, "customer_guards_match_owners", key_of(guard))
    assert named(found, "customer_guards_match_owners", key_of(stray))


def test_a_group_without_its_name_guard_is_named(items: Items) -> None:
    guard = first(items, lambda i: "#GNAME#" in i["pk"])
    del items[key_of(guard)]
    assert named(broken(items), "group_name_guards_match_groups", key_of(guard))


def test_a_group_counting_wrong_is_named(items: Items) -> None:
    group = first(items, lambda i: i["sk"] == keys.GROUP_SK)
    group["client_count"] += 1
    assert named(broken(items), "memberships_match_groups", key_of(group))


def test_a_membership_in_a_deleted_group_is_named(items: Items) -> None:
    group = first(items, lambda i: i["sk"] == keys.GROUP_SK)
    group["status"] = "deleted"
    member = first(items, lambda i: i["sk"] == keys.MEMBERSHIP_SK and i["group_id"] == group["group_id"])
    found = broken(items)
    assert named(found, "memberships_match_groups", key_of(member))
    assert named(found, "group_name_guards_match_groups", key_of(group))  # still listed


def test_a_client_missing_from_its_index_is_named(items: Items) -> None:
    entry = first(items, lambda i: i["pk"].endswith("#AVAILABLE"))
    del items[key_of(entry)]
    assert named(broken(items), "client_index_matches_profiles", key_of(entry))


def test_a_relationship_end_date_not_indexed_is_named(items: Items) -> None:
    now = clock.now()
    entry = first(items, lambda i: i["pk"].startswith("RELEXP#") and clock.parse_iso(i["sk"].split("#")[0]) > now)
    del items[key_of(entry)]
    assert named(broken(items), "relationship_end_dates_match_clients", key_of(entry))


def test_a_deactivation_marker_of_an_active_customer_is_named(items: Items) -> None:
    profile = profile_of(items, "enrolled")
    marker = {
        "pk": profile["pk"],
        "sk": keys.DEACTIVATION_SK,
        "started_at": "2026-01-01T00:00:00.000000Z",
        "cancelled": {"pay-unknown"},
    }
    items[key_of(marker)] = marker
    found = broken(items)
    assert named(found, "deactivation_markers_match_payments", key_of(marker))
    assert any("pay-unknown has no activity entry" in line for line in found)


def recovery_code(profile: dict[str, Any]) -> dict[str, Any]:
    expires = clock.now() + timedelta(hours=24)
    return {
        "pk": profile["pk"],
        "sk": keys.RECOVERY_CODE_SK,
        "code_hash": "h",
        "created_by": "csr-1",
        "created_at": clock.iso(clock.now()),
        "failed_attempts": 0,
        **dynamo.expiring(expires, Kind.RECOVERY_CODE),
    }


def test_a_recovery_code_of_a_locked_customer_is_named(items: Items) -> None:
    code = recovery_code(profile_of(items, "locked"))
    items[key_of(code)] = code
    assert named(broken(items), "credentials_only_while_enrolled", key_of(code))


def test_a_credential_missing_from_the_due_index_is_named(items: Items) -> None:
    code = recovery_code(profile_of(items, "enrolled"))
    items[key_of(code)] = code
    assert broken(items) == []
    del code["due_pk"]
    assert named(broken(items), "due_entries_match_what_falls_due", key_of(code))


def test_a_credential_left_behind_by_the_cleanup_is_named(items: Items) -> None:
    code = recovery_code(profile_of(items, "enrolled"))
    items[key_of(code)] = code
    clock.advance(3 * 86400)  # the cleanup's mark moves past it (as a run there would have deleted it)
    try:
        mark = items[(keys.CLEANUP_MARK_PK, keys.UNIQUE_SK)]
        mark["due_hour"] = clock.now().strftime("%Y-%m-%dT%H")
        assert named(broken(items), "due_entries_match_what_falls_due", key_of(code))
    finally:
        clock.advance(-3 * 86400)


def test_an_activity_counter_off_by_one_is_named(items: Items) -> None:
    counter = first(items, lambda i: i["pk"].endswith("#ACTCOUNT") and any(a.startswith("n_") for a in i))
    attribute = next(a for a in counter if a.startswith("n_"))
    counter[attribute] += 1
    assert named(broken(items), "activity_matches_changes", key_of(counter))


def test_the_checker_prints_the_keys_and_exits_1(seeded: Any) -> None:
    posting = next(i for i in check_table.scan(seeded, 1e9) if is_posting(i))
    seeded.delete_item(Key={"pk": posting["pk"], "sk": posting["sk"]})
    out = io.StringIO()
    try:
        assert check_table.check(seeded, out=out) == 1
        assert f"pk={posting['pk']!r} sk={posting['sk']!r}" in out.getvalue()
        assert out.getvalue().splitlines()[-1].endswith(" 1 violations")
    finally:
        seeded.put_item(Item=posting)


def test_repair_mends_derived_items_and_never_an_item_people_wrote(seeded: Any) -> None:
    before = {key_of(item): item for item in check_table.scan(seeded, 1e9)}
    # Given derived items broken: a posting gone, a stray one, a counter off, an activity counter off
    posting = next(item for item in before.values() if is_posting(item))
    seeded.delete_item(Key={"pk": posting["pk"], "sk": posting["sk"]})
    seeded.put_item(Item={**posting, "sk": "zzz#" + str(posting["customer_id"])})
    counter = next(item for key, item in before.items() if key[0].endswith("#DISTRICTS"))
    seeded.update_item(
        Key={"pk": counter["pk"], "sk": counter["sk"]},
        UpdateExpression="SET customers = :n",
        ExpressionAttributeValues={":n": 99},
    )
    # and an item people wrote broken too: a customer's email guard lost
    guard = next(item for key, item in before.items() if "#EMAIL#" in key[0])
    seeded.delete_item(Key={"pk": guard["pk"], "sk": guard["sk"]})
    # When repaired
    out = io.StringIO()
    assert check_table.check(seeded, repair=True, out=out) == 1
    # Then the derived items are as before, and only the guard is still reported
    lines = out.getvalue().splitlines()
    assert lines[0] == "repaired 3 derived items"
    (reported,) = lines[1:-1]
    assert reported.startswith("customer_guards_match_owners:")
    assert guard["pk"] in reported
    after = {key_of(item): item for item in check_table.scan(seeded, 1e9)}
    assert {key: item for key, item in after.items() if key != key_of(guard)} == {
        key: item for key, item in before.items() if key != key_of(guard)
    }
    seeded.put_item(Item=guard)
    assert check_table.check(seeded, out=io.StringIO()) == 0
