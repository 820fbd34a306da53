"""Text that folds into a long key: `㌀` (one character) folds to `アパート` (four, 12 bytes of UTF-8), so a
name of 100 such characters is 1,200 bytes once folded, past DynamoDB's 1,024-byte sort key. Such text
is valid input; it must be stored, found and kept unique like any other, never answered with a 5xx."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api, new_customer_body
from tests.support.groups import bam, client_body, create_group, deliver, feed, put_clients
from tests.support.search import search

LONG = "㌀" * 100  # 1,200 bytes once folded
LONGER = "㌀" * 99 + "㌁"  # the same for its first 1,188 bytes


def test_a_query_that_folds_past_the_key_limit_answers(csr: Api) -> None:
    assert search(csr, LONG) == []


def test_a_customer_whose_words_fold_past_the_key_limit_is_stored_and_found(csr: Api) -> None:
    made = []
    for n, last_name in ((1, LONG), (2, LONGER)):
        body = new_customer_body(n, last_name=last_name)
        body["accounts"][0]["service_address"] = f"{n} {last_name}"
        status, created, _ = csr.call("POST", "/customers", body)
        assert status == 201, created
        made.append(created["customer_id"])
    assert [row["customer_id"] for row in search(csr, LONG)] == [made[0]]
    assert [row["customer_id"] for row in search(csr, LONGER)] == [made[1]]
    assert sorted(row["customer_id"] for row in search(csr, "㌀" * 50)) == sorted(made)


def test_a_group_name_that_folds_past_the_key_limit_is_unique_exactly(api: Api) -> None:
    ids = put_clients(api, 3)
    create_group(api, LONG, ids[:1])
    status, error, _ = bam(api).call("POST", "/groups", {"name": LONG, "client_ids": ids[1:2]})
    assert (status, error["error"]["code"]) == (409, "name_taken")
    # Differing only past the first 1,024 bytes still makes another name
    create_group(api, LONGER, ids[2:])
    deliver()
    status, listed, _ = bam(api).call("GET", "/groups")
    assert status == 200, listed
    assert sorted(group["name"] for group in listed["items"]) == sorted([LONG, LONGER])


def test_a_client_whose_name_folds_past_the_key_limit_is_stored_and_found(api: Api) -> None:
    for client_id, name in (("LONG1", LONG), ("LONG2", LONGER)):
        status, answer, _ = feed(api).call("PUT", f"/integration/clients/{client_id}", client_body(name))
        assert status == 200, answer
    found: dict[str, Any] = {}
    for name in (LONG, LONGER):
        status, page, _ = bam(api).call("GET", "/groups/available-clients", query={"q": name})
        assert status == 200, page
        found[name] = [client["client_id"] for client in page["items"]]
    assert found == {LONG: ["LONG1"], LONGER: ["LONG2"]}
