"""The search index fits in the customer's transaction: the largest realistic customer, through POST /customers."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from csr.data import dynamo, keys
from csr.data.customers import load
from csr.data.dynamo import MAX_TRANSACTION_ITEMS
from csr.rules.search import index_words
from csr.text import words
from tests.support.api import Api

STREETS = [
    "Apartment 1204, 1500 Boulevard René-Lévesque Ouest, Montréal, QC H3G 1T7",
    "Unit 18, 4821 Chemin de la Côte-des-Neiges, Montréal, QC H3V 1G4",
    "Suite 300, 77 Rue Saint-Jacques Est, Saint-Jean-sur-Richelieu, QC J3B 2J9",
    "Lot 4, 12950 Route Transcanadienne Nord, Sainte-Anne-de-Bellevue, QC H9X 3L5",
    "Basement, 9 Place du Commerce, Île-des-Sœurs, Verdun, QC H3E 1J6",
]
# Where the service addresses are: three in Montréal, one on the South Shore, one in the West Island.
DISTRICTS = ["Montréal", "Montréal", "Rive-Sud", "Ouest-de-l'Île", "Montréal"]
BILLING = [
    "PO Box 4411, Station Centre-Ville, Montréal, QC H3B 3K9",
    "c/o Gestion Immobilière Laurentienne Inc., 2200 Rue Sherbrooke Ouest, Bureau 1100, Montréal, QC H3H 1G5",
    "PO Box 1290, Succursale Place-d'Armes, Montréal, QC H2Y 3K2",
    "Attn: Accounts Payable, 650 Boulevard de Maisonneuve Ouest, Floor 7, Montréal, QC H3A 1K4",
    "RR 2, 315 Rang Saint-Charles, Saint-Hyacinthe, QC J2R 1B4",
]


def customer_body(billing: list[str]) -> dict[str, Any]:
    return {
        "person_id": "QC-PERS-0001-4821-77",
        "first_name": "Marie-Hélène Élisabeth",
        "last_name": "Tremblay-Lévesque de la Durantaye",
        "email": "marie-helene.tremblay-levesque.durantaye@courriel.example.qc.ca",
        "phone": "+1 514 555 0100",
        "accounts": [
            {
                "account_number": f"ELEC-2026-{index:04d}-{9000 + index}",
                "service_address": street,
                "billing_address": billing_address,
                "district": DISTRICTS[index],
                "nickname": f"Property {index}",
            }
            for index, (street, billing_address) in enumerate(zip(STREETS, billing, strict=True))
        ],
    }


def largest_realistic_customer() -> dict[str, Any]:
    """Five accounts at long, distinct service addresses; three billed there, two at a long office address."""
    return customer_body([*STREETS[:3], BILLING[1], BILLING[1]])


def transaction_sizes(aws: Any) -> list[int]:
    sizes: list[int] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        sizes.append(len(params["TransactItems"]))

    dynamo.client().meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", record)
    return sizes


def test_largest_realistic_customer_fits_in_one_transaction(aws: Any, csr: Api) -> None:
    # Given the largest realistic customer, its five properties in three districts
    sizes = transaction_sizes(aws)
    body = largest_realistic_customer()
    # When it is added
    status, created, _ = csr.call("POST", "/customers", body)
    # Then it is written in one transaction (99 items today: 15 for profile, guards, accounts and activity,
    # 80 postings, 3 district counters and the customer's search item), index included
    assert status == 201, created
    assert len(sizes) == 1
    assert sizes[0] <= MAX_TRANSACTION_ITEMS
    stored = load("utility-a", created["customer_id"])
    assert stored is not None
    expected = index_words(stored.customer)
    indexed = {
        item["sk"].rsplit("#", 1)[0]
        for word in expected
        for item in dynamo.table().query(
            KeyConditionExpression=Key("pk").eq(keys.search_pk("utility-a", word))
            & Key("sk").eq(keys.search_sk(word, created["customer_id"]))
        )["Items"]
    }
    assert indexed == expected
    assert sizes[0] == 15 + len(expected) + 3 + 1


def test_a_change_of_the_largest_customer_fits_too(aws: Any, csr: Api) -> None:
    # A new billing address changes the card every posting carries: all are rewritten, in one transaction
    status, created, _ = csr.call("POST", "/customers", largest_realistic_customer())
    assert status == 201, created
    sizes = transaction_sizes(aws)
    number = created["accounts"][0]["account_number"]
    change = {"accounts": [{"account_number": number, "billing_address": BILLING[0]}]}
    status, changed, _ = csr.call("PATCH", f"/customers/{created['customer_id']}", change)
    assert status == 200, changed
    assert len(sizes) == 1
    assert sizes[0] <= MAX_TRANSACTION_ITEMS
    status, page, _ = csr.call("GET", "/customers", query={"q": f"centre-ville {number}"})
    assert [item["account_number"] for item in page["items"]] == [number]


def test_every_word_of_the_largest_customer_finds_it(aws: Any, csr: Api) -> None:
    body = largest_realistic_customer()
    status, created, _ = csr.call("POST", "/customers", body)
    assert status == 201, created
    for account in body["accounts"]:
        for word in words(account["service_address"]) | words(account["billing_address"]):
            status, page, _ = csr.call("GET", "/customers", query={"q": f"{word} {account['account_number']}"})
            assert status == 200, page
            assert [item["account_number"] for item in page["items"]] == [account["account_number"]], word


def test_a_customer_past_the_transaction_limit_gets_422_and_nothing_is_written(aws: Any, csr: Api) -> None:
    # Given five accounts with five distinct long billing addresses too: ~100 distinct words
    body = customer_body(BILLING)
    # When
    status, answer, _ = csr.call("POST", "/customers", body)
    # Then the change is refused as a whole, with the contract's error body, not a 500
    assert (status, answer["error"]["code"]) == (422, "change_too_large")
    assert dynamo.table().scan()["Items"] == []


def postings_of(customer_id: str) -> list[dict[str, Any]]:
    return [
        item
        for item in dynamo.table().scan()["Items"]
        if item["pk"].startswith(keys.search_pk("utility-a", "x")[:-1]) and item["customer_id"] == customer_id
    ]


def test_a_customer_gathering_accounts_keeps_fitting_and_stays_found(aws: Any, csr: Api) -> None:
    # Given a customer with one account (its postings carry its card)
    body = customer_body(list(STREETS))
    body["accounts"] = body["accounts"][:1]
    status, created, _ = csr.call("POST", "/customers", body)
    assert status == 201, created
    customer_id = created["customer_id"]
    assert all("ln" in item for item in postings_of(customer_id))
    sizes = transaction_sizes(aws)
    # When it gathers twelve more accounts at long, distinct addresses, one at a time
    for index in range(1, 13):
        street = f"{STREETS[index % 5]}, Lot {7000 + index}"
        account = {
            "account_number": f"LAND-{index:03d}",
            "service_address": street,
            "billing_address": BILLING[index % 5],
            "district": f"District {index}",
        }
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/accounts", account)
        assert status == 201, (index, answer)
    # Then every change fit in one transaction; past 40 words its postings point to its search item
    assert max(sizes) <= MAX_TRANSACTION_ITEMS
    stored = postings_of(customer_id)
    assert len(stored) > 100
    assert all(item.get("ref") and "ln" not in item for item in stored)
    # and it is found by its name, each new account by its own words, with live fields
    status, page, _ = csr.call("GET", "/customers", query={"q": "tremblay-levesque", "limit": "100"})
    assert len(page["items"]) == 13
    for index in (1, 7, 12):
        status, page, _ = csr.call("GET", "/customers", query={"q": f"{7000 + index} durantaye"})
        assert [item["account_number"] for item in page["items"]] == [f"LAND-{index:03d}"]
