"""GET /customers: seeded cases of API.md's search contract, through the handler template.yaml routes to."""

from __future__ import annotations

from typing import Any

import pytest

from csr.models.customers import PortalStatus
from tests.support.api import Api
from tests.support.customers import set_portal
from tests.support.search import account, add, error_code, rows, search


def test_street_number_finds_every_account_at_that_address(csr: Api) -> None:
    # Given two units of 2172 Main Street on one customer, one on another, and look-alike numbers elsewhere
    add(
        csr,
        1,
        last_name="Arsenault",
        accounts=[
            account("ACC-1", "2172 Main Street Apt 3"),
            account("ACC-2", "2172 Main Street Apt 4"),
            account("ACC-3", "12 Oak Avenue"),
        ],
    )
    add(csr, 2, last_name="Bouchard", accounts=[account("ACC-4", "2172 Main Street Unit 9")])
    add(csr, 3, last_name="Caron", accounts=[account("ACC-5", "217 Main Street", billing="PO Box 12172")])
    # When / Then: every account at 2172, in name order; 217 and PO box 12172 start otherwise
    assert rows(search(csr, "2172")) == [("Arsenault", "ACC-1"), ("Arsenault", "ACC-2"), ("Bouchard", "ACC-4")]
    assert rows(search(csr, "2172 main apt")) == [("Arsenault", "ACC-1"), ("Arsenault", "ACC-2")]


def test_email_prefix_across_punctuation(csr: Api) -> None:
    add(csr, 1, first_name="Jean", email="jean.tremblay@example.org")
    add(csr, 2, first_name="Jean", last_name="Roy", email="jean.roy@example.org")
    found = search(csr, "jean.tr")
    assert [item["email"] for item in found] == ["jean.tremblay@example.org"]
    assert [item["email"] for item in search(csr, "JEAN.TREMBLAY@EXAMPLE.ORG")] == ["jean.tremblay@example.org"]


def test_first_and_last_name_in_either_order(csr: Api) -> None:
    add(csr, 1, first_name="Jean", last_name="Tremblay")
    add(csr, 2, first_name="Jeanne", last_name="Gagnon")
    add(csr, 3, first_name="Marc", last_name="Tremblay")
    expected = [("Tremblay", "ACC-000001")]
    assert rows(search(csr, "jean tremblay")) == expected
    assert rows(search(csr, "Tremblay Jean")) == expected
    assert rows(search(csr, "trem je")) == expected
    assert rows(search(csr, "jean")) == [("Gagnon", "ACC-000002"), ("Tremblay", "ACC-000001")]


def test_account_number_whole_or_by_its_words(csr: Api) -> None:
    add(csr, 1, accounts=[account("ACC-000777", "1 Elm Street"), account("ACC-000778", "2 Elm Street")])
    assert rows(search(csr, "acc-000777")) == [("Tremblay", "ACC-000777")]
    assert rows(search(csr, "000777")) == [("Tremblay", "ACC-000777")]
    assert rows(search(csr, "acc-00077")) == [("Tremblay", "ACC-000777"), ("Tremblay", "ACC-000778")]


def test_accented_name_typed_without_accents(csr: Api) -> None:
    add(csr, 1, first_name="Hélène", last_name="Côté")
    add(csr, 2, first_name="Helen", last_name="Cote")
    assert [item["first_name"] for item in search(csr, "helene")] == ["Hélène"]
    assert [item["first_name"] for item in search(csr, "HÉLÈNE cote")] == ["Hélène"]
    assert sorted(item["first_name"] for item in search(csr, "côte")) == ["Helen", "Hélène"]


def test_names_in_other_scripts_are_words_too(csr: Api) -> None:
    add(csr, 1, first_name="Иван", last_name="Петров", accounts=[account("ACC-1", "5 Rue Principale")])
    assert rows(search(csr, "иван")) == [("Петров", "ACC-1")]
    assert rows(search(csr, "пет")) == [("Петров", "ACC-1")]


def test_ligatures_fold_to_their_letters(csr: Api) -> None:
    add(csr, 1, last_name="Bjørnsen", accounts=[account("ACC-1", "3 Rue des Sœurs")])
    assert rows(search(csr, "soeurs")) == [("Bjørnsen", "ACC-1")]
    assert rows(search(csr, "bjornsen")) == [("Bjørnsen", "ACC-1")]


def test_person_id_whole_and_by_its_words(csr: Api) -> None:
    add(csr, 1, person_id="QC-884-12")
    assert len(search(csr, "qc-884")) == 1
    assert len(search(csr, "884")) == 1


def test_district_and_status_filters_combined(aws: Any, csr: Api) -> None:
    # Given four customers named alike: two districts, two statuses
    north_enrolled = add(csr, 1, accounts=[account("N-1", "5 Pine Road", "north")])
    add(csr, 2, accounts=[account("S-1", "6 Pine Road", "south")])
    north_locked = add(
        csr, 3, accounts=[account("N-2", "7 Pine Road", "north"), account("S-2", "8 Pine Road", "south")]
    )
    add(csr, 4, enroll_in_portal=False, accounts=[account("N-3", "9 Pine Road", "north")])
    set_portal(north_locked["customer_id"], status=PortalStatus.LOCKED)
    # When
    found = search(csr, "pine", district="north", status="enrolled,locked")
    # Then: only the northern accounts of enrolled and locked customers
    assert [(item["customer_id"], item["account_number"], item["portal_status"]) for item in found] == sorted(
        [
            (north_enrolled["customer_id"], "N-1", "enrolled"),
            (north_locked["customer_id"], "N-2", "locked"),
        ]
    )
    # The district filter ignores case and accents
    assert sorted(item["account_number"] for item in search(csr, "pine", district="NÓRTH")) == ["N-1", "N-2", "N-3"]
    assert search(csr, "pine", district="nor") == []
    assert [item["account_number"] for item in search(csr, "pine", status="unenrolled")] == ["N-3"]


def test_hidden_customers_excluded_by_default(csr: Api) -> None:
    hidden = add(csr, 1)
    shown = add(csr, 2)
    set_portal(hidden["customer_id"], status=PortalStatus.HIDDEN)
    assert [item["customer_id"] for item in search(csr, "tremblay")] == [shown["customer_id"]]
    assert [item["customer_id"] for item in search(csr, "tremblay", status="hidden")] == [hidden["customer_id"]]
    every = search(csr, "tremblay", status="enrolled,unenrolled,locked,permanent_lock,hidden")
    assert sorted(item["customer_id"] for item in every) == sorted([hidden["customer_id"], shown["customer_id"]])


def test_search_right_after_a_status_change_sees_it(csr: Api) -> None:
    customer = add(csr, 1)
    assert [item["portal_status"] for item in search(csr, "tremblay")] == ["enrolled"]
    set_portal(customer["customer_id"], status=PortalStatus.PERMANENT_LOCK)
    assert [item["portal_status"] for item in search(csr, "tremblay")] == ["permanent_lock"]
    assert search(csr, "tremblay", status="enrolled") == []


def test_changed_words_leave_the_index(csr: Api) -> None:
    customer = add(csr, 1, last_name="Tremblay", accounts=[account("ACC-1", "2172 Main Street")])
    status, _, _ = csr.call(
        "PATCH",
        f"/customers/{customer['customer_id']}",
        {
            "last_name": "Gagnon",
            "accounts": [{"account_number": "ACC-1", "billing_address": "PO Box 88"}],
        },
    )
    assert status == 200
    assert search(csr, "tremblay") == []
    assert rows(search(csr, "gagnon box")) == [("Gagnon", "ACC-1")]
    assert rows(search(csr, "2172")) == [("Gagnon", "ACC-1")]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "a"},
        {"q": "x" * 101},
        {},
        {"q": "   "},
        {"q": "tremblay", "limit": "0"},
        {"q": "tremblay", "limit": "101"},
    ],
)
def test_bad_query_gets_422(csr: Api, query: dict[str, str]) -> None:
    add(csr, 1)
    assert error_code(csr.call("GET", "/customers", query=query)) == (422, "validation_error")


def test_q_of_100_characters_is_accepted(csr: Api) -> None:
    add(csr, 1)
    assert search(csr, "tremblay " + "x" * 91) == []


def test_unknown_status_gets_422(csr: Api) -> None:
    status, body, _ = csr.call("GET", "/customers", query={"q": "tremblay", "status": "enrolled,gone"})
    assert (status, body["error"]["code"]) == (422, "validation_error")
    assert body["error"]["details"]["fields"][0]["field"] == "status"


def test_paging_loses_and_repeats_no_row(csr: Api) -> None:
    # Given 7 rows: three customers with 3, 1 and 3 accounts, two of them with the same name
    for n, count in ((1, 3), (2, 1), (3, 3)):
        add(csr, n, accounts=[account(f"ACC-{n}-{i}", f"{n}{i} Birch Lane") for i in range(count)])
    everything = search(csr, "birch")
    assert len(everything) == 7
    # When paging 3 at a time
    served: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {"q": "Birch", "limit": "3", **({"cursor": cursor} if cursor else {})}
        status, page, _ = csr.call("GET", "/customers", query=query)
        assert status == 200, page
        served += page["items"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then
    assert pages == 3
    assert served == everything


def first_cursor(api: Api, q: str = "birch") -> str:
    status, page, _ = api.call("GET", "/customers", query={"q": q, "limit": "1"})
    assert status == 200, page
    return str(page["next_cursor"])


def test_bad_tampered_foreign_or_other_query_cursor_gets_400(csr: Api) -> None:
    for n in (1, 2):
        add(csr, n, accounts=[account(f"ACC-{n}", f"{n} Birch Lane")])
    cursor = first_cursor(csr)
    tampered = cursor[:-2] + ("AA" if cursor[-2:] != "AA" else "BB")
    other_tenant = Api(None).as_(groups=["csr"], tenant_id="utility-b")
    attempts = [
        csr.call("GET", "/customers", query={"q": "birch", "cursor": "not-a-cursor"}),
        csr.call("GET", "/customers", query={"q": "birch", "cursor": tampered}),
        csr.call("GET", "/customers", query={"q": "birch lane", "cursor": cursor}),
        csr.call("GET", "/customers", query={"q": "birch", "district": "north", "cursor": cursor}),
        other_tenant.call("GET", "/customers", query={"q": "birch", "cursor": cursor}),
    ]
    assert [error_code(attempt) for attempt in attempts] == [(400, "invalid_cursor")] * 5
    # The same query, spelt differently, is the same query
    same = csr.call("GET", "/customers", query={"q": "BIRCH ", "cursor": cursor, "limit": "5"})
    assert same[0] == 200
    assert len(same[1]["items"]) == 1


def test_another_tenant_sees_nothing(csr: Api) -> None:
    add(csr, 1)
    other = Api(None).as_(groups=["csr"], tenant_id="utility-b")
    assert search(other, "tremblay") == []
    assert search(other, "2172") == []


def test_supervisor_may_search(csr: Api) -> None:
    add(csr, 1)
    supervisor = Api(None).as_(groups=["csr_supervisor"])
    assert len(search(supervisor, "tremblay")) == 1


@pytest.mark.parametrize("role", ["portal", "integration", "business_account_manager"])
def test_other_roles_get_403(csr: Api, role: str) -> None:
    add(csr, 1)
    caller = Api(None).as_roles([role])
    assert error_code(caller.call("GET", "/customers", query={"q": "tremblay"})) == (403, "forbidden")


def test_a_term_matching_too_many_customers_asks_for_one_more_word(csr: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from csr.services import search as search_service

    # Given three Gagnons, and a bound of two customers per term
    for n, street in enumerate(["10 Pine Road", "12 Pine Road", "14 Oak Lane"], start=1):
        add(csr, n, last_name="Gagnon", accounts=[account(f"ACC-{n}", street)])
    monkeypatch.setattr(search_service, "MAX_CUSTOMERS", 2)
    # When a term matches all three
    status, body, _ = csr.call("GET", "/customers", query={"q": "gagnon"})
    # Then the CSR is asked to narrow it, and a narrower term still drives a search
    assert (status, body["error"]["code"]) == (422, "query_too_broad")
    assert rows(search(csr, "gagnon oak")) == [("Gagnon", "ACC-3")]
