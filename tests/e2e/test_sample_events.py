"""The events/ samples of the API functions: API Gateway's REST proxy shape (the keys that
`sam local generate-event apigateway aws-proxy` makes), a route of template.yaml, and an event the
deployed handler answers; and the SQS samples of the functions a queue invokes, told apart by their shape."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from csr.data import machine_clients
from infra.apigw import invoke
from infra.local_aws import LocalAws
from infra.schedules import scheduled_event, schedules
from infra.sqs_delivery import CountdownContext
from infra.template import ROOT, api_routes, function_timeout, sqs_event_sources

pytestmark = pytest.mark.e2e

# From aws-sam-cli 1.170's `sam local generate-event apigateway aws-proxy`.
SAM_TOP_LEVEL = {
    "body",
    "resource",
    "path",
    "httpMethod",
    "isBase64Encoded",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
    "headers",
    "multiValueHeaders",
    "requestContext",
}
SAM_REQUEST_CONTEXT = {
    "accountId",
    "resourceId",
    "stage",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "identity",
    "path",
    "resourcePath",
    "httpMethod",
    "apiId",
    "protocol",
}
SAM_IDENTITY = {
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "accessKey",
    "sourceIp",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "userAgent",
    "user",
}


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _is_sqs(event: dict[str, Any]) -> bool:
    """An SQS event source mapping's event: `Records` whose `eventSource` is `aws:sqs`."""
    return bool(event.get("Records")) and all(record.get("eventSource") == "aws:sqs" for record in event["Records"])


def _is_scheduled(event: dict[str, Any]) -> bool:
    """An EventBridge schedule's event."""
    return event.get("source") == "aws.events" and event.get("detail-type") == "Scheduled Event"


# Every folder of events/ but email_events (EventBridge events, checked beside that function) holds API
# samples, SQS samples for the functions an SQS event source mapping invokes, and scheduled events for the
# functions on a schedule.
ALL_SAMPLES = sorted(path for path in (ROOT / "events").glob("*/*.json") if path.parent.name != "email_events")
SCHEDULED_SAMPLES = [path for path in ALL_SAMPLES if _is_scheduled(_load(path))]
SAMPLES = [path for path in ALL_SAMPLES if not _is_sqs(_load(path)) and path not in SCHEDULED_SAMPLES]
SQS_SAMPLES = [path for path in ALL_SAMPLES if _is_sqs(_load(path))]
# From aws-sam-cli 1.170's `sam local generate-event sqs receive-message`.
SAM_SQS_RECORD = {
    "messageId",
    "receiptHandle",
    "body",
    "attributes",
    "messageAttributes",
    "md5OfBody",
    "eventSource",
    "eventSourceARN",
    "awsRegion",
}


def test_every_api_route_has_a_sample() -> None:
    sampled = {(event["httpMethod"], event["resource"]) for event in map(_load, SAMPLES)}
    assert {(route.method, route.path) for route in api_routes()} <= sampled


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_sample_has_api_gateway_shape(path: Path) -> None:
    event = _load(path)
    assert set(event) >= SAM_TOP_LEVEL
    assert set(event["requestContext"]) >= SAM_REQUEST_CONTEXT
    assert set(event["requestContext"]["identity"]) >= SAM_IDENTITY
    assert event["isBase64Encoded"] is False
    claims = event["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(value, str) for value in claims.values())


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_sample_reaches_its_handler(aws: LocalAws, path: Path) -> None:
    event = _load(path)
    route = next(r for r in api_routes() if (r.method, r.path) == (event["httpMethod"], event["resource"]))
    claims = event["requestContext"]["authorizer"]["claims"]
    if claims["token_use"] == "access":  # a machine's sample: its app client registered, as docs/deploy.md says
        machine_clients.register(claims["client_id"], "utility-a", claims["scope"].removeprefix("csr-api/"))
    response = invoke(route.function, event)
    assert response["statusCode"] < 500, response
    assert response["statusCode"] != 403, response  # every sample's caller may call its route
    assert response["headers"]["X-Request-Id"] == event["requestContext"]["requestId"]
    if response["statusCode"] >= 400:
        # An unknown id in a sample: the route's own answer, not a routing or validation failure.
        assert json.loads(response["body"])["error"]["code"] in {
            "not_found",
            "account_not_found",
            "invalid_credentials",
            "invalid_or_expired_token",
            "invalid_or_expired_code",
            "clients_unavailable",
        }


def test_every_sqs_event_source_has_a_sample() -> None:
    sampled = {path.parent.name for path in SQS_SAMPLES}
    assert {source.function.code_dir.name for source in sqs_event_sources()} <= sampled
    assert SQS_SAMPLES


@pytest.mark.parametrize("path", SQS_SAMPLES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_sqs_sample_has_the_shape_lambda_gets_and_reaches_its_worker(aws: LocalAws, path: Path) -> None:
    event = _load(path)
    for record in event["Records"]:
        assert set(record) >= SAM_SQS_RECORD
        assert all(isinstance(value, str) for value in record["attributes"].values())
    source = next(s for s in sqs_event_sources() if s.function.code_dir.name == path.parent.name)
    handler = getattr(importlib.import_module(source.function.module), source.function.attribute)
    context = CountdownContext(source.function.logical_id, function_timeout(source.function))
    # The sample names a request that is not stored: nothing to apply, and no record reported failed.
    assert handler(event, context) == {"batchItemFailures": []}


def test_every_schedule_has_a_sample() -> None:
    sampled = {path.parent.name for path in SCHEDULED_SAMPLES}
    assert {schedule.function.code_dir.name for schedule in schedules()} <= sampled
    assert SCHEDULED_SAMPLES


@pytest.mark.parametrize("path", SCHEDULED_SAMPLES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_scheduled_sample_has_eventbridge_shape_and_reaches_its_function(aws: LocalAws, path: Path) -> None:
    event = _load(path)
    schedule = next(s for s in schedules() if s.function.code_dir.name == path.parent.name)
    assert set(event) == set(scheduled_event(schedule))
    handler = getattr(importlib.import_module(schedule.function.module), schedule.function.attribute)
    context = CountdownContext(schedule.function.logical_id, function_timeout(schedule.function))
    # Nothing stored: a run that finds nothing to do, and finishes.
    assert handler(event, context)["finished"] is True


def test_create_customer_sample_creates_the_customer(aws: LocalAws) -> None:
    event = _load(ROOT / "events" / "customers" / "create_customer.json")
    route = next(r for r in api_routes() if (r.method, r.path) == ("POST", "/customers"))
    response = invoke(route.function, event)
    assert response["statusCode"] == 201, response
    assert json.loads(response["body"])["first_name"] == "Hélène"
