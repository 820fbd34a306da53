"""Searching as the console does, over customers whose words the test chooses."""

from __future__ import annotations

from typing import Any

from tests.support.api import Api
from tests.support.customers import create_customer


def account(number: str, address: str, district: str = "north", billing: str | None = None) -> dict[str, Any]:
    return {
        "account_number": number,
        "service_address": address,
        "billing_address": billing or address,
        "district": district,
    }


def add(api: Api, n: int, **overrides: Any) -> dict[str, Any]:
    """A customer whose email holds none of the words the tests search for, unless the test says so."""
    return create_customer(api, n, **{"email": f"c{n}@example.org", **overrides})


def search(api: Api, q: str, **query: str) -> list[dict[str, Any]]:
    status, page, _ = api.call("GET", "/customers", query={"q": q, **query})
    assert status == 200, page
    assert page["next_cursor"] is None
    return list(page["items"])


def rows(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(item["last_name"], item["account_number"]) for item in items]


def error_code(response: tuple[int, Any, dict[str, str]]) -> tuple[int, str]:
    status, body, _ = response
    return status, body["error"]["code"]


def districts(api: Api) -> list[tuple[str, int]]:
    status, body, _ = api.call("GET", "/districts")
    assert status == 200, body
    return [(item["district"], item["customers"]) for item in body["items"]]
