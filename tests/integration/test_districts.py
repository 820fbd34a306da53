"""GET /districts: the tenant's districts with a customer count each, kept as counters by every customer write."""

from __future__ import annotations

from typing import Any

from bench.counting import DynamoDbCounter
from csr.data import dynamo
from tests.support.api import Api
from tests.support.search import account, add, districts, error_code


def test_districts_count_customers_by_folded_name(csr: Api) -> None:
    # Given customers in three districts, one spelt two ways, one customer in two districts
    add(csr, 1, accounts=[account("A-1", "1 Elm", "Montréal-Nord"), account("A-2", "2 Elm", "montreal-nord ")])
    add(csr, 2, accounts=[account("A-3", "3 Elm", "MONTREAL-NORD")])
    add(csr, 3, accounts=[account("A-4", "4 Elm", "Laval"), account("A-5", "5 Elm", "Anjou")])
    # Then each district once, as first written, by name, counting customers (not accounts)
    assert districts(csr) == [("Anjou", 1), ("Laval", 1), ("Montréal-Nord", 2)]


def test_an_added_account_in_a_new_district_counts_the_customer_there(csr: Api) -> None:
    customer = add(csr, 1, accounts=[account("A-1", "1 Elm", "north")])
    path = f"/customers/{customer['customer_id']}/accounts"
    for number, district in (("A-2", "North"), ("A-3", "south")):
        body = {"account_number": number, "service_address": "9 Oak", "billing_address": "9 Oak", "district": district}
        status, answer, _ = csr.call("POST", path, body)
        assert status == 201, answer
    assert districts(csr) == [("north", 1), ("south", 1)]


def test_districts_are_read_with_one_query_and_never_a_scan(aws: Any, csr: Api) -> None:
    for n in range(1, 4):
        add(csr, n, accounts=[account(f"A-{n}", "1 Elm", f"d{n}")])
    counter = DynamoDbCounter(dynamo.client())
    with counter.measure() as count:
        found = districts(csr)
    counter.close()
    assert found == [("d1", 1), ("d2", 1), ("d3", 1)]
    assert dict(count.by_operation) == {"Query": 1}
    assert count.items_read == 3


def test_districts_of_another_tenant_are_not_listed(csr: Api) -> None:
    add(csr, 1, accounts=[account("A-1", "1 Elm", "north")])
    other = Api(None).as_(groups=["csr"], tenant_id="utility-b")
    assert districts(other) == []


def test_only_csr_roles_list_districts(csr: Api) -> None:
    portal = Api(None).machine("portal")
    assert error_code(portal.call("GET", "/districts")) == (403, "forbidden")
    supervisor = Api(None).as_(groups=["csr_supervisor"])
    assert districts(supervisor) == []
