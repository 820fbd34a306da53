"""The impersonation check hands the portal what the customer sees (API.md `view`): profile, accounts with
their settings, payments; nothing a CSR alone sees (portal status, lock note, ids of other records)."""

from __future__ import annotations

from tests.support.api import Api, new_customer_body


def test_the_check_returns_the_customers_view(api: Api, csr: Api) -> None:
    body = new_customer_body(7, language="fr")
    body["accounts"][0] |= {"nickname": "Chalet", "autopay": True}
    status, customer, _ = csr.call("POST", "/customers", body)
    assert status == 201, customer
    payment = {"account_number": "ACC-000007", "amount": 42.5, "currency": "CAD", "status": "scheduled"}
    integration = api.machine("integration")
    assert integration.call("PUT", "/integration/payments/PAY-7", payment | {"scheduled_for": "2027-01-15"})[0] == 200
    token = csr.call("POST", f"/customers/{customer['customer_id']}/impersonation")[1]["session_token"]

    status, checked, _ = api.machine("portal").call("GET", f"/portal/impersonation/{token}")

    assert status == 200, checked
    assert checked["view"] == {
        "first_name": "Hélène",
        "last_name": "Tremblay",
        "email": "helene.tremblay7@example.org",
        "language": "fr",
        "accounts": [
            {
                "account_number": "ACC-000007",
                "nickname": "Chalet",
                "service_address": "2172 Main Street Apt 3",
                "billing_address": "2172 Main Street Apt 3",
                "autopay": True,
                "paperless": False,
            }
        ],
        "payments": [
            {
                "payment_id": "PAY-7",
                "account_number": "ACC-000007",
                "amount": 42.5,
                "currency": "CAD",
                "status": "scheduled",
                "scheduled_for": "2027-01-15",
            }
        ],
    }
