"""Every fault a clean answer: AWS errors injected with botocore event hooks into each route.

For every route of template.yaml and every fault, the route answers either its success (the fault hit a
service the route does not call, or a side step the route tolerates) or 503 with the contract body; a
503 leaves DynamoDB as it was (no half-applied change, no activity entry) and sends no email, except that
a reset link is emailed before its token is stored (csr.services.reset_links says why); and the same
request, sent again once the fault is gone, completes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from botocore.exceptions import EndpointConnectionError

from infra import outbox, template
from tests.support.api import Api
from tests.support.faults import Fault, aws_error, injected
from tests.support.tables import all_items
from tests.support.world import REQUESTS, WRITES, build_world

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
