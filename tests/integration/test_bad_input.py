"""Bad input gets a clear 4xx with the contract's error body, never a 500, and writes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.api import Api, new_customer_body
from tests.support.customers import create_customer, feed_payment
from tests.support.tables import all_items


@pytest.mark.parametrize(
    "raw",
    [
        '{"first_name": "\\ud800"}',
        '{"accounts": [{"account_number": "ACC-000001", "nickname": "\\udfff"}]}',
    ],
)
def test_a_lone_surrogate_is_422_not_500(csr: Api, raw: str) -> None:
    cid = create_customer(csr)["customer_id"]
    before = all_items()
    status, error, _ = csr.call("PATCH", f"/customers/{cid}", raw_body=raw)
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert all_items() == before


@pytest.mark.parametrize(
    "raw",
    [
        '{"token": "\\ud800abc", "new_password": "abcdefghijklmnopq"}',
        '{"token": "abc", "new_password": "abcdefghijklmno\\ud800"}',
    ],
)
def test_portal_bodies_with_lone_surrogates_are_refused(api: Api, raw: str) -> None:
    portal = api.machine("portal")
    status, error, _ = portal.call("POST", "/portal/password-reset", raw_body=raw)
    assert status == 422, error
    assert "\ud800" not in json.dumps(error)


@pytest.mark.parametrize("field", ["billing_address", "autopay", "paperless"])
def test_patch_refuses_null_for_account_fields_that_cannot_be_cleared(csr: Api, field: str) -> None:
    cid = create_customer(csr)["customer_id"]
    before = all_items()
    body = {"accounts": [{"account_number": "ACC-000001", field: None}]}
    status, error, _ = csr.call("PATCH", f"/customers/{cid}", body)
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert all_items() == before


def test_patch_null_nickname_clears_it(csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    assert (
        csr.call("PATCH", f"/customers/{cid}", {"accounts": [{"account_number": "ACC-000001", "nickname": "Cottage"}]})[
            0
        ]
        == 200
    )
    status, body, _ = csr.call(
        "PATCH", f"/customers/{cid}", {"accounts": [{"account_number": "ACC-000001", "nickname": None}]}
    )
    assert status == 200
    assert body["accounts"][0]["nickname"] is None


@pytest.mark.parametrize(
    "override",
    [
        {"enroll_in_portal": "no"},
        {"enroll_in_portal": 1},
        {
            "accounts": [
                {
                    "account_number": "A-1",
                    "service_address": "1 A St",
                    "billing_address": "1 A St",
                    "district": "north",
                    "autopay": "yes",
                }
            ]
        },
    ],
)
def test_wrong_types_are_refused_not_coerced(csr: Api, override: dict[str, Any]) -> None:
    status, error, _ = csr.call("POST", "/customers", new_customer_body(**override))
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert all_items() == []


def test_a_sixth_account_at_creation_is_refused_up_front(csr: Api) -> None:
    accounts = [
        {
            "account_number": f"ACC-{n}",
            "service_address": f"{n} Main Street",
            "billing_address": f"{n} Main Street",
            "district": "north",
        }
        for n in range(6)
    ]
    status, error, _ = csr.call("POST", "/customers", new_customer_body(accounts=accounts))
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert error["error"]["details"]["fields"][0]["field"] == "accounts"


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        ("[1]", 422, "validation_error"),
        ("{", 400, "malformed_request"),
        ('{"x": 1}', 422, "validation_error"),
        ('"s"', 422, "validation_error"),
    ],
)
def test_a_route_that_takes_no_body_refuses_one(csr: Api, raw: str, status: int, code: str) -> None:
    cid = create_customer(csr)["customer_id"]
    before = all_items()
    answer, error, _ = csr.call("POST", f"/customers/{cid}/impersonation", raw_body=raw)
    assert (answer, error["error"]["code"]) == (status, code)
    assert all_items() == before


@pytest.mark.parametrize("raw", ["", "{}", "  {}  "])
def test_a_route_that_takes_no_body_accepts_empty_or_an_empty_object(csr: Api, raw: str) -> None:
    cid = create_customer(csr)["customer_id"]
    assert csr.call("POST", f"/customers/{cid}/impersonation", raw_body=raw)[0] == 201


def test_a_json_body_sent_as_a_form_is_read_as_json(csr: Api) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, body, _ = csr.call("POST", "/customers", new_customer_body(), headers=headers)
    assert status == 201, body


def test_an_overlong_cursor_is_an_invalid_cursor(csr: Api) -> None:
    status, error, _ = csr.call("GET", "/customers", query={"q": "tremblay", "cursor": "x" * 5000})
    assert (status, error["error"]["code"]) == (400, "invalid_cursor")


@pytest.mark.parametrize(
    "changes",
    [
        {"amount": "12.50"},
        {"amount": True},
        {"scheduled_for": "2026-99-99"},
        {"scheduled_for": "soon"},
        {"scheduled_for": 20261201},
    ],
)
def test_payment_feed_refuses_strings_for_money_and_impossible_dates(
    api: Api, csr: Api, changes: dict[str, Any]
) -> None:
    create_customer(csr)
    before = all_items()
    status, error = feed_payment(api, **changes)
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert all_items() == before


@pytest.mark.parametrize(
    ("amount", "accepted"),
    [
        ("12.345", None),
        # more decimals than a float keeps, or a number a float rounds to zero: still more than 2 decimals
        ("1.00000000000000000000000000001", None),
        ("1e-400", None),
        ("12.50", "12.5"),
        ("1.2e1", "12.0"),
    ],
)
def test_money_is_read_as_the_decimal_it_spells(api: Api, csr: Api, amount: str, accepted: str | None) -> None:
    customer_id = create_customer(csr)["customer_id"]
    before = all_items()
    body = (
        '{"account_number": "ACC-000001", "amount": ' + amount + ', "currency": "CAD", "status": "scheduled", '
        '"scheduled_for": "2026-12-01"}'
    )
    status, answer, _ = api.machine("integration").call("PUT", "/integration/payments/PAY-1", raw_body=body)
    if accepted is None:
        assert (status, answer["error"]["code"]) == (422, "validation_error"), answer
        assert all_items() == before
    else:
        assert status == 200, answer
        listed = csr.call("GET", f"/customers/{customer_id}/payments")[1]["items"]
        assert [str(payment["amount"]) for payment in listed] == [accepted]


def test_payment_times_are_stored_in_utc_and_sorted_soonest_first(api: Api, csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    integration = api.machine("integration")
    for payment_id, when in [("PAY-A", "2026-12-01T10:00:00+05:00"), ("PAY-B", "2026-12-01T06:00:00Z")]:
        body = {
            "account_number": "ACC-000001",
            "amount": 1,
            "currency": "CAD",
            "status": "pending",
            "scheduled_for": when,
        }
        assert integration.call("PUT", f"/integration/payments/{payment_id}", body)[0] == 200
    status, listed, _ = csr.call("GET", f"/customers/{cid}/payments")
    assert status == 200
    assert [(p["payment_id"], p["scheduled_for"]) for p in listed["items"]] == [
        ("PAY-A", "2026-12-01T05:00:00.000Z"),
        ("PAY-B", "2026-12-01T06:00:00.000Z"),
    ]
