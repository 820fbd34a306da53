"""Search without AWS: which words the index holds, how a query is read, which rows a customer yields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.counting import items_read
from csr.data.search_index import index_keys, without_prefixes
from csr.errors import ValidationFailedError
from csr.models.customers import Account, Customer, PortalState, PortalStatus
from csr.models.search import DEFAULT_STATUSES
from csr.services.search import driving_order, matching_rows, row_matches, search_terms


def a_customer(status: PortalStatus = PortalStatus.ENROLLED, **fields: object) -> Customer:
    values: dict[str, object] = {
        "customer_id": "cus_1",
        "person_id": "QC-884",
        "first_name": "Hélène",
        "last_name": "Côté",
        "email": "jean.tremblay@example.org",
        "created_at": "2026-01-01T00:00:00.000Z",
        "portal": PortalState(status=status),
        "accounts": [
            Account(
                account_number="ACC-1",
                service_address="2172 Main Street Apt 3",
                billing_address="PO Box 9",
                district="north",
            ),
            Account(
                account_number="ACC-2", service_address="12 Oak Avenue", billing_address="PO Box 9", district="south"
            ),
        ],
    }
    values.update(fields)
    return Customer.model_validate(values)


def test_without_prefixes_keeps_the_words_no_other_word_extends() -> None:
    assert without_prefixes(["a", "ab", "abc", "b", "ba", "c", "ab"]) == {"abc", "ba", "c"}


@settings(max_examples=300)
@given(st.sets(st.text(alphabet="ab12", min_size=1, max_size=4), max_size=12))
def test_without_prefixes_still_finds_every_prefix(found: set[str]) -> None:
    kept = without_prefixes(found)
    assert kept <= found
    assert all(any(word.startswith(other) for word in kept) for other in found)
    assert not any(a != b and b.startswith(a) for a in kept for b in kept)


def test_index_keys_fold_every_field_of_every_account_once() -> None:
    expected = "helene cote jean.tremblay@example.org tremblay example org qc-884 884 acc-1 acc-2 2172 main street"
    assert index_keys(a_customer()) == {*expected.split(), "apt", "3", "po", "box", "9", "12", "oak", "avenue"}


def test_search_terms_are_folded_deduplicated_and_ordered() -> None:
    assert search_terms("  Tremblay HÉLÈNE tremblay  ") == ["helene", "tremblay"]


@pytest.mark.parametrize("q", ["   ", "\u0301\u0301"])
def test_a_query_without_a_searchable_term_is_refused(q: str) -> None:
    with pytest.raises(ValidationFailedError):
        search_terms(q)


def test_the_longest_term_drives() -> None:
    assert driving_order(["jean", "tr", "tremblay"]) == ["tremblay", "jean", "tr"]
    assert driving_order(["ab", "aa"]) == ["aa", "ab"]


def test_every_term_must_prefix_some_word() -> None:
    assert row_matches(["tr", "je"], {"jean", "tremblay"})
    assert not row_matches(["tr", "jx"], {"jean", "tremblay"})


def accounts_of(customer: Customer, terms: list[str], district: str | None = None) -> list[str]:
    return [row.account_number for _, row in matching_rows(customer, terms, district, DEFAULT_STATUSES)]


def test_customer_terms_expand_to_every_account_and_account_terms_to_theirs() -> None:
    customer = a_customer()
    assert accounts_of(customer, ["helene"]) == ["ACC-1", "ACC-2"]
    assert accounts_of(customer, ["2172", "cote"]) == ["ACC-1"]
    assert accounts_of(customer, ["box"], "south") == ["ACC-2"]
    assert accounts_of(customer, ["box", "jean.tr", "qc-8"], "north") == ["ACC-1"]


def test_rows_carry_the_live_status_and_respect_the_status_filter() -> None:
    hidden = a_customer(PortalStatus.HIDDEN)
    assert matching_rows(hidden, ["helene"], None, DEFAULT_STATUSES) == []
    rows = matching_rows(hidden, ["helene"], None, frozenset({PortalStatus.HIDDEN}))
    assert [row.portal_status for _, row in rows] == [PortalStatus.HIDDEN, PortalStatus.HIDDEN]


def test_rows_sort_by_folded_names_then_ids() -> None:
    key, _ = matching_rows(a_customer(), ["oak"], None, DEFAULT_STATUSES)[0]
    assert key == ("cote", "helene", "cus_1", "ACC-2")


@pytest.mark.parametrize(
    ("operation", "response", "expected"),
    [
        ("Query", {"Count": 2, "ScannedCount": 5}, 5),
        ("Scan", {"Count": 1}, 1),
        ("GetItem", {"Item": {"pk": {"S": "x"}}}, 1),
        ("GetItem", {}, 0),
        ("BatchGetItem", {"Responses": {"t": [{}, {}], "u": [{}]}}, 3),
        ("TransactGetItems", {"Responses": [{}, {}]}, 2),
        ("PutItem", {}, 0),
    ],
)
def test_bench_counts_items_read_per_response(operation: str, response: dict[str, object], expected: int) -> None:
    assert items_read(operation, response) == expected
