"""Input times fall between 1970-01-01 and 9999-12-31 once converted to UTC, and money is in an ISO 4217
currency in use (API.md, Conventions): anything else is 422 at its field, with nothing written."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.customers import create_customer, feed_payment
from tests.support.groups import client_body, feed
from tests.support.tables import all_items

# Billing's feed asks for French: each refusal's message is checked in the reader's language.
IN_FRENCH = {"Accept-Language": "fr"}


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-15",  # a date before 1970
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T04:00:00+05:00",  # 1969 in UTC
        "9999-12-31T23:00:00-05:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+05:00",  # year 0 in UTC
    ],
)
def test_a_payment_time_out_of_range_is_422_and_nothing_is_written(api: Api, csr: Api, when: str) -> None:
    create_customer(csr)
    before = all_items()
    status, answer = feed_payment(api, IN_FRENCH, scheduled_for=when)
    assert status == 422, answer
    assert answer["error"]["details"]["fields"] == [
        {"field": "scheduled_for", "message": "Doit être compris entre le 1970-01-01 et le 9999-12-31 (UTC)."}
    ]
    assert all_items() == before


@pytest.mark.parametrize(
    ("when", "stored"),
    [
        ("1970-01-01", "1970-01-01"),
        ("9999-12-31", "9999-12-31"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"),
        ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),
        ("1970-01-01T05:00:00+05:00", "1970-01-01T00:00:00.000Z"),
    ],
)
def test_the_bounds_themselves_are_accepted(api: Api, csr: Api, when: str, stored: str) -> None:
    customer_id = create_customer(csr)["customer_id"]
    status, answer = feed_payment(api, IN_FRENCH, scheduled_for=when)
    assert status == 200, answer
    listed = csr.call("GET", f"/customers/{customer_id}/payments")[1]["items"]
    assert [payment["scheduled_for"] for payment in listed] == [stored]


@pytest.mark.parametrize("currency", ["ZZZ", "XXX", "DEM", "cad", "CA"])
def test_a_currency_not_in_use_is_422(api: Api, csr: Api, currency: str) -> None:
    create_customer(csr)
    before = all_items()
    status, answer = feed_payment(api, IN_FRENCH, currency=currency)
    assert status == 422, answer
    assert [item["field"] for item in answer["error"]["details"]["fields"]] == ["currency"]
    assert all_items() == before


def test_the_currency_message_is_in_the_readers_language(api: Api, csr: Api) -> None:
    create_customer(csr)
    status, answer = feed_payment(api, IN_FRENCH, currency="ZZZ")
    assert status == 422
    assert answer["error"]["details"]["fields"][0]["message"] == (
        "Doit être un code de devise ISO 4217 en usage (comme CAD, USD ou EUR)."
    )


@pytest.mark.parametrize("currency", ["CAD", "EUR", "JPY", "XOF"])
def test_a_currency_in_use_is_accepted(api: Api, csr: Api, currency: str) -> None:
    create_customer(csr)
    assert feed_payment(api, IN_FRENCH, currency=currency)[0] == 200


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:00:00-05:00", "1969-06-01T00:00:00Z"])
def test_a_relationship_end_out_of_range_is_422(api: Api, when: str) -> None:
    before = all_items()
    body = client_body("Out of range") | {"relationship": {"status": "active", "expires_at": when}}
    status, answer, _ = feed(api).call("PUT", "/integration/clients/C-1", body)
    assert status == 422, answer
    assert [item["field"] for item in answer["error"]["details"]["fields"]] == ["relationship.expires_at"]
    assert all_items() == before
