"""Another tenant's token gets 404 on every route that names a record, and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infra import template
from tests.support.api import Api, new_customer_body
from tests.support.tables import all_items

# A valid body for each route that names a customer, so that the call gets past validation.
BODIES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("GET", "/customers/{customer_id}"): None,
    ("PATCH", "/customers/{customer_id}"): {"first_name": "Mallory"},
    ("POST", "/customers/{customer_id}/accounts"): {
        "account_number": "ACC-X",
        "service_address": "1 A St",
        "billing_address": "1 A St",
        "district": "north",
    },
    ("GET", "/customers/{customer_id}/payments"): None,
    ("POST", "/customers/{customer_id}/impersonation"): None,
    ("POST", "/customers/{customer_id}/lock"): {"reason": "compromised"},
    ("POST", "/customers/{customer_id}/unlock"): None,
    ("POST", "/customers/{customer_id}/deactivate"): {"acknowledge_pending_payments": True},
    ("POST", "/customers/{customer_id}/hide"): None,
    ("POST", "/customers/{customer_id}/password-reset-link"): None,
    ("POST", "/customers/{customer_id}/enroll"): None,
    ("POST", "/customers/{customer_id}/recovery-code"): None,
    ("GET", "/customers/{customer_id}/recovery-code"): None,
    ("DELETE", "/customers/{customer_id}/recovery-code"): None,
    ("GET", "/customers/{customer_id}/activity"): None,
}
CUSTOMER_ROUTES = sorted((r.method, r.path) for r in template.api_routes() if "{customer_id}" in r.path)


def test_every_customer_route_has_a_sample_body() -> None:
    assert set(CUSTOMER_ROUTES) <= set(BODIES), "add the new route to BODIES so its isolation is tested"


@pytest.mark.parametrize(("method", "path"), CUSTOMER_ROUTES)
def test_another_tenants_csr_gets_404_and_changes_nothing(api: Api, method: str, path: str) -> None:
    # Given a customer of utility-a
    owner = api.as_(groups=["csr", "csr_supervisor"], tenant_id="utility-a")
    status, created, _ = owner.call("POST", "/customers", new_customer_body())
    assert status == 201
    before = all_items()
    # When a supervisor of utility-b names it
    intruder = api.as_(groups=["csr", "csr_supervisor"], tenant_id="utility-b", sub="csr-b")
    concrete = re.sub(r"\{customer_id\}", created["customer_id"], path)
    status, error, _ = intruder.call(method, concrete, BODIES[(method, path)])
    # Then
    assert (status, error["error"]["code"]) == (404, "not_found")
    assert all_items() == before
