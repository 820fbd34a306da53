"""Deactivation cancels open payments in its own transaction: the bound the README states holds."""

from __future__ import annotations

import pytest

from tests.conftest import Api, new_customer_body
from tests.integration.helpers import all_items

MOST_OPEN_PAYMENTS = 47


def customer_with_open_payments(api: Api, csr: Api, count: int) -> str:
    status, created, _ = csr.call("POST", "/customers", new_customer_body())
    assert status == 201
    integration = api.as_(groups=["integration"])
    for n in range(count):
        body = {
            "account_number": "ACC-000001",
            "amount": 10,
            "currency": "CAD",
            "status": "scheduled",
            "scheduled_for": f"2027-01-{n % 28 + 1:02d}",
        }
        assert integration.call("PUT", f"/integration/payments/PAY-{n}", body)[0] == 200
    return str(created["customer_id"])


@pytest.mark.parametrize(("count", "status"), [(MOST_OPEN_PAYMENTS, 200), (MOST_OPEN_PAYMENTS + 1, 422)])
def test_deactivation_fits_one_transaction_up_to_the_stated_bound(api: Api, csr: Api, count: int, status: int) -> None:
    cid = customer_with_open_payments(api, csr, count)
    before = all_items()
    answer, body, _ = csr.call("POST", f"/customers/{cid}/deactivate", {"acknowledge_pending_payments": True})
    assert answer == status, body
    if status == 200:
        assert len(body["cancelled_payments"]) == count
    else:
        assert body["error"]["code"] == "change_too_large"
        assert all_items() == before
