"""Every fault a clean answer: AWS errors injected with botocore event hooks into each route.

For every route of template.yaml and every fault, the route answers either its success (the fault hit a
service the route does not call, or a side step the route tolerates) or 503 with the contract body; a
503 leaves DynamoDB as it was (no half-applied change, no activity entry) and sends no email, except that
a reset link is emailed before its token is stored (csr.services.reset_links says why); and the same
request, sent again once the fault is gone, completes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError

from csr.models.customers import LockReason, PortalStatus
from infra import outbox, template
from tests.conftest import Api, new_customer_body
from tests.integration.access_helpers import SUPERVISOR_GROUPS, create_customer, set_password, set_portal
from tests.integration.faults import Fault, aws_error, drop_clients, injected
from tests.integration.group_helpers import PROVIDER, client_body, create_group, deliver, put_clients, put_employee
from tests.integration.helpers import all_items

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
    feed = {"account_number": "ACC-000001", "amount": 9.5, "currency": "CAD", "status": "scheduled"}
    status, _, _ = api.machine("integration").call(
        "PUT", "/integration/payments/PAY-1", {**feed, "scheduled_for": "2027-01-05"}
    )
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
    unenrolled = create_customer(csr, 4, enrolled=False)
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

REQUESTS = {
    ("GET", "/customers"): Request("GET", "/customers", CSR, None, 200, query={"q": "tremblay"}),
    ("POST", "/customers"): Request("POST", "/customers", CSR, lambda w: new_customer_body(3), 201),
    ("GET", "/customers/{customer_id}"): Request("GET", "/customers/{customer_id}", CSR, None, 200),
    ("PATCH", "/customers/{customer_id}"): Request(
        "PATCH", "/customers/{customer_id}", CSR, lambda w: {"first_name": "Jeanne"}, 200
    ),
    ("POST", "/customers/{customer_id}/accounts"): Request(
        "POST", "/customers/{customer_id}/accounts", CSR, lambda w: ACCOUNT, 201
    ),
    ("GET", "/customers/{customer_id}/payments"): Request("GET", "/customers/{customer_id}/payments", CSR, None, 200),
    ("POST", "/customers/{customer_id}/impersonation"): Request(
        "POST", "/customers/{customer_id}/impersonation", CSR, None, 201
    ),
    ("PUT", "/integration/payments/{payment_id}"): Request(
        "PUT", "/integration/payments/{payment_id}", ("integration",), lambda w: PAYMENT, 200
    ),
    ("POST", "/customers/{customer_id}/lock"): Request(
        "POST", "/customers/{customer_id}/lock", CSR, lambda w: {"reason": "misuse"}, 200
    ),
    ("POST", "/customers/{customer_id}/unlock"): Request("POST", "/customers/{customer_id}/unlock", CSR, None, 200),
    ("POST", "/customers/{customer_id}/deactivate"): Request(
        "POST", "/customers/{customer_id}/deactivate", CSR, lambda w: {"acknowledge_pending_payments": True}, 200
    ),
    ("POST", "/customers/{customer_id}/hide"): Request(
        "POST", "/customers/{customer_id}/hide", tuple(SUPERVISOR_GROUPS), None, 200
    ),
    ("POST", "/portal/login"): Request(
        "POST", "/portal/login", ("portal",), lambda w: {"email": w.email, "password": PASSWORD}, 200
    ),
    ("POST", "/portal/password-reset"): Request(
        "POST",
        "/portal/password-reset",
        ("portal",),
        lambda w: {"token": w.reset_token, "new_password": NEW_PASSWORD},
        204,
    ),
    ("POST", "/portal/recovery"): Request(
        "POST",
        "/portal/recovery",
        ("portal",),
        lambda w: {"email": w.email, "code": w.recovery_code, "new_password": NEW_PASSWORD},
        204,
    ),
    ("GET", "/portal/impersonation/{session_token}"): Request(
        "GET", "/portal/impersonation/{session_token}", ("portal",), None, 200
    ),
    ("POST", "/customers/{customer_id}/recovery-code"): Request(
        "POST", "/customers/{customer_id}/recovery-code", CSR, None, 201
    ),
    ("GET", "/customers/{customer_id}/recovery-code"): Request(
        "GET", "/customers/{customer_id}/recovery-code", CSR, None, 200
    ),
    ("DELETE", "/customers/{customer_id}/recovery-code"): Request(
        "DELETE", "/customers/{customer_id}/recovery-code", CSR, None, 204
    ),
    ("POST", "/customers/{customer_id}/password-reset-link"): Request(
        "POST", "/customers/{customer_id}/password-reset-link", CSR, None, 202
    ),
    ("GET", "/customers/{customer_id}/activity"): Request("GET", "/customers/{customer_id}/activity", CSR, None, 200),
    ("POST", "/customers/{customer_id}/enroll"): Request("POST", "/customers/{customer_id}/enroll", CSR, None, 202),
    ("GET", "/districts"): Request("GET", "/districts", CSR, None, 200),
    ("PUT", "/integration/clients/{client_id}"): Request(
        "PUT",
        "/integration/clients/{client_id}",
        FEED,
        lambda w: client_body("Client C 00000", status="expired", number="BN C00000"),
        200,
        PROVIDER,
    ),
    ("PUT", "/integration/employees/{employee_id}"): Request(
        "PUT",
        "/integration/employees/{employee_id}",
        FEED,
        lambda w: {"name": "Employee E2", "email": "e2@provider.example.com", "role": "editor"},
        200,
        PROVIDER,
    ),
    ("GET", "/groups"): Request("GET", "/groups", BAM, None, 200, PROVIDER),
    ("POST", "/groups"): Request(
        "POST", "/groups", BAM, lambda w: {"name": "Southern brokers", "client_ids": w.client_ids[2:]}, 202, PROVIDER
    ),
    ("GET", "/groups/available-clients"): Request("GET", "/groups/available-clients", BAM, None, 200, PROVIDER),
    ("GET", "/groups/{group_id}"): Request("GET", "/groups/{group_id}", BAM, None, 200, PROVIDER),
    ("PATCH", "/groups/{group_id}"): Request(
        "PATCH",
        "/groups/{group_id}",
        BAM,
        lambda w: {"name": "Northern brokers", "add_client_ids": w.client_ids[2:], "confirmation": "CONFIRM"},
        202,
        PROVIDER,
    ),
    ("DELETE", "/groups/{group_id}"): Request(
        "DELETE", "/groups/{group_id}", BAM, None, 202, PROVIDER, query={"confirmation": "DELETE"}
    ),
    ("PUT", "/groups/{group_id}/employees"): Request(
        "PUT",
        "/groups/{group_id}/employees",
        BAM,
        lambda w: ASSIGNMENT,
        202,
        PROVIDER,
    ),
    ("GET", "/process-requests"): Request("GET", "/process-requests", BAM, None, 200, PROVIDER),
    ("GET", "/process-requests/{request_id}"): Request(
        "GET", "/process-requests/{request_id}", BAM, None, 200, PROVIDER
    ),
}
# The routes that store a process request and queue it: a failed SendMessage is a 503 with nothing stored.
QUEUEING = {
    ("POST", "/groups"),
    ("PATCH", "/groups/{group_id}"),
    ("DELETE", "/groups/{group_id}"),
    ("PUT", "/groups/{group_id}/employees"),
    ("PUT", "/integration/clients/{client_id}"),
}
ROUTES = sorted((r.method, r.path) for r in template.api_routes())


def _cancelled_for_throttling(operation: str) -> Exception:
    error: Exception = aws_error(
        "TransactionCanceledException",
        operation,
        CancellationReasons=[{"Code": "None"}, {"Code": "ThrottlingError", "Message": "Throttled"}],
    )
    return error


# name -> (service, operation pattern, error, calls let through first)
FAULTS: dict[str, tuple[str, str, Callable[[str], BaseException], int]] = {
    "dynamodb-throughput-exceeded-first-call": (
        "dynamodb",
        "*",
        lambda op: aws_error("ProvisionedThroughputExceededException", op),
        0,
    ),
    "dynamodb-throttling-every-write": ("dynamodb", WRITES, lambda op: aws_error("ThrottlingException", op), 0),
    "dynamodb-internal-error-first-write": (
        "dynamodb",
        WRITES,
        lambda op: aws_error("InternalServerError", op, 500),
        0,
    ),
    "dynamodb-transaction-throttled": ("dynamodb", "TransactWriteItems", _cancelled_for_throttling, 0),
    "dynamodb-unreachable-second-call": (
        "dynamodb",
        "*",
        lambda op: EndpointConnectionError(endpoint_url="https://dynamodb"),
        1,
    ),
    "ses-throttling": ("sesv2", "*", lambda op: aws_error("TooManyRequestsException", op, 429), 0),
    "ses-message-rejected": ("sesv2", "*", lambda op: aws_error("MessageRejected", op), 0),
    "ssm-parameter-not-found": ("ssm", "*", lambda op: aws_error("ParameterNotFound", op), 0),
    "ssm-throttling": ("ssm", "*", lambda op: aws_error("ThrottlingException", op), 0),
    "sqs-nonexistent-queue": ("sqs", "*", lambda op: aws_error("AWS.SimpleQueueService.NonExistentQueue", op), 0),
    "sqs-throttling": ("sqs", "*", lambda op: aws_error("ThrottlingException", op), 0),
    "sqs-internal-error": ("sqs", "*", lambda op: aws_error("InternalError", op, 500), 0),
}
# A service's faults are tried on the routes whose function may call it (template.yaml's policies).
SERVICE_ACTION = {"dynamodb": "dynamodb:", "sesv2": "ses:", "ssm": "ssm:", "sqs": "sqs:"}


def _may_call(route: tuple[str, str], service: str) -> bool:
    function = next(r.function for r in template.api_routes() if (r.method, r.path) == route)
    return SERVICE_ACTION[service] in json.dumps(function.properties.get("Policies", []))


CASES = [
    pytest.param(route, name, id=f"{route[0]} {route[1]} {name}")
    for route in ROUTES
    for name, (service, *_) in sorted(FAULTS.items())
    if _may_call(route, service)
]


def test_every_route_has_a_request_and_meets_faults() -> None:
    assert set(ROUTES) == set(REQUESTS), "add the new route to REQUESTS so that its faults are tested"
    assert {route for route, _ in (case.values for case in CASES)} == set(ROUTES)


@pytest.mark.parametrize(("route", "fault_name"), CASES)
def test_a_fault_is_a_clean_answer(api: Api, route: tuple[str, str], fault_name: str) -> None:
    world = build_world(api)
    request = REQUESTS[route]
    service, operation, make_error, after = FAULTS[fault_name]
    items_before, emails_before = all_items(), len(outbox.messages())
    caller = request.caller(api)
    # When the route meets the fault
    with injected(Fault(service, operation, make_error, after=after)) as fault:
        status, answer = request.send(caller, world)
    # Then it answers its success (the fault never hit, or hit a side step it tolerates) or a clean 503
    if service == "sqs" and route in QUEUEING:
        assert status == 503, answer  # the request cannot be queued: it is not accepted
    if status != request.success:
        assert fault.raised, (status, answer)
        assert status == 503, answer
        assert set(answer) == {"error"}
        assert set(answer["error"]) == {"code", "message", "details"}
        assert answer["error"]["code"] in ("dependency_unavailable", "email_unavailable"), answer
        assert "injected" not in answer["error"]["message"]
        # with nothing half-applied: no item, no activity entry, no email
        assert all_items() == items_before
        sent = len(outbox.messages()) - emails_before
        sends_before_storing = route in (
            ("POST", "/customers/{customer_id}/password-reset-link"),
            ("POST", "/customers/{customer_id}/enroll"),
        )
        assert sent <= (1 if sends_before_storing and service == "dynamodb" else 0)
        # and once the fault is gone, the same request completes
        status, answer = request.send(caller, world)
        assert status == request.success, answer
