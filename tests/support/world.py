"""A tenant where every route has something to act on, and one request of each route's caller that
succeeds in it: the world the fault and idempotency tests send their requests into."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from csr.models.customers import LockReason, PortalStatus
from infra import outbox
from tests.support.api import Api, new_customer_body
from tests.support.customers import SUPERVISOR_GROUPS, create_customer, feed_payment, set_password, set_portal
from tests.support.faults import drop_clients
from tests.support.groups import PROVIDER, client_body, create_group, deliver, put_clients, put_employee

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"
WRITES = "TransactWriteItems|PutItem|UpdateItem|DeleteItem"


@dataclass
class World:
    """A tenant where every route has something to act on."""

    customer_id: str
    email: str
    locked_id: str
    reset_token: str
    recovery_code: str
    session_token: str
    unenrolled_id: str
    group_id: str
    request_id: str
    client_ids: list[str]  # the first two in the group, the third available


def build_world(api: Api) -> World:
    drop_clients()  # every secret this test derives comes from this test's SSM parameter
    csr = api.as_(groups=SUPERVISOR_GROUPS)
    customer = create_customer(csr, 1)
    cid = customer["customer_id"]
    set_password(cid, PASSWORD)
    status, _ = feed_payment(api, amount=9.5, scheduled_for="2027-01-05")
    assert status == 200
    locked = create_customer(csr, 2)
    set_portal(locked["customer_id"], status=PortalStatus.LOCKED, lock_reason=LockReason.MISUSE)
    assert csr.call("POST", f"/customers/{cid}/password-reset-link")[0] == 202
    token = re.search(r"token=([\w-]+)", outbox.messages()[0]["text"] or "")
    assert token
    status, code, _ = csr.call("POST", f"/customers/{cid}/recovery-code")
    assert status == 201
    status, session, _ = csr.call("POST", f"/customers/{cid}/impersonation")
    assert status == 201
    unenrolled = create_customer(csr, 4, enroll_in_portal=False)
    # and a service provider with clients, employees and an active group whose creation completed
    client_ids = put_clients(api, 3)
    put_employee(api, "E1")
    group_id, request_id = create_group(api, "Northern importers", client_ids[:2])
    deliver()
    return World(
        cid,
        customer["email"],
        locked["customer_id"],
        token.group(1),
        code["code"],
        session["session_token"],
        unenrolled["customer_id"],
        group_id,
        request_id,
        client_ids,
    )


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    groups: tuple[str, ...]
    body: Callable[[World], Any] | None
    success: int
    tenant_id: str = "utility-a"
    query: dict[str, str] | None = None

    def caller(self, api: Api) -> Api:
        """Who sends it; a machine is registered here, as the deploy-time step did, out of any fault's way."""
        return api.as_roles(self.groups, tenant_id=self.tenant_id)

    def send(self, caller: Api, world: World, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        customers = {"unlock": world.locked_id, "enroll": world.unenrolled_id}
        path = self.path.format(
            customer_id=next((c for word, c in customers.items() if word in self.path), world.customer_id),
            payment_id="PAY-2",
            session_token=world.session_token,
            group_id=world.group_id,
            request_id=world.request_id,
            client_id=world.client_ids[0],
            employee_id="E2",
        )
        body = self.body(world) if self.body else None
        query = self.query
        status, answer, _ = caller.call(self.method, path, body, query=query, headers=headers)
        return status, answer


CSR = ("csr",)
FEED = ("integration",)
BAM = ("business_account_manager",)
ACCOUNT = {"account_number": "ACC-9", "service_address": "1 Pine St", "billing_address": "1 Pine St", "district": "x"}
PAYMENT = {
    "account_number": "ACC-000001",
    "amount": 5,
    "currency": "CAD",
    "status": "pending",
    "scheduled_for": "2027-02-01",
}
ASSIGNMENT = {"assignments": [{"employee_id": "E1", "role": "program_account_manager"}], "confirmation": "CONFIRM"}

_REQUESTS = [
    Request("GET", "/customers", CSR, None, 200, query={"q": "tremblay"}),
    Request("POST", "/customers", CSR, lambda w: new_customer_body(3), 201),
    Request("GET", "/customers/{customer_id}", CSR, None, 200),
    Request("PATCH", "/customers/{customer_id}", CSR, lambda w: {"first_name": "Jeanne"}, 200),
    Request("POST", "/customers/{customer_id}/accounts", CSR, lambda w: ACCOUNT, 201),
    Request("GET", "/customers/{customer_id}/payments", CSR, None, 200),
    Request("POST", "/customers/{customer_id}/impersonation", CSR, None, 201),
    Request("PUT", "/integration/payments/{payment_id}", ("integration",), lambda w: PAYMENT, 200),
    Request("POST", "/customers/{customer_id}/lock", CSR, lambda w: {"reason": "misuse"}, 200),
    Request("POST", "/customers/{customer_id}/unlock", CSR, None, 200),
    Request("POST", "/customers/{customer_id}/deactivate", CSR, lambda w: {"acknowledge_pending_payments": True}, 200),
    Request("POST", "/customers/{customer_id}/hide", tuple(SUPERVISOR_GROUPS), None, 200),
    Request("POST", "/portal/login", ("portal",), lambda w: {"email": w.email, "password": PASSWORD}, 200),
    Request(
        "POST",
        "/portal/password-reset",
        ("portal",),
        lambda w: {"token": w.reset_token, "new_password": NEW_PASSWORD},
        204,
    ),
    Request(
        "POST",
        "/portal/recovery",
        ("portal",),
        lambda w: {"email": w.email, "code": w.recovery_code, "new_password": NEW_PASSWORD},
        204,
    ),
    Request("GET", "/portal/impersonation/{session_token}", ("portal",), None, 200),
    Request("POST", "/customers/{customer_id}/recovery-code", CSR, None, 201),
    Request("GET", "/customers/{customer_id}/recovery-code", CSR, None, 200),
    Request("DELETE", "/customers/{customer_id}/recovery-code", CSR, None, 204),
    Request("POST", "/customers/{customer_id}/password-reset-link", CSR, None, 202),
    Request("GET", "/customers/{customer_id}/activity", CSR, None, 200),
    Request("POST", "/customers/{customer_id}/enroll", CSR, None, 202),
    Request("GET", "/districts", CSR, None, 200),
    Request(
        "PUT",
        "/integration/clients/{client_id}",
        FEED,
        lambda w: client_body("Client C 00000", status="expired", number="BN C00000"),
        200,
        PROVIDER,
    ),
    Request(
        "PUT",
        "/integration/employees/{employee_id}",
        FEED,
        lambda w: {"name": "Employee E2", "email": "e2@provider.example.com", "role": "editor"},
        200,
        PROVIDER,
    ),
    Request("GET", "/groups", BAM, None, 200, PROVIDER),
    Request(
        "POST", "/groups", BAM, lambda w: {"name": "Southern brokers", "client_ids": w.client_ids[2:]}, 202, PROVIDER
    ),
    Request("GET", "/groups/available-clients", BAM, None, 200, PROVIDER),
    Request("GET", "/groups/{group_id}", BAM, None, 200, PROVIDER),
    Request(
        "PATCH",
        "/groups/{group_id}",
        BAM,
        lambda w: {"name": "Northern brokers", "add_client_ids": w.client_ids[2:], "confirmation": "CONFIRM"},
        202,
        PROVIDER,
    ),
    Request("DELETE", "/groups/{group_id}", BAM, None, 202, PROVIDER, query={"confirmation": "DELETE"}),
    Request(
        "PUT",
        "/groups/{group_id}/employees",
        BAM,
        lambda w: ASSIGNMENT,
        202,
        PROVIDER,
    ),
    Request("GET", "/employees", BAM, None, 200, PROVIDER),
    Request("GET", "/process-requests", BAM, None, 200, PROVIDER),
    Request("GET", "/process-requests/{request_id}", BAM, None, 200, PROVIDER),
]
# Every route of template.yaml, one request each (test_faults checks that none is missing).
REQUESTS = {(r.method, r.path): r for r in _REQUESTS}
