"""The events/ samples of the API functions: API Gateway's REST proxy shape (the keys that
`sam local generate-event apigateway aws-proxy` makes), a route of template.yaml, and an event the
deployed handler answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infra.apigw import invoke
from infra.local_aws import LocalAws
from infra.template import ROOT, api_routes

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
# Every folder of events/ but email_events (EventBridge events, checked beside that function) holds API samples.
SAMPLES = sorted(path for path in (ROOT / "events").glob("*/*.json") if path.parent.name != "email_events")


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


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
    response = invoke(route.function, event)
    assert response["statusCode"] < 500, response
    assert response["headers"]["X-Request-Id"] == event["requestContext"]["requestId"]
    if response["statusCode"] >= 400:
        # An unknown id in a sample: the route's own answer, not a routing or validation failure.
        assert json.loads(response["body"])["error"]["code"] in {
            "not_found",
            "account_not_found",
            "invalid_credentials",
            "invalid_or_expired_token",
            "invalid_or_expired_code",
        }


def test_create_customer_sample_creates_the_customer(aws: LocalAws) -> None:
    event = _load(ROOT / "events" / "customers" / "create_customer.json")
    route = next(r for r in api_routes() if (r.method, r.path) == ("POST", "/customers"))
    response = invoke(route.function, event)
    assert response["statusCode"] == 201, response
    assert json.loads(response["body"])["first_name"] == "Hélène"
