"""Client groups through the API: every rule of the provider's guide, synchronous checks and what the worker
applies once the queue is delivered."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from csr import clock
from csr.auth import Caller
from csr.errors import ApiError
from csr.models.groups import CreateGroupRequest
from csr.services import groups
from tests.support.api import Api
from tests.support.faults import Fault, aws_error, injected
from tests.support.groups import (
    PROVIDER,
    bam,
    client_body,
    create_group,
    deliver,
    feed,
    group_of,
    put_clients,
    put_employee,
    request_of,
)


def available_ids(api: Api, **query: str) -> list[str]:
    status, page, _ = bam(api).call("GET", "/groups/available-clients", query=query or None)
    assert status == 200, page
    return [row["client_id"] for row in page["items"]]


def test_the_whole_workflow_of_the_guide(api: Api) -> None:
    ids = put_clients(api, 4)
    put_employee(api, "E1")
    # Given a group created with clients
    group_id, request_id = create_group(api, "Northern importers", ids[:2])
    assert request_of(api, request_id)["status"] == "pending"
    assert group_of(api, group_id)[1]["status"] == "pending"
    deliver()
    done = request_of(api, request_id)
    assert (done["status"], done["items_total"], done["items_done"], done["error"]) == ("completed", 2, 2, None)
    assert done["initiated_by"] == "bam-1@staff.example.com"
    assert done["completed_at"] is not None
    # When it is renamed with CONFIRM, changes clients and gets an employee
    status, patched, _ = bam(api).call(
        "PATCH",
        f"/groups/{group_id}",
        {
            "name": "Northern brokers",
            "add_client_ids": [ids[2]],
            "remove_client_ids": [ids[0]],
            "confirmation": "CONFIRM",
        },
    )
    assert status == 202, patched
    status, assigned, _ = bam(api).call(
        "PUT",
        f"/groups/{group_id}/employees",
        {"assignments": [{"employee_id": "E1", "role": "program_account_manager"}], "confirmation": "CONFIRM"},
    )
    assert status == 202, assigned
    deliver()
    # Then the group shows it all
    status, group = group_of(api, group_id)
    assert status == 200
    assert group["name"] == "Northern brokers"
    assert group["status"] == "active"
    assert [c["client_id"] for c in group["clients"]] == [ids[1], ids[2]]
    assert group["employees"] == [{"employee_id": "E1", "name": "Employee E1", "role": "program_account_manager"}]
    status, listed, _ = bam(api).call("GET", "/groups")
    assert listed["items"][0] | {"created_at": None} == {
        "group_id": group_id,
        "name": "Northern brokers",
        "status": "active",
        "client_count": 2,
        "employee_count": 1,
        "created_at": None,
    }
    assert available_ids(api) == [ids[0], ids[3]]
    # When it is deleted with DELETE
    status, deleted, _ = bam(api).call("DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"})
    assert status == 202, deleted
    deliver()
    assert request_of(api, deleted["request_id"])["status"] == "completed"
    assert group_of(api, group_id)[0] == 404
    assert bam(api).call("GET", "/groups")[1]["items"] == []
    assert available_ids(api) == ids
    # And the process-requests table shows every step, newest first
    status, table, _ = bam(api).call("GET", "/process-requests")
    operations = [row["operation"] for row in table["items"]]
    assert sorted(operations[1:3]) == ["assign_employees", "update_group"]
    assert (operations[0], operations[3]) == ("delete_group", "create_group")
    assert {row["status"] for row in table["items"]} == {"completed"}
    status, completed, _ = bam(api).call("GET", "/process-requests", query={"status": "completed", "limit": "2"})
    assert len(completed["items"]) == 2
    assert completed["next_cursor"]
    status, rest, _ = bam(api).call(
        "GET", "/process-requests", query={"status": "completed", "cursor": completed["next_cursor"]}
    )
    assert [r["request_id"] for r in completed["items"] + rest["items"]] == [r["request_id"] for r in table["items"]]
    assert bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"] == []


@pytest.mark.parametrize(
    "taken",
    [
        "Northern Importers",
        "NORTHERN  importers",
        "Northern\u00a0Importers",
        "\uff2e\uff4f\uff52\uff54\uff48\uff45\uff52\uff4e importers",  # fullwidth letters
    ],
)
def test_a_name_is_unique_after_nfkc_case_folding_and_white_space(api: Api, taken: str) -> None:
    ids = put_clients(api, 2)
    create_group(api, "northern importers", ids[:1])
    status, error, _ = bam(api).call("POST", "/groups", {"name": taken, "client_ids": ids[1:]})
    assert (status, error["error"]["code"]) == (409, "name_taken")


def test_a_deleted_groups_name_stays_taken_and_a_rename_cannot_take_it(api: Api) -> None:
    ids = put_clients(api, 3)
    old_id, _ = create_group(api, "Old name", ids[:1])
    other_id, _ = create_group(api, "Other", ids[1:2])
    deliver()
    bam(api).call("DELETE", f"/groups/{old_id}", query={"confirmation": "DELETE"})
    deliver()
    status, error, _ = bam(api).call("POST", "/groups", {"name": "OLD NAME", "client_ids": ids[2:]})
    assert (status, error["error"]["code"]) == (409, "name_taken")
    status, error, _ = bam(api).call("PATCH", f"/groups/{other_id}", {"name": "old name", "confirmation": "CONFIRM"})
    assert (status, error["error"]["code"]) == (409, "name_taken")


def test_a_group_may_take_back_its_own_name_in_other_case(api: Api) -> None:
    ids = put_clients(api, 1)
    group_id, _ = create_group(api, "acme", ids)
    deliver()
    status, _, _ = bam(api).call("PATCH", f"/groups/{group_id}", {"name": "ACME", "confirmation": "CONFIRM"})
    assert status == 202
    deliver()
    assert group_of(api, group_id)[1]["name"] == "ACME"


@pytest.mark.usefixtures("separate_environments")
def test_two_requests_racing_for_one_name_have_one_winner(api: Api) -> None:
    # Service calls stand in for parallel Lambda instances (one resolver serves one event at a time).
    ids = put_clients(api, 8)
    caller = Caller(
        sub="bam-1", email="bam@p.example.com", tenant_id=PROVIDER, roles=frozenset({"business_account_manager"})
    )
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def create(client_id: str) -> None:
        start.wait()
        try:
            groups.create_group(caller, CreateGroupRequest(name="Same name", client_ids=[client_id]))
            outcomes.append("created")
        except ApiError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=create, args=(cid,)) for cid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["name_taken"] * 7
    assert len(bam(api).call("GET", "/process-requests")[1]["items"]) == 1


def test_a_group_needs_at_least_one_client_and_a_name(api: Api) -> None:
    status, error, _ = bam(api).call("POST", "/groups", {"name": "Empty", "client_ids": []})
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert error["error"]["details"]["fields"][0]["field"] == "client_ids"
    status, error, _ = bam(api).call("POST", "/groups", {"name": " ", "client_ids": ["C1"]})
    assert (status, error["error"]["code"]) == (422, "validation_error")
    status, error, _ = bam(api).call("POST", "/groups", {"name": "x" * 101, "client_ids": ["C1"]})
    assert (status, error["error"]["code"]) == (422, "validation_error")


def test_only_clients_with_an_active_unexpired_relationship_and_no_group_are_available(api: Api) -> None:
    active = put_clients(api, 2, prefix="A")
    pending = put_clients(api, 1, prefix="P", status="pending")
    expired = put_clients(api, 1, prefix="X", status="expired")
    ending = put_clients(api, 1, prefix="S", days=1)
    grouped = put_clients(api, 1, prefix="G")
    create_group(api, "Holder", grouped)
    deliver()
    clock.advance(2 * 86400)  # the relationship of S ends without any feed saying so
    assert available_ids(api) == [active[0], active[1]]
    status, error, _ = bam(api).call(
        "POST", "/groups", {"name": "New", "client_ids": [*active, *pending, *expired, *ending, *grouped, "UNKNOWN"]}
    )
    assert (status, error["error"]["code"]) == (422, "clients_unavailable")
    assert error["error"]["details"]["client_ids"] == [*pending, *expired, *ending, *grouped, "UNKNOWN"]
    # nothing was written: the name is still free
    create_group(api, "New", active)


def test_a_client_may_be_in_groups_of_several_providers(api: Api) -> None:
    put_clients(api, 1, tenant_id="provider-a")
    put_clients(api, 1, tenant_id="provider-b")
    create_group(api, "A's group", ["C00000"])
    status, created, _ = bam(api, "provider-b").call("POST", "/groups", {"name": "B's group", "client_ids": ["C00000"]})
    assert status == 202
    deliver()
    for provider in ("provider-a", "provider-b"):
        (group,) = bam(api, provider).call("GET", "/groups")[1]["items"]
        assert group["client_count"] == 1
    theirs = bam(api, "provider-b").call("GET", f"/groups/{created['group_id']}")[1]
    assert [c["client_id"] for c in theirs["clients"]] == ["C00000"]
    assert available_ids(api) == []


def test_adding_a_client_of_another_group_is_refused(api: Api) -> None:
    ids = put_clients(api, 2)
    create_group(api, "First", ids[:1])
    second, _ = create_group(api, "Second", ids[1:])
    deliver()
    status, error, _ = bam(api).call(
        "PATCH", f"/groups/{second}", {"add_client_ids": ids[:1], "confirmation": "CONFIRM"}
    )
    assert (status, error["error"]["code"], error["error"]["details"]["client_ids"]) == (
        422,
        "clients_unavailable",
        ids[:1],
    )


@pytest.mark.parametrize("word", [None, "", "confirm", "DELETE", " CONFIRM"])
def test_patch_and_assignments_need_confirm_before_anything_else(api: Api, word: str | None) -> None:
    # an unknown group and invalid fields: the confirmation word is still what is answered
    body: dict[str, Any] = {"add_client_ids": "not a list", "name": ""} | (
        {} if word is None else {"confirmation": word}
    )
    status, error, _ = bam(api).call("PATCH", "/groups/grp_unknown", body)
    assert (status, error["error"]["code"]) == (422, "confirmation_required")
    body = {"assignments": [{"employee_id": "E1", "role": "owner"}]} | ({} if word is None else {"confirmation": word})
    status, error, _ = bam(api).call("PUT", "/groups/grp_unknown/employees", body)
    assert (status, error["error"]["code"]) == (422, "confirmation_required")


@pytest.mark.parametrize("query", [None, {"confirmation": "delete"}, {"confirmation": "CONFIRM"}])
def test_delete_needs_the_word_delete_before_anything_else(api: Api, query: dict[str, str] | None) -> None:
    status, error, _ = bam(api).call("DELETE", "/groups/grp_unknown", query=query)
    assert (status, error["error"]["code"]) == (422, "confirmation_required")


def test_with_confirmation_an_unknown_or_foreign_group_is_404(api: Api) -> None:
    ids = put_clients(api, 1)
    group_id, request_id = create_group(api, "Mine", ids)
    other = bam(api, "provider-b")
    assert other.call("GET", f"/groups/{group_id}")[0] == 404
    assert other.call("GET", f"/process-requests/{request_id}")[0] == 404
    assert other.call("DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"})[0] == 404
    assert other.call("PATCH", f"/groups/{group_id}", {"name": "Theirs", "confirmation": "CONFIRM"})[0] == 404
    assert bam(api).call("DELETE", "/groups/grp_unknown", query={"confirmation": "DELETE"})[0] == 404


def test_only_business_account_managers_manage_groups(api: Api) -> None:
    for groups_claim in (["csr"], ["integration"], ["csr_supervisor"]):
        status, error, _ = api.as_roles(groups_claim, tenant_id=PROVIDER).call("GET", "/groups")
        assert (status, error["error"]["code"]) == (403, "forbidden")


def test_employees_get_a_per_group_role_and_business_account_managers_cannot_be_assigned(api: Api) -> None:
    ids = put_clients(api, 1)
    put_employee(api, "E1", role="read_only")
    put_employee(api, "E2", role="editor")
    put_employee(api, "BAM1", role="business_account_manager")
    group_id, _ = create_group(api, "Staffed", ids)
    status, error, _ = bam(api).call(
        "PUT",
        f"/groups/{group_id}/employees",
        {
            "assignments": [
                {"employee_id": "E1", "role": "editor"},
                {"employee_id": "BAM1", "role": "read_only"},
                {"employee_id": "NOBODY", "role": "read_only"},
            ],
            "confirmation": "CONFIRM",
        },
    )
    assert (status, error["error"]["code"], error["error"]["details"]["employee_ids"]) == (
        422,
        "employees_unavailable",
        ["BAM1", "NOBODY"],
    )
    for assignments in (
        [{"employee_id": "E1", "role": "program_account_manager"}, {"employee_id": "E2", "role": "read_only"}],
        [{"employee_id": "E2", "role": "editor"}],
    ):
        status, _, _ = bam(api).call(
            "PUT", f"/groups/{group_id}/employees", {"assignments": assignments, "confirmation": "CONFIRM"}
        )
        assert status == 202
        deliver()
    group = group_of(api, group_id)[1]
    assert group["employees"] == [{"employee_id": "E2", "name": "Employee E2", "role": "editor"}]
    assert bam(api).call("GET", "/groups")[1]["items"][0]["employee_count"] == 1


def test_available_clients_by_name_or_business_number_paged(api: Api) -> None:
    for client_id, name, number in (
        ("K1", "Érable Imports", "111 222"),
        ("K2", "Erable Exports", "333 444"),
        ("K3", "Maple Trading", "ERA 999"),
        ("K4", "Other", "555"),
    ):
        feed(api).call("PUT", f"/integration/clients/{client_id}", client_body(name, number=number))
    assert available_ids(api, q="erable") == ["K2", "K1"]
    assert available_ids(api, q="era") == ["K2", "K1", "K3"]
    assert available_ids(api, q="333") == ["K2"]
    status, first, _ = bam(api).call("GET", "/groups/available-clients", query={"q": "era", "limit": "2"})
    assert [r["client_id"] for r in first["items"]] == ["K2", "K1"]
    status, second, _ = bam(api).call(
        "GET", "/groups/available-clients", query={"q": "era", "limit": "2", "cursor": first["next_cursor"]}
    )
    assert [r["client_id"] for r in second["items"]] == ["K3"]
    assert first["items"][0] == {
        "client_id": "K2",
        "name": "Erable Exports",
        "business_number": "333 444",
        "relationship_expires_at": first["items"][0]["relationship_expires_at"],
    }
    status, error, _ = bam(api).call(
        "GET", "/groups/available-clients", query={"q": "other", "cursor": first["next_cursor"]}
    )
    assert (status, error["error"]["code"]) == (400, "invalid_cursor")


def test_a_feed_update_that_renames_a_client_reindexes_it(api: Api) -> None:
    feed(api).call("PUT", "/integration/clients/K1", client_body("Old Name", number="777"))
    feed(api).call("PUT", "/integration/clients/K1", client_body("New Name", number="888"))
    assert available_ids(api, q="old") == []
    assert available_ids(api, q="777") == []
    assert available_ids(api, q="new") == ["K1"]


def test_an_expired_relationship_from_the_feed_takes_the_client_out_of_its_group(api: Api) -> None:
    ids = put_clients(api, 3)
    group_id, _ = create_group(api, "Expiring", ids)
    deliver()
    # When the feed says the relationship of one client ended, and the end date of another has passed
    feed(api).call("PUT", f"/integration/clients/{ids[0]}", client_body("Client C 00000", status="expired"))
    feed(api).call("PUT", f"/integration/clients/{ids[1]}", client_body("Client C 00001", days=-1))
    pending = bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"]
    assert [(r["operation"], r["initiated_by"], r["group_id"]) for r in pending] == [
        ("remove_expired_clients", "system", group_id)
    ] * 2
    deliver()
    # Then both are out of the group, and not available either
    group = group_of(api, group_id)[1]
    assert [c["client_id"] for c in group["clients"]] == [ids[2]]
    assert bam(api).call("GET", "/groups")[1]["items"][0]["client_count"] == 1
    assert available_ids(api) == []
    done = bam(api).call("GET", "/process-requests", query={"status": "completed"})[1]["items"]
    assert [r["operation"] for r in done[:2]] == ["remove_expired_clients"] * 2


def test_a_relationship_renewed_before_the_worker_runs_keeps_its_client(api: Api) -> None:
    ids = put_clients(api, 1)
    group_id, _ = create_group(api, "Renewed", ids)
    deliver()
    feed(api).call("PUT", f"/integration/clients/{ids[0]}", client_body("Client C 00000", status="expired"))
    feed(api).call("PUT", f"/integration/clients/{ids[0]}", client_body("Client C 00000", days=365))
    deliver()
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == ids


def test_feeds_refuse_bad_input_with_422(api: Api) -> None:
    body = client_body("X") | {"relationship": {"status": "approved", "expires_at": "tomorrow"}}
    status, error, _ = feed(api).call("PUT", "/integration/clients/K1", body)
    assert (status, error["error"]["code"]) == (422, "validation_error")
    status, error, _ = feed(api).call(
        "PUT", "/integration/employees/E1", {"name": "E", "email": "e@x.example.com", "role": "owner"}
    )
    assert (status, error["error"]["code"]) == (422, "validation_error")


def test_idempotency_key_on_create_returns_the_first_answer(api: Api) -> None:
    ids = put_clients(api, 2)
    headers = {"Idempotency-Key": "create-1"}
    body = {"name": "Once", "client_ids": ids[:1]}
    first = bam(api).call("POST", "/groups", body, headers=headers)
    again = bam(api).call("POST", "/groups", body, headers=headers)
    assert first[0] == again[0] == 202
    assert first[1] == again[1]
    status, error, _ = bam(api).call("POST", "/groups", {"name": "Once", "client_ids": ids}, headers=headers)
    assert (status, error["error"]["code"]) == (422, "idempotency_key_reused")
    assert len(bam(api).call("GET", "/process-requests")[1]["items"]) == 1


def test_a_queue_failure_answers_503_and_leaves_nothing_pending(api: Api) -> None:
    ids = put_clients(api, 1)
    unavailable = Fault("sqs", "SendMessage", lambda operation: aws_error("ServiceUnavailable", operation, 503))
    with injected(unavailable):
        status, error, _ = bam(api).call("POST", "/groups", {"name": "Unqueued", "client_ids": ids})
    assert unavailable.raised == 1
    assert (status, error["error"]["code"]) == (503, "dependency_unavailable")
    assert bam(api).call("GET", "/process-requests")[1]["items"] == []
    assert bam(api).call("GET", "/groups")[1]["items"] == []
    # the name was given back: the retry succeeds
    create_group(api, "Unqueued", ids)


def test_a_rename_back_that_cannot_be_queued_keeps_the_former_name_taken(api: Api) -> None:
    ids = put_clients(api, 2)
    group_id, _ = create_group(api, "Alpha", ids[:1])
    deliver()
    assert bam(api).call("PATCH", f"/groups/{group_id}", {"name": "Beta", "confirmation": "CONFIRM"})[0] == 202
    deliver()
    unavailable = Fault("sqs", "SendMessage", lambda operation: aws_error("ServiceUnavailable", operation, 503))
    with injected(unavailable):
        status, error, _ = bam(api).call("PATCH", f"/groups/{group_id}", {"name": "Alpha", "confirmation": "CONFIRM"})
    assert (status, error["error"]["code"]) == (503, "dependency_unavailable")
    # Alpha was this group's name: it stays taken for good, the failed request notwithstanding
    status, error, _ = bam(api).call("POST", "/groups", {"name": "ALPHA", "client_ids": ids[1:]})
    assert (status, error["error"]["code"]) == (409, "name_taken")
    assert bam(api).call("GET", f"/groups/{group_id}")[1]["name"] == "Beta"


def test_a_request_for_a_group_deleted_meanwhile_fails_with_a_reason(api: Api) -> None:
    ids = put_clients(api, 2)
    group_id, _ = create_group(api, "Short lived", ids[:1])
    deliver()
    bam(api).call("DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"})
    status, patched, _ = bam(api).call(
        "PATCH", f"/groups/{group_id}", {"add_client_ids": ids[1:], "confirmation": "CONFIRM"}
    )
    assert status == 202
    deliver()
    late = request_of(api, patched["request_id"])
    assert (late["status"], late["error"]) == ("failed", "The group was deleted before this change could be applied.")
    assert available_ids(api) == ids


def test_clock_moves_the_availability_not_the_group(api: Api) -> None:
    ids = put_clients(api, 1, days=1)
    clock.advance(timedelta(days=2).total_seconds())
    status, error, _ = bam(api).call("POST", "/groups", {"name": "Too late", "client_ids": ids})
    assert (status, error["error"]["code"]) == (422, "clients_unavailable")


def test_relationships_ending_by_date_take_their_clients_out_once(api: Api) -> None:
    from csr.services import relationships

    ending = put_clients(api, 3, prefix="S", days=1)
    lasting = put_clients(api, 1, prefix="L", days=30)
    group_id, _ = create_group(api, "Ending", [*ending, *lasting])
    other_id, _ = create_group(api, "Other ending", put_clients(api, 1, prefix="O", days=1))
    deliver()
    # one client's relationship is renewed by the feed before it ends
    feed(api).call("PUT", f"/integration/clients/{ending[2]}", client_body("Client S 00002", days=365))
    # When the end date passes with no feed saying so, and the cleanup's step runs
    clock.advance(2 * 86400)
    assert relationships.take_out_expired(clock.now().date() - timedelta(days=7), clock.now(), lambda: True)[0] == 3
    pending = bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"]
    assert sorted((r["group_id"], r["items_total"], r["initiated_by"]) for r in pending) == sorted(
        [(group_id, 2, "system"), (other_id, 1, "system")]
    )
    deliver()
    # Then the ended ones are out, the renewed and lasting ones stay, and a second run does nothing more
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == [*lasting, ending[2]]
    assert group_of(api, other_id)[1]["clients"] == []
    assert relationships.take_out_expired(clock.now().date() - timedelta(days=7), clock.now(), lambda: True)[0] == 0
    assert bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"] == []


def test_idempotency_key_on_delete_patch_and_assignments(api: Api) -> None:
    ids = put_clients(api, 1)
    put_employee(api, "E1")
    group_id, _ = create_group(api, "Keyed", ids)
    deliver()
    calls = [
        ("PATCH", f"/groups/{group_id}", {"name": "Keyed again", "confirmation": "CONFIRM"}, None),
        ("PUT", f"/groups/{group_id}/employees", {"assignments": [], "confirmation": "CONFIRM"}, None),
        ("DELETE", f"/groups/{group_id}", None, {"confirmation": "DELETE"}),
    ]
    for n, (method, path, body, query) in enumerate(calls):
        headers = {"Idempotency-Key": f"key-{n}"}
        first = bam(api).call(method, path, body, query=query, headers=headers)
        again = bam(api).call(method, path, body, query=query, headers=headers)
        assert first[0] == again[0] == 202, first
        assert first[1] == again[1]
    assert len(bam(api).call("GET", "/process-requests")[1]["items"]) == 4
