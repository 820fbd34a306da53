"""The whole API over real HTTP, as `make serve` runs it."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from csr import clock
from infra.local_server import ses_event_functions
from infra.template import api_routes, gateway_responses
from tests.support.api import new_customer_body
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e

# The bodies API Gateway answers with, as template.yaml sets them: the local server's too.
UNAUTHORIZED = json.loads(gateway_responses()["UNAUTHORIZED"].body)
NOT_FOUND = json.loads(gateway_responses()["MISSING_AUTHENTICATION_TOKEN"].body)


def _forged(secret: str, **overrides: object) -> str:
    now = int(time.time())
    claims = {
        "sub": "x",
        "email": "x@staff.example.com",
        "cognito:groups": ["csr"],
        "custom:tenant_id": "utility-a",
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        **overrides,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def test_banner_gives_working_tokens_password_and_curl(server: LocalServer) -> None:
    # Given the start-up banner
    # Then its CSR token reads the demo customer it names, and it shows the demo password and a curl line
    response = server.call("GET", f"/customers/{server.customer_id}", token=server.banner_token("csr"))
    assert response.status_code == 200, response.text
    assert response.json()["email"] == server.customer_email
    assert "correct-horse-battery-staple" in server.banner
    assert f'curl -H "Authorization: Bearer {server.banner_token("csr")}"' in server.banner
    for name in ("supervisor", "portal", "integration"):
        assert server.banner_token(name).count(".") == 2


def test_token_from_local_route_reads_demo_customer(server: LocalServer) -> None:
    token = server.token(["csr"])
    response = server.call("GET", f"/customers/{server.customer_id}", token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["customer_id"] == server.customer_id
    assert body["portal"]["status"] == "enrolled"


def test_demo_customer_has_open_payments(server: LocalServer) -> None:
    response = server.call(
        "GET",
        f"/customers/{server.customer_id}/payments",
        token=server.token(["csr"]),
        params={"status": "scheduled,pending"},
    )
    assert response.status_code == 200, response.text
    assert {payment["status"] for payment in response.json()["items"]} == {"scheduled", "pending"}


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-jwt", "Basic dXNlcjpwYXNz", "wrong-signature", "expired", "no-tenant"],
)
def test_bad_token_gets_401_before_any_handler(server: LocalServer, authorization: str | None) -> None:
    headers = {}
    if authorization == "wrong-signature":
        headers["Authorization"] = "Bearer " + _forged("another-secret-of-at-least-32-bytes!")
    elif authorization == "expired":
        headers["Authorization"] = "Bearer " + _forged(
            server.jwt_secret, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600
        )
    elif authorization == "no-tenant":
        token = jwt.encode({"sub": "x", "iat": int(time.time()), "exp": int(time.time()) + 60}, server.jwt_secret)
        headers["Authorization"] = f"Bearer {token}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = server.call("GET", f"/customers/{server.customer_id}", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_token_signed_with_server_secret_is_accepted(server: LocalServer) -> None:
    # The forging helper is sound: the same claims, correctly signed and unexpired, pass.
    response = server.call("GET", f"/customers/{server.customer_id}", token=_forged(server.jwt_secret))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nope"), ("GET", "/customers/x/y/z"), ("DELETE", "/customers/{id}"), ("PUT", "/customers")],
)
def test_unknown_route_or_method_gets_404_even_without_token(server: LocalServer, method: str, path: str) -> None:
    path = path.replace("{id}", server.customer_id)
    for token in (None, server.token(["csr"])):
        response = server.call(method, path, token=token)
        assert response.status_code == 404, response.text
        assert response.json() == NOT_FOUND


def test_unknown_local_route_gets_404(server: LocalServer) -> None:
    response = server.call("GET", "/_local/nothing")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_malformed_json_gets_400(server: LocalServer) -> None:
    response = server.call(
        "POST",
        "/customers",
        token=server.token(["csr"]),
        data=b'{"person_id": ',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


def test_oversized_body_gets_413(server: LocalServer) -> None:
    body = new_customer_body(90, first_name="x" * (65 * 1024))
    response = server.call("POST", "/customers", token=server.token(["csr"]), json=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    search = server.call("GET", "/customers", token=server.token(["csr"]), params={"q": body["email"]})
    assert search.json()["items"] == []


def test_other_tenant_cannot_read_or_change_a_customer(server: LocalServer) -> None:
    # Given a CSR of utility-b and a customer of utility-a
    path = f"/customers/{server.customer_id}"
    other = server.token(["csr", "csr_supervisor"], tenant_id="utility-b", sub="csr-b")
    before = server.call("GET", path, token=server.token(["csr"])).json()
    # When utility-b reads and patches it
    read = server.call("GET", path, token=other)
    patched = server.call("PATCH", path, token=other, json={"first_name": "Mallory"})
    # Then both get 404, and nothing changed
    assert read.status_code == 404
    assert read.json()["error"]["code"] == "not_found"
    assert patched.status_code == 404
    assert patched.json()["error"]["code"] == "not_found"
    after = server.call("GET", path, token=server.token(["csr"])).json()
    assert after == before


def test_create_customer_then_read_it(server: LocalServer) -> None:
    token = server.token(["csr"])
    created = server.call("POST", "/customers", token=token, json=new_customer_body(4242, first_name="Zoë"))
    assert created.status_code == 201, created.text
    read = server.call("GET", f"/customers/{created.json()['customer_id']}", token=token)
    assert read.status_code == 200
    assert read.json() == created.json()
    assert read.json()["first_name"] == "Zoë"


def test_reset_link_email_lands_in_outbox(server: LocalServer) -> None:
    # Given an enrolled customer made for this test
    token = server.token(["csr"])
    created = server.call("POST", "/customers", token=token, json=new_customer_body(4343)).json()
    # When a CSR sends a reset link
    sent = server.call("POST", f"/customers/{created['customer_id']}/password-reset-link", token=token)
    assert sent.status_code == 202, sent.text
    # Then the newest outbox message went to that customer, with a body and a time
    outbox = server.call("GET", "/_local/outbox")
    assert outbox.status_code == 200
    newest = outbox.json()["items"][0]
    assert newest["to"] == [created["email"]]
    assert newest["subject"]
    assert "reset-password?token=" in (newest["text"] or "") + (newest["html"] or "")
    assert clock.parse_iso(newest["sent_at"])
    # When SES reports that it bounced
    bounced = server.call(
        "POST", "/_local/ses-events", json={"message_id": newest["message_id"], "event_type": "Bounce"}
    )
    assert bounced.status_code == 202, bounced.text
    assert bounced.json()["delivered_to"] == [function.logical_id for function in ses_event_functions()]
    # Then the customer's activity log records it
    activity = server.call(
        "GET", f"/customers/{created['customer_id']}/activity", token=token, params={"types": "email_bounced"}
    )
    assert activity.status_code == 200, activity.text
    assert [item["type"] for item in activity.json()["items"]] == ["email_bounced"]


def test_ses_event_for_unknown_message_gets_404(server: LocalServer) -> None:
    response = server.call("POST", "/_local/ses-events", json={"message_id": "no-such-id", "event_type": "Bounce"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_ses_event_of_unknown_type_gets_422(server: LocalServer) -> None:
    response = server.call("POST", "/_local/ses-events", json={"message_id": "m", "event_type": "Open"})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "event_type"


def test_clock_advances_and_resets(server: LocalServer) -> None:
    before = datetime.now(UTC)
    advanced = server.call("POST", "/_local/clock", json={"advance_seconds": 86400})
    assert advanced.status_code == 200, advanced.text
    assert clock.parse_iso(advanced.json()["now"]) >= before + timedelta(days=1)
    reset = server.call("DELETE", "/_local/clock")
    assert reset.status_code == 200
    assert clock.parse_iso(reset.json()["now"]) < before + timedelta(days=1)


def test_clock_refuses_bad_body(server: LocalServer) -> None:
    response = server.call("POST", "/_local/clock", json={"advance_seconds": "soon"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_token_route_refuses_bad_body(server: LocalServer) -> None:
    response = server.call("POST", "/_local/token", json={"sub": "x", "groups": ["csr"], "tenant_id": "bad tenant"})
    assert response.status_code == 422
    fields = {field["field"] for field in response.json()["error"]["details"]["fields"]}
    assert fields == {"email", "tenant_id"}


def test_openapi_has_every_template_route_and_bearer_scheme(server: LocalServer) -> None:
    response = server.call("GET", "/_local/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    missing = [(r.method, r.path) for r in api_routes() if r.method.lower() not in document["paths"].get(r.path, {})]
    assert missing == []
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["security"] == [{"bearerAuth": []}]


def test_docs_page_serves_swagger_ui_offline(server: LocalServer) -> None:
    page = server.call("GET", "/_local/docs")
    assert page.status_code == 200
    assert "/_local/openapi.json" in page.text
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets
    assert all(asset.startswith("/_local/docs/") for asset in assets)  # offline: nothing from another host
    bundle = server.call("GET", "/_local/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert bundle.headers["Content-Type"] == "application/javascript"
    assert server.call("GET", "/_local/docs/index.j2").status_code == 404  # only the assets the page uses


def test_a_machine_token_registers_its_client_and_reaches_its_routes_only(server: LocalServer) -> None:
    body = {"client_id": "e2eportal1", "scope": "csr-api/portal", "tenant_id": "utility-b"}
    response = server.call("POST", "/_local/token", json=body)
    assert response.status_code == 200, response.text
    token = response.json()["token"]
    assert jwt.decode(token, server.jwt_secret, algorithms=["HS256"])["token_use"] == "access"
    assert server.call("GET", "/portal/impersonation/abcdefghijklmnopqrstuv", token=token).status_code == 404
    refused = server.call("GET", f"/customers/{server.customer_id}", token=token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")
    feed = server.call("PUT", "/integration/payments/PAY-1", token=token, json={})
    assert (feed.status_code, feed.json()["error"]["code"]) == (403, "forbidden")


def test_an_access_token_of_an_unregistered_client_is_403(server: LocalServer) -> None:
    now = int(time.time())
    claims = {"sub": "nobody1", "client_id": "nobody1", "scope": "csr-api/portal", "token_use": "access"}
    token = jwt.encode({**claims, "iat": now, "exp": now + 60}, server.jwt_secret, algorithm="HS256")
    refused = server.call("POST", "/portal/login", token=token, json={"email": "a@example.com", "password": "x"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"client_id": "with-hyphen", "scope": "csr-api/portal", "tenant_id": "utility-a"}, {"client_id"}),
        ({"client_id": "abc", "scope": "csr-api/csr", "tenant_id": "utility-a"}, {"scope"}),
        ({"client_id": "abc", "scope": "csr-api/portal", "groups": ["csr"], "tenant_id": "utility-a"}, {"groups"}),
    ],
)
def test_token_route_refuses_a_bad_machine_body(server: LocalServer, body: dict[str, object], fields: set[str]) -> None:
    response = server.call("POST", "/_local/token", json=body)
    assert response.status_code == 422
    assert {field["field"] for field in response.json()["error"]["details"]["fields"]} == fields
