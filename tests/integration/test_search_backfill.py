"""`make migrate-search`: customers stored under the first index (postings without a card, no district
counters) become searchable and counted, by a run that can be cut short, resumed and repeated."""

from __future__ import annotations

from typing import Any

from csr.data import keys, search_backfill
from csr.data.customers import load
from csr.data.search_index import posting_key
from infra.migrate_search import main
from tests.support.api import Api
from tests.support.search import account, add, districts, search
from tests.support.tables import all_items, table

TENANT = "utility-a"


def as_first_index(customer_ids: list[str]) -> None:
    """Put the table back as the first index left it: postings of the legacy words holding only the
    customer id; no district counter and no marker."""
    for item in all_items():
        search_item = item["pk"].startswith(keys.search_pk(TENANT, "x")[:-1])
        if search_item or item["pk"] == keys.district_pk(TENANT) or item["sk"] == keys.SEARCH_CUSTOMER_SK:
            table().delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
    for customer_id in customer_ids:
        found = load(TENANT, customer_id)
        assert found is not None
        for word in search_backfill.legacy_words(found.customer):
            table().put_item(Item={**posting_key(TENANT, word, customer_id), "customer_id": customer_id})


def index_state() -> list[dict[str, Any]]:
    return [item for item in all_items() if not item["pk"].startswith("MIGRATION#")]


def test_backfill_indexes_and_counts_what_the_first_index_left(csr: Api) -> None:
    # Given three customers written by the first index, and the index the product writes today (one
    # spelling per district: which spelling a counter keeps depends on which customer is counted first)
    created = [
        add(csr, 1, first_name="Marie-Ève", last_name="St-Pierre", accounts=[account("A-1", "1 Elm", "Nord")]),
        add(csr, 2, accounts=[account("A-2", "2 Elm", "Nord"), account("A-3", "3 Elm", "Sud")]),
        add(csr, 3, accounts=[account("A-4", "2172 Main St", "Sud")]),
    ]
    ids = [customer["customer_id"] for customer in created]
    written_today = index_state()
    as_first_index(ids)
    assert search(csr, "st-pierre") == []
    assert districts(csr) == []
    # When the backfill runs one page of 4 table items, is cut short there, then resumes
    assert main(["--page-size", "4", "--max-pages", "1"]) == 0
    assert not search_backfill.read_progress().finished
    assert main(["--page-size", "4"]) == 0
    # Then the table holds what the product writes today: postings with cards, counters, markers
    assert search_backfill.read_progress().finished
    assert index_state() == written_today
    assert [item["customer_id"] for item in search(csr, "marie-eve st-pierre")] == [ids[0]]
    assert districts(csr) == [("Nord", 2), ("Sud", 2)]


def test_backfill_run_again_changes_nothing(csr: Api) -> None:
    add(csr, 1, accounts=[account("A-1", "1 Elm", "Nord")])
    add(csr, 2, accounts=[account("A-2", "2 Elm", "Sud")])
    before = index_state()
    search_backfill.run(restart=True)
    search_backfill.run(restart=True)
    assert index_state() == before
    assert districts(csr) == [("Nord", 1), ("Sud", 1)]


def test_a_customer_changed_before_the_backfill_is_counted_once_everywhere(csr: Api) -> None:
    # Given a first-index customer who gains an account in a new district through today's code
    customer = add(csr, 1, accounts=[account("A-1", "1 Elm", "Nord")])
    as_first_index([customer["customer_id"]])
    body = {"account_number": "A-2", "service_address": "9 Oak", "billing_address": "9 Oak", "district": "Sud"}
    status, answer, _ = csr.call("POST", f"/customers/{customer['customer_id']}/accounts", body)
    assert status == 201, answer
    assert districts(csr) == [("Sud", 1)]
    # When the backfill runs
    search_backfill.run()
    # Then it counts the district the write did not, and not the one it did
    assert districts(csr) == [("Nord", 1), ("Sud", 1)]
    assert len(search(csr, "elm")) == 1
