"""Customers made through the API, states written straight through the store (for the flows a test does
not cover), and what DynamoDB holds of them."""

from __future__ import annotations

from typing import Any

from csr.data import customers as customer_store
from csr.data import keys, payments
from csr.data.dynamo import Transaction
from csr.models.customers import Payment, PaymentStatus, PortalState
from csr.passwords import hash_password
from tests.support.api import Api, new_customer_body
from tests.support.tables import activity_of, table

TENANT = "utility-a"
SUPERVISOR_GROUPS = ["csr", "csr_supervisor"]
ACK = {"acknowledge_pending_payments": True}


def create_customer(csr: Api, n: int = 1, **overrides: Any) -> dict[str, Any]:
    """The one way a test makes a customer: `POST /customers` with `new_customer_body(n)` and its changes."""
    status, created, _ = csr.call("POST", "/customers", new_customer_body(n, **overrides))
    assert status == 201, created
    return dict(created)


def feed_payment(api: Api, headers: dict[str, str] | None = None, **changes: Any) -> tuple[int, dict[str, Any]]:
    """Billing's feed puts payment PAY-1 of account ACC-000001 (the first `create_customer`'s): a scheduled
    payment, with `changes`. Returns the status and the answer."""
    body = {
        "account_number": "ACC-000001",
        "amount": 12.5,
        "currency": "CAD",
        "status": "scheduled",
        "scheduled_for": "2026-12-01",
        **changes,
    }
    status, answer, _ = api.machine("integration").call("PUT", "/integration/payments/PAY-1", body, headers=headers)
    return status, answer


def change_customer(customer_id: str, **changes: Any) -> None:
    """Write a customer change straight through the store, as the flows this test does not cover would."""
    found = customer_store.load(TENANT, customer_id)
    assert found is not None
    before = found.customer
    portal = before.portal.model_copy(update=changes.pop("portal", {}))
    tx = Transaction()
    customer_store.add_customer_write(tx, TENANT, before, before.model_copy(update={**changes, "portal": portal}))
    tx.commit()


def set_portal(customer_id: str, **portal: Any) -> None:
    change_customer(customer_id, portal=portal)


def set_password(customer_id: str, password: str) -> None:
    change_customer(customer_id, password_hash=hash_password(password))


def portal_of(customer_id: str) -> PortalState:
    found = customer_store.load(TENANT, customer_id)
    assert found is not None
    return found.customer.portal


def profile(customer_id: str) -> dict[str, Any]:
    """The customer's profile item as stored."""
    key = {"pk": keys.customer_pk(TENANT, customer_id), "sk": keys.PROFILE_SK}
    item: dict[str, Any] = table().get_item(Key=key)["Item"]
    return item


def activity(customer_id: str) -> list[dict[str, Any]]:
    """The customer's activity entries as stored, oldest first."""
    return activity_of(TENANT, customer_id)


def activity_types(customer_id: str, tenant_id: str = TENANT) -> list[str]:
    return [entry["type"] for entry in activity_of(tenant_id, customer_id)]


def customer_with_payments(csr: Api, open_count: int, closed_count: int = 3) -> tuple[str, list[str]]:
    """A customer with `open_count` scheduled/pending payments (and a few closed ones), written straight
    through the data layer in chunks (billing's feed is tested elsewhere). Returns the open payment ids."""
    customer = create_customer(csr, 1)
    customer_id, number = customer["customer_id"], customer["accounts"][0]["account_number"]
    statuses = [PaymentStatus.SCHEDULED, PaymentStatus.PENDING]
    made = [
        Payment(
            payment_id=f"PAY-{n:05d}",
            account_number=number,
            amount=10 + n,
            currency="CAD",
            status=statuses[n % 2] if n < open_count else PaymentStatus.COMPLETED,
            scheduled_for=f"2027-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
        )
        for n in range(open_count + closed_count)
    ]
    for start in range(0, len(made), 40):
        tx = Transaction()
        for payment in made[start : start + 40]:
            payments.add_payment_write(tx, TENANT, customer_id, payment, None)
        tx.commit()
    return customer_id, [p.payment_id for p in made[:open_count]]
