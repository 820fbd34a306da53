"""Defects the stateful consistency test (test_consistency_machine.py) found, each pinned by the shortest
sequence that showed it."""

from __future__ import annotations

from csr.data import customers as customer_store
from csr.data import search_index
from csr.data.invariants import Snapshot, violations
from tests.support.api import Api, new_customer_body
from tests.support.tables import all_items, table


def test_a_card_does_not_depend_on_the_order_accounts_were_added(csr: Api) -> None:
    # A customer's accounts are read in account-number order; the card written when an account sorting
    # before the last one was added listed them in the order added: every posting's card was then stale.
    status, created, _ = csr.call("POST", "/customers", new_customer_body(5))
    assert status == 201, created
    customer_id = created["customer_id"]
    for number in ("ACC-005-3", "ACC-005-2"):
        body = {
            "account_number": number,
            "service_address": "3 rue Principale",
            "billing_address": "3 rue Principale",
            "district": "Île",
        }
        assert csr.call("POST", f"/customers/{customer_id}/accounts", body)[0] == 201
    found = customer_store.load("utility-a", customer_id)
    assert found is not None
    for posting in search_index.postings("utility-a", found.customer).values():
        stored = table().get_item(Key={"pk": posting["pk"], "sk": posting["sk"]})["Item"]
        assert stored == posting
    assert violations(Snapshot.of(all_items())) == []
