"""The client-group contract changes of issue 25: the employee list, a reason per refused client, the new name
of a rename's request, names compared after NFKC and refused when invisible or mixed-script, a repeated
confirmation, the available index kept with memberships, and a group's clients read a page at a time."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from csr import clock
from csr.data import keys
from csr.services import group_worker
from infra.apigw import claims_for, invoke, rest_event, template_route
from infra.schedules import run_once, schedule_of
from infra.sqs_delivery import CountdownContext, SqsDelivery
from tests.support.api import Api
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
from tests.support.tables import all_items, table


def available_entries(tenant_id: str = PROVIDER) -> list[str]:
    """The sort keys of the provider's available index, as stored."""
    found = table().query(KeyConditionExpression=Key("pk").eq(keys.available_index_pk(tenant_id)))["Items"]
    return [str(item["sk"]) for item in found]


def available_ids(api: Api, **query: str) -> list[str]:
    status, page, _ = bam(api).call("GET", "/groups/available-clients", query=query or None)
    assert status == 200, page
    return [row["client_id"] for row in page["items"]]


def refusal(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    status, answer, _ = bam(api).call("POST", "/groups", body)
    assert status == 422, answer
    return dict(answer["error"])


# --- GET /employees ---------------------------------------------------------------------------------


def test_the_employee_list_shows_roles_assignability_and_groups_by_name(api: Api) -> None:
    ids = put_clients(api, 2)
    put_employee(api, "E2", role="editor")
    put_employee(api, "E1", role="business_account_manager")
    put_employee(api, "E3", role="read_only")
    group_id, _ = create_group(api, "Harbour", ids)
    status, _, _ = bam(api).call(
        "PUT",
        f"/groups/{group_id}/employees",
        {"assignments": [{"employee_id": "E2", "role": "program_account_manager"}], "confirmation": "CONFIRM"},
    )
    assert status == 202
    deliver()
    status, page, _ = bam(api).call("GET", "/employees")
    assert status == 200, page
    assert page == {
        "items": [
            {
                "employee_id": "E1",
                "name": "Employee E1",
                "email": "e1@provider.example.com",
                "role": "business_account_manager",
                "assignable": False,
                "groups": [],
            },
            {
                "employee_id": "E2",
                "name": "Employee E2",
                "email": "e2@provider.example.com",
                "role": "editor",
                "assignable": True,
                "groups": [{"group_id": group_id, "group_name": "Harbour", "role": "program_account_manager"}],
            },
            {
                "employee_id": "E3",
                "name": "Employee E3",
                "email": "e3@provider.example.com",
                "role": "read_only",
                "assignable": True,
                "groups": [],
            },
        ],
        "next_cursor": None,
    }


def test_a_deleted_group_leaves_the_employee_list(api: Api) -> None:
    ids = put_clients(api, 1)
    put_employee(api, "E1")
    group_id, _ = create_group(api, "Gone", ids)
    assignment = {"assignments": [{"employee_id": "E1", "role": "editor"}], "confirmation": "CONFIRM"}
    assert bam(api).call("PUT", f"/groups/{group_id}/employees", assignment)[0] == 202
    deliver()
    assert bam(api).call("DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"})[0] == 202
    deliver()
    assert bam(api).call("GET", "/employees")[1]["items"][0]["groups"] == []


@pytest.mark.parametrize(
    ("q", "found"),
    [("nad", ["E1"]), ("ROY", ["E1"]), ("gagnon.m", ["E2"]), ("marc gag", ["E2"]), ("côté", ["E3"]), ("zz", [])],
)
def test_employees_are_found_by_a_word_of_their_name_or_email(api: Api, q: str, found: list[str]) -> None:
    people = {"E1": ("Nadia Roy", "nadia@p.example.com"), "E2": ("Marc Gagnon", "gagnon.marc@p.example.com")}
    people["E3"] = ("Julie Côté", "julie@p.example.com")
    for employee_id, (name, email) in people.items():
        body = {"name": name, "email": email, "role": "editor"}
        assert feed(api).call("PUT", f"/integration/employees/{employee_id}", body)[0] == 200
    status, page, _ = bam(api).call("GET", "/employees", query={"q": q})
    assert status == 200, page
    assert [row["employee_id"] for row in page["items"]] == found


def test_an_employee_renamed_by_the_feed_is_found_by_the_new_name_only(api: Api) -> None:
    body = {"name": "Ana Silva", "email": "ana@p.example.com", "role": "editor"}
    assert feed(api).call("PUT", "/integration/employees/E1", body)[0] == 200
    assert feed(api).call("PUT", "/integration/employees/E1", {**body, "name": "Ana Costa"})[0] == 200
    assert bam(api).call("GET", "/employees", query={"q": "silva"})[1]["items"] == []
    assert [r["name"] for r in bam(api).call("GET", "/employees", query={"q": "costa"})[1]["items"]] == ["Ana Costa"]
    index = [i for i in all_items() if i["pk"] == keys.employee_index_pk(PROVIDER)]
    assert sorted(str(i["sk"]).split("#")[1] for i in index) == ["ana", "ana costa", "com", "costa", "example", "p"]


def test_employees_page_through_with_a_cursor_and_stay_in_their_tenant(api: Api) -> None:
    for n in range(5):
        put_employee(api, f"E{n}")
    put_employee(api, "X1", tenant_id="provider-b")
    status, first, _ = bam(api).call("GET", "/employees", query={"limit": "3"})
    assert status == 200
    status, second, _ = bam(api).call("GET", "/employees", query={"limit": "3", "cursor": first["next_cursor"]})
    assert status == 200
    listed = [row["employee_id"] for row in first["items"] + second["items"]]
    assert (listed, second["next_cursor"]) == (["E0", "E1", "E2", "E3", "E4"], None)
    other = bam(api, "provider-b").call("GET", "/employees", query={"cursor": first["next_cursor"]})
    assert (other[0], other[1]["error"]["code"]) == (400, "invalid_cursor")


def test_a_csr_may_not_list_employees(csr: Api) -> None:
    status, answer, _ = csr.call("GET", "/employees")
    assert (status, answer["error"]["code"]) == (403, "forbidden")


# --- a reason per refused client ----------------------------------------------------------------------


@dataclass
class OneChunk(CountdownContext):
    """The worker's context: time for one chunk of clients, then too little (the request stays pending)."""

    asked: list[int] = field(default_factory=list)

    def get_remaining_time_in_millis(self) -> int:
        self.asked.append(1)
        return 60_000 if len(self.asked) == 1 else 1_000


def test_each_refused_client_has_its_reason(api: Api) -> None:
    ids = put_clients(api, group_worker.CLIENT_CHUNK + 4)
    pending = put_clients(api, 1, prefix="P", status="pending")
    grouped, halfway = ids[0], ids[1]
    create_group(api, "Done", [grouped])
    deliver()
    # Given a request that has put its first chunk of clients in a group and is still pending
    _, waiting = create_group(api, "Halfway", ids[1:])
    SqsDelivery(
        visibility_timeout=0, context_factory=lambda source: OneChunk(source.function.logical_id, 60)
    ).deliver_once()
    assert request_of(api, waiting)["status"] == "pending"
    # When a group is asked for with clients of every kind
    error = refusal(api, {"name": "Wanted", "client_ids": ["NOPE", pending[0], grouped, halfway, ids[-1]]})
    # Then each refused one says why, and the available one is not listed
    assert error["code"] == "clients_unavailable"
    assert error["details"]["clients"] == [
        {"client_id": "NOPE", "reason": "unknown"},
        {"client_id": pending[0], "reason": "no_active_relationship"},
        {"client_id": grouped, "reason": "in_group"},
        {"client_id": halfway, "reason": "change_pending"},
    ]
    assert error["details"]["client_ids"] == ["NOPE", pending[0], grouped, halfway]
    assert error["details"]["count"] == 4


def test_an_expired_relationship_is_refused_with_its_reason_on_an_edit(api: Api) -> None:
    ids = put_clients(api, 2)
    group_id, _ = create_group(api, "Edited", ids[:1])
    deliver()
    assert feed(api).call("PUT", f"/integration/clients/{ids[1]}", client_body("Late", days=-1))[0] == 200
    status, answer, _ = bam(api).call(
        "PATCH", f"/groups/{group_id}", {"add_client_ids": [ids[1]], "confirmation": "CONFIRM"}
    )
    assert (status, answer["error"]["details"]["clients"]) == (
        422,
        [{"client_id": ids[1], "reason": "no_active_relationship"}],
    )


# --- process requests name the new name of a rename ---------------------------------------------------


def test_a_rename_request_shows_the_name_it_was_made_under_and_the_new_name(api: Api) -> None:
    ids = put_clients(api, 1)
    group_id, created = create_group(api, "Old name", ids)
    deliver()
    status, renamed, _ = bam(api).call("PATCH", f"/groups/{group_id}", {"name": "New name", "confirmation": "CONFIRM"})
    assert status == 202
    deliver()
    request = request_of(api, renamed["request_id"])
    assert (request["group_name"], request["new_name"], request["status"]) == ("Old name", "New name", "completed")
    assert request_of(api, created)["new_name"] is None
    listed = bam(api).call("GET", "/process-requests")[1]["items"]
    assert [(r["group_name"], r["new_name"]) for r in listed] == [("Old name", "New name"), ("Old name", None)]


# --- names --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "Ending\u200bsoon",  # zero-width space
        "Ending\u00adsoon",  # soft hyphen
        "Ending \u202esoon",  # right-to-left override
        "\u0410cme imports",  # a Cyrillic A in a Latin word
        "Acme \u03b9mports",  # a Greek iota in a Latin word
    ],
)
def test_an_invisible_or_mixed_script_name_is_refused(api: Api, name: str) -> None:
    ids = put_clients(api, 1)
    error = refusal(api, {"name": name, "client_ids": ids})
    assert error["code"] == "validation_error"
    assert [f["field"] for f in error["details"]["fields"]] == ["name"]
    group_id, _ = create_group(api, "Fine", ids)
    status, answer, _ = bam(api).call("PATCH", f"/groups/{group_id}", {"name": name, "confirmation": "CONFIRM"})
    assert (status, answer["error"]["code"]) == (422, "validation_error")
    assert [r["operation"] for r in bam(api).call("GET", "/process-requests")[1]["items"]] == ["create_group"]


def test_names_in_several_scripts_word_by_word_are_fine(api: Api) -> None:
    ids = put_clients(api, 1)
    status, answer, _ = bam(api).call("POST", "/groups", {"name": "Acme Москва Αθήνα", "client_ids": ids})
    assert status == 202, answer


def test_an_accent_makes_another_name(api: Api) -> None:
    ids = put_clients(api, 2)
    create_group(api, "Cote", ids[:1])
    status, answer, _ = bam(api).call("POST", "/groups", {"name": "Côté", "client_ids": ids[1:]})
    assert status == 202, answer


# --- a repeated confirmation ----------------------------------------------------------------------------


def delete_with(api: Api, group_id: str, multi_query: dict[str, list[str]]) -> tuple[int, Any]:
    """DELETE with a query string whose names repeat (Api.call sends one value per name)."""
    path = f"/groups/{group_id}"
    route = template_route("DELETE", path)
    claims = claims_for("bam-1", "bam-1@staff.example.com", ["business_account_manager"], PROVIDER)
    response = invoke(route.function, rest_event(route, path, claims=claims, multi_query=multi_query))
    return response["statusCode"], json.loads(response["body"])


@pytest.mark.parametrize("words", [["DELETE", "DELETE"], ["WRONG", "DELETE"], ["DELETE", "WRONG"]])
def test_a_repeated_confirmation_is_a_wrong_word(api: Api, words: list[str]) -> None:
    ids = put_clients(api, 1)
    group_id, _ = create_group(api, "Kept", ids)
    deliver()
    before = all_items()
    status, answer = delete_with(api, group_id, {"confirmation": words})
    assert (status, answer["error"]["code"]) == (422, "confirmation_required")
    assert all_items() == before
    assert delete_with(api, group_id, {"confirmation": ["DELETE"]})[0] == 202


# --- the available index --------------------------------------------------------------------------------


def test_the_available_index_follows_memberships_and_relationships(api: Api) -> None:
    ids = put_clients(api, 3)
    assert len(available_entries()) == 6  # by name and by business number
    group_id, _ = create_group(api, "Index", ids[:2])
    deliver()
    # Grouped clients leave the index in the transactions that put them in the group
    assert {sk.rsplit("#", 1)[1] for sk in available_entries()} == {ids[2]}
    assert (
        bam(api).call("PATCH", f"/groups/{group_id}", {"remove_client_ids": [ids[0]], "confirmation": "CONFIRM"})[0]
        == 202
    )
    deliver()
    assert {sk.rsplit("#", 1)[1] for sk in available_entries()} == {ids[0], ids[2]}
    # A relationship that ends takes the client out of the index; a renamed client is found by its new name
    assert feed(api).call("PUT", f"/integration/clients/{ids[2]}", client_body("X", status="expired"))[0] == 200
    assert feed(api).call("PUT", f"/integration/clients/{ids[0]}", client_body("Zephyr", number="BN 9"))[0] == 200
    assert sorted(available_entries()) == [f"B#bn 9#{ids[0]}", f"N#zephyr#{ids[0]}"]
    # Deleting the group makes its clients available again
    assert bam(api).call("DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"})[0] == 202
    deliver()
    assert available_ids(api) == [ids[1], ids[0]]


def test_the_cleanup_takes_every_ended_relationship_out_of_the_index(api: Api) -> None:
    # More ungrouped clients ending on one day than one transaction could take out with their entries
    ending = put_clients(api, 60, days=1)
    lasting = put_clients(api, 1, prefix="L", days=30)
    clock.advance(2 * 86400)
    report = run_once(schedule_of("cleanup"))
    assert (report["relationships_expired"], report["finished"]) == (60, True)
    assert {sk.rsplit("#", 1)[1] for sk in available_entries()} == set(lasting)
    assert available_ids(api) == lasting
    assert not set(ending) & set(available_ids(api, limit="100"))


def test_a_feed_that_races_a_group_never_lists_a_grouped_client(api: Api) -> None:
    ids = put_clients(api, 1)
    create_group(api, "Race", ids)
    deliver()
    # A stale entry (a feed's write that a worker's claim crossed) is still confirmed against the guard
    table().put_item(
        Item={
            "pk": keys.available_index_pk(PROVIDER),
            "sk": f"N#client c 00000#{ids[0]}",
            "client_id": ids[0],
            "name": "Client C 00000",
            "business_number": "BN C00000",
            "relationship_expires_at": "2999-01-01T00:00:00.000Z",
        }
    )
    assert available_ids(api) == []


# --- a group's clients, a page at a time ----------------------------------------------------------------


def test_a_group_s_clients_are_read_a_page_at_a_time_and_searched_by_name(api: Api) -> None:
    ids = put_clients(api, 5)
    group_id, _ = create_group(api, "Paged", ids)
    deliver()
    status, first, _ = bam(api).call("GET", f"/groups/{group_id}", query={"clients_limit": "3"})
    assert status == 200
    assert [c["client_id"] for c in first["clients"]] == ids[:3]
    assert first["client_count"] == 5
    cursor = first["clients_next_cursor"]
    status, second = group_of_page(api, group_id, {"clients_limit": "3", "clients_cursor": cursor})
    assert ([c["client_id"] for c in second["clients"]], second["clients_next_cursor"]) == (ids[3:], None)
    status, found = group_of_page(api, group_id, {"clients_limit": "3", "clients_q": "client c 00004"})
    assert [c["client_id"] for c in found["clients"]] == [ids[4]]
    status, everyone = group_of_page(api, group_id, {"clients_limit": "10", "clients_q": "\u0301"})
    assert (status, len(everyone["clients"])) == (200, 5)  # a lone accent folds to nothing: no filter
    # Another query's cursor is refused; without a limit the whole group comes back, as before
    status, error = group_of_page(api, group_id, {"clients_limit": "3", "clients_q": "c", "clients_cursor": cursor})
    assert (status, error["error"]["code"]) == (400, "invalid_cursor")
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == ids


def group_of_page(api: Api, group_id: str, query: dict[str, str]) -> tuple[int, Any]:
    status, answer, _ = bam(api).call("GET", f"/groups/{group_id}", query=query)
    return status, answer
