"""Search without AWS: which words the index holds, how a query is read, which rows a customer yields."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.counting import items_read
from csr.data.search_index import search_card
from csr.models.customers import Account, Customer, PortalState, PortalStatus
from csr.models.search import DEFAULT_STATUSES
from csr.rules.search import district_key, index_words, matches, query_pieces, without_prefixes
from csr.services.search import candidate_rows, driving_order, row_matches


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


def test_index_words_fold_every_field_of_every_account_once() -> None:
    # The whole email and ids are no words of their own: each of their pieces is
    expected = "helene cote jean tremblay example org qc 884 acc 1 2 2172 main street apt 3 po box 9 12 oak avenue"
    assert index_words(a_customer()) == set(expected.split()) - {"1", "2"} | {"12"}


def test_query_pieces_split_terms_as_fields_are_split() -> None:
    assert query_pieces("  St-Pierre HÉLÈNE tremblay  o'brien st.") == [
        "brien",
        "helene",
        "o",
        "pierre",
        "st",
        "tremblay",
    ]
    assert query_pieces("jean.tr") == ["jean", "tr"]


@pytest.mark.parametrize("q", ["   ", "\u0301\u0301", "- . '"])
def test_a_query_without_a_piece_has_nothing_to_search(q: str) -> None:
    assert query_pieces(q) == []


def test_the_longest_piece_drives() -> None:
    assert driving_order(["jean", "tr", "tremblay"]) == ["tremblay", "jean", "tr"]
    assert driving_order(["ab", "aa"]) == ["aa", "ab"]


def test_every_piece_must_prefix_some_word() -> None:
    assert matches(["tr", "je"], {"jean", "tremblay"})
    assert matches(["st", "st"], {"street"})
    assert not matches(["tr", "jx"], {"jean", "tremblay"})


def test_districts_compare_folded() -> None:
    assert district_key(" Montréal-NORD ") == district_key("montreal-nord")


def rows_of(customer: Customer, pieces: list[str], district: str | None = None) -> list[str]:
    return [row[3] for row in candidate_rows([search_card(customer)], pieces, district)]


def test_customer_pieces_expand_to_every_account_and_account_pieces_to_theirs() -> None:
    customer = a_customer()
    assert rows_of(customer, ["helene"]) == ["ACC-1", "ACC-2"]
    assert rows_of(customer, ["2172", "cote"]) == ["ACC-1"]
    assert rows_of(customer, ["box"], "south") == ["ACC-2"]
    assert rows_of(customer, ["box", "jean", "tr", "qc", "8"], "north") == ["ACC-1"]


def test_the_card_sorts_by_folded_names_then_ids() -> None:
    assert candidate_rows([search_card(a_customer())], ["oak"], None) == [("cote", "helene", "cus_1", "ACC-2")]


def test_a_live_row_must_still_match_and_have_a_status_asked_for() -> None:
    hidden = a_customer(PortalStatus.HIDDEN)
    account = hidden.accounts[0]
    assert not row_matches(hidden, account, ["helene"], None, DEFAULT_STATUSES)
    assert row_matches(hidden, account, ["helene"], "north", frozenset({PortalStatus.HIDDEN}))
    assert not row_matches(hidden, account, ["oak"], None, frozenset({PortalStatus.HIDDEN}))


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
