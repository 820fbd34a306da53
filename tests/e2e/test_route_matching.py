"""How the local server and the tests pick a template route for a request, as API Gateway does (no server
needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra import local_server
from infra.apigw import resolve_route
from infra.local_auth import LocalAuthorizer
from infra.local_server import proxy_answer
from infra.template import ApiRoute, Function

pytestmark = pytest.mark.e2e

_FUNCTION = Function("GroupsFunction", Path("functions/groups"), "groups_handler", "lambda_handler", {})
ROUTES = [
    ApiRoute("GET", "/groups/{group_id}", _FUNCTION),
    ApiRoute("PATCH", "/groups/{group_id}", _FUNCTION),
    ApiRoute("GET", "/groups/available-clients", _FUNCTION),
    ApiRoute("PUT", "/groups/{group_id}/employees", _FUNCTION),
]


def test_literal_segment_wins_over_parameter() -> None:
    route = resolve_route(ROUTES, "GET", "/groups/available-clients")
    assert route is not None
    assert route.path == "/groups/available-clients"


def test_parameter_matches_other_values() -> None:
    route = resolve_route(ROUTES, "GET", "/groups/grp_123")
    assert route is not None
    assert route.path == "/groups/{group_id}"


def test_method_missing_on_the_chosen_resource_is_no_route() -> None:
    # PATCH exists on /groups/{group_id}, but the literal resource takes the path and has no PATCH.
    assert resolve_route(ROUTES, "PATCH", "/groups/available-clients") is None
    assert resolve_route(ROUTES, "DELETE", "/groups/grp_123") is None


def test_unknown_path_is_no_route() -> None:
    assert resolve_route(ROUTES, "GET", "/groups/grp_1/employees/extra") is None
    assert resolve_route(ROUTES, "GET", "/groups/") is None


def test_proxy_answer_honours_multi_value_headers_and_base64() -> None:
    status, headers, body = proxy_answer(
        {
            "statusCode": 201,
            "headers": {"Content-Type": "application/octet-stream"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": "aGVsbG8=",
            "isBase64Encoded": True,
        }
    )
    assert status == 201
    assert headers == {"Content-Type": "application/octet-stream", "Set-Cookie": "a=1, b=2"}
    assert body == b"hello"


def test_ses_events_not_wired_gets_404(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a template with no function taking SES events
    monkeypatch.setattr(local_server, "ses_event_functions", list)
    api = local_server.LocalApi(LocalAuthorizer())
    # When an SES event is posted
    body = json.dumps({"message_id": "m-1", "event_type": "Delivery"}).encode()
    (status, _headers, payload), _logged = api.handle("POST", "/_local/ses-events", "", {}, body)
    # Then 404, saying why
    error = json.loads(payload)["error"]
    assert (status, error["code"]) == (404, "not_found")
    assert "not wired" in error["message"]
