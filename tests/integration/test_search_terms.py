"""GET /customers: terms typed as written (punctuation), common names, the bound, and what a page reads."""

from __future__ import annotations

from typing import Any

import pytest
from boto3.dynamodb.conditions import ConditionBase

from bench.counting import DynamoDbCounter
from csr.data import dynamo, keys
from csr.models.customers import PortalStatus
from tests.support.api import Api
from tests.support.customers import set_portal
from tests.support.search import account, add, error_code, search


def names(items: list[dict[str, Any]]) -> list[str]:
    return [f"{item['first_name']} {item['last_name']}" for item in items]


@pytest.fixture
def counter(aws: Any) -> Any:
    counting = DynamoDbCounter(dynamo.client())
    yield counting
    counting.close()


def test_hyphenated_and_apostrophe_names_typed_as_written(csr: Api) -> None:
    add(csr, 1, first_name="Marie-Ève", last_name="St-Pierre")
    add(csr, 2, first_name="Marc", last_name="St Pierre")
    add(csr, 3, first_name="Sean", last_name="O'Brien")
    add(csr, 4, first_name="Pierre", last_name="Stanton")
    assert names(search(csr, "Marie-Ève St-Pierre")) == ["Marie-Ève St-Pierre"]
    # Each piece prefixes some word of the row: Pierre Stanton has `st...` and `pierre` too (API.md)
    assert names(search(csr, "st-pierre")) == ["Marc St Pierre", "Marie-Ève St-Pierre", "Pierre Stanton"]
    assert names(search(csr, "o'brien")) == ["Sean O'Brien"]
    assert names(search(csr, "O\u2019Brien")) == ["Sean O'Brien"]  # a typographic apostrophe is punctuation too
    assert names(search(csr, "marie-eve")) == ["Marie-Ève St-Pierre"]


def test_addresses_typed_with_their_punctuation(csr: Api) -> None:
    add(csr, 1, last_name="Arsenault", accounts=[account("ACC-1", "1500 Boulevard René-Lévesque Ouest")])
    add(csr, 2, last_name="Bouchard", accounts=[account("ACC-2", "12 rue de l'Église")])
    add(csr, 3, last_name="Caron", accounts=[account("ACC-3", "2172 Main St")])
    add(csr, 4, last_name="Dion", accounts=[account("ACC-4", "2172 Maine Road")])
    assert [i["account_number"] for i in search(csr, "René-Lévesque")] == ["ACC-1"]
    assert [i["account_number"] for i in search(csr, "rue de l'Église")] == ["ACC-2"]
    assert [i["account_number"] for i in search(csr, "2172 main st.")] == ["ACC-3"]
    assert [i["account_number"] for i in search(csr, "2172 main")] == ["ACC-3", "ACC-4"]


def test_a_term_of_punctuation_alone_constrains_nothing(csr: Api) -> None:
    add(csr, 1)
    assert len(search(csr, "tremblay -")) == 1
    assert error_code(csr.call("GET", "/customers", query={"q": "- ."})) == (422, "validation_error")


def test_first_and_last_name_each_over_the_bound_of_the_other(csr: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from csr.services import search as search_service

    # Given 4 Jeans and 3 Tremblays, one of them Jean Tremblay, and a bound of 3 customers per term
    for n in range(1, 4):
        add(csr, n, first_name="Jean", last_name=f"Roy{n}")
    for n in range(4, 6):
        add(csr, n, first_name=f"Luc{n}", last_name="Tremblay")
    target = add(csr, 6, first_name="Jean", last_name="Tremblay")
    monkeypatch.setattr(search_service, "MAX_CUSTOMERS", 3)
    monkeypatch.setattr(search_service, "FIRST_READ", 1)
    # When / Then: jean alone is too broad, but tremblay is within the bound and the two intersect
    assert error_code(csr.call("GET", "/customers", query={"q": "jean"})) == (422, "query_too_broad")
    assert [item["customer_id"] for item in search(csr, "jean tremblay")] == [target["customer_id"]]
    assert [item["customer_id"] for item in search(csr, "tremblay JEAN")] == [target["customer_id"]]


def test_a_broad_term_stops_reading_at_the_bound(csr: Api, counter: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from csr.services import search as search_service

    for n in range(1, 9):
        add(csr, n, first_name="Anne", last_name=f"Arsenault{n}", email=f"a{n}@example.org")
    monkeypatch.setattr(search_service, "MAX_CUSTOMERS", 3)
    monkeypatch.setattr(search_service, "FIRST_READ", 2)
    with counter.measure() as count:
        response = csr.call("GET", "/customers", query={"q": "a an"})
    assert error_code(response) == (422, "query_too_broad")
    # Each of the two pieces read one posting past the bound, not the dozens under `a`
    assert count.items_read <= 2 * (3 + 1)


def test_a_rare_term_reads_its_own_postings_only(csr: Api, counter: Any) -> None:
    for n in range(1, 6):
        add(csr, n, accounts=[account(f"ACC-{n}", f"{n} Main Street")])
    add(csr, 9, accounts=[account("ACC-9", "2172 Main Street")])
    with counter.measure() as count:
        found = search(csr, "2172 main")
    assert [item["account_number"] for item in found] == ["ACC-9"]
    # One Query over `2172` (one posting), one BatchGetItem of the profile and the account together
    assert (count.calls, count.items_read) == (2, 3)
    assert dict(count.by_operation) == {"Query": 1, "BatchGetItem": 1}


def test_a_further_page_reads_the_driving_term_only(csr: Api, counter: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from csr.services import search as search_service

    for n in range(1, 6):
        add(csr, n, first_name="Jean", last_name="Tremblay")
    for n in range(6, 9):
        add(csr, n, first_name="Jean", last_name=f"Roy{n}")
    monkeypatch.setattr(search_service, "FIRST_READ", 1)
    queried: list[ConditionBase] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        queried.append(params["KeyConditionExpression"])

    dynamo.client().meta.events.register("before-parameter-build.dynamodb.Query", record)
    with counter.measure() as first:
        status, page, _ = csr.call("GET", "/customers", query={"q": "tremblay jean", "limit": "3"})
    assert status == 200
    assert len(page["items"]) == 3
    queried.clear()
    with counter.measure() as second:
        status, rest, _ = csr.call("GET", "/customers", query={"q": "tremblay jean", "cursor": page["next_cursor"]})
    assert status == 200
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    assert second.calls <= first.calls
    assert second.items_read <= 2 * first.items_read
    # Each condition is pk = :partition AND begins_with(sk, :piece)
    pieces = {condition.get_expression()["values"][1].get_expression()["values"][1] for condition in queried}
    assert pieces == {"tremblay"}


def test_a_status_change_writes_no_index_item_and_search_sees_it(csr: Api) -> None:
    customer = add(csr, 1)
    written: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        written.extend(params["TransactItems"])

    dynamo.client().meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", record)
    status, _, _ = csr.call("POST", f"/customers/{customer['customer_id']}/lock", {"reason": "compromised"})
    assert status == 200
    search_prefix = keys.search_pk("utility-a", "x")[:-1]
    touched = [next(iter(op.values())) for op in written]
    assert touched
    assert not any(str(body.get("Key", body.get("Item", {}))["pk"]).startswith(search_prefix) for body in touched)
    assert [item["portal_status"] for item in search(csr, "tremblay")] == ["locked"]
    set_portal(customer["customer_id"], status=PortalStatus.HIDDEN)
    assert search(csr, "tremblay") == []


def test_a_selective_status_filter_reads_profiles_in_full_batches(csr: Api, counter: Any) -> None:
    # First names that sort as they are added: the locked customer is the last row
    customers = [add(csr, n, first_name=f"Anne{n}", last_name="Tremblay") for n in range(1, 8)]
    set_portal(customers[-1]["customer_id"], status=PortalStatus.LOCKED)
    with counter.measure() as count:
        found = search(csr, "tremblay", status="locked", limit="2")
    assert [(item["customer_id"], item["portal_status"]) for item in found] == [
        (customers[-1]["customer_id"], "locked")
    ]
    # The page's first 3 rows with their accounts (none passes), the other 4 profiles in one full batch,
    # then the account item of the one row kept
    assert count.by_operation["BatchGetItem"] == 3
