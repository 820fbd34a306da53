"""Helpers for the portal-access tests: customers in a given portal state, passwords set directly (the
reset flows are tested elsewhere), and reads of what DynamoDB holds."""

from __future__ import annotations

from typing import Any

from csr.data import customers as customer_store
from csr.data.dynamo import Transaction
from csr.models.customers import PortalState
from csr.passwords import hash_password
from tests.conftest import Api, new_customer_body
from tests.integration.helpers import activity_of

TENANT = "utility-a"
SUPERVISOR_GROUPS = ["csr", "csr_supervisor"]


def create_customer(csr: Api, n: int, *, enrolled: bool = True) -> dict[str, Any]:
    status, created, _ = csr.call("POST", "/customers", new_customer_body(n, enroll_in_portal=enrolled))
    assert status == 201, created
    return dict(created)


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


def activity(customer_id: str) -> list[dict[str, Any]]:
    """The customer's activity entries as stored, oldest first."""
    return activity_of(TENANT, customer_id)
