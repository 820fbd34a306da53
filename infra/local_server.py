"""`make serve`: the whole API on http://127.0.0.1:3000, from the very handlers template.yaml deploys.

In front of them it does what API Gateway does: matches the routes of template.yaml (a literal segment
beats a `{param}`), answers an unknown route or method with 404 and a missing or bad token with 401 (the
bodies of the template's Gateway Responses), checks the development JWT as the Cognito authorizer would
and hands the handler a REST proxy event. AWS is moto, in-process (infra.local_aws), seeded with demo data
(infra.seed). The `/_local/...` routes of API.md ("Local mode only") live here and nowhere else.

Handlers run one at a time, as in one warm Lambda container each: Powertools' resolver keeps the current
event on the app, and moto is made serial anyway.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import threading
import time
import traceback
import uuid
import warnings
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from swagger_ui_bundle import swagger_ui_path

from csr import clock
from csr.data import cleanup_mark
from csr.errors import (
    ApiError,
    DependencyUnavailableError,
    MalformedRequestError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
    ValidationFailedError,
)
from csr.models.common import ID_PATTERN
from csr.request_body import refuse_hostile_json
from infra import console, outbox, portal_view, template
from infra.apigw import invoke, rest_event, route_pattern
from infra.local_auth import InvalidTokenError, LocalAuthorizer
from infra.local_aws import LocalAws
from infra.openapi import merged_openapi
from infra.schedules import ScheduleRunner, run_once, schedule_of
from infra.seed import DEFAULT_CUSTOMERS, DEMO_PASSWORD, PROVIDER, TENANTS, SeedSummary, seed
from infra.ses_events import SesEventType, ses_event
from infra.sqs_delivery import SqsDelivery
from infra.template import ApiRoute, Function

DEFAULT_PORT = 3000
# How long a body may take to arrive once its headers have: a client that sends less than its
# Content-Length gets a 400 rather than a connection held open forever.
BODY_READ_TIMEOUT_SECONDS = 5.0
# API Gateway's own limit; the handlers refuse anything over 64 KiB with the same 413 body.
MAX_REQUEST_BYTES = 10 * 1024 * 1024
DOCS_ASSETS = frozenset(
    {
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "favicon-32x32.png",
        "favicon-16x16.png",
    }
)
CONTENT_TYPES = {".css": "text/css", ".js": "application/javascript", ".png": "image/png"}
DEMO_STAFF = {
    "csr": ["csr"],
    "supervisor": ["csr", "csr_supervisor"],
    "portal": ["portal"],
    "integration": ["integration"],
    "bam": ["business_account_manager"],
}
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>CSR Console API (local)</title>
<link rel="stylesheet" href="/_local/docs/swagger-ui.css"><link rel="icon" href="/_local/docs/favicon-32x32.png">
</head><body><div id="swagger-ui"></div>
<script src="/_local/docs/swagger-ui-bundle.js"></script>
<script src="/_local/docs/swagger-ui-standalone-preset.js"></script>
<script>window.onload = () => { window.ui = SwaggerUIBundle({url: "/_local/openapi.json", dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset], layout: "StandaloneLayout",
  persistAuthorization: true}); };</script>
</body></html>
"""


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sub: str = Field(min_length=1, max_length=128)
    email: str = Field(max_length=254)
    groups: list[str] = Field(max_length=10)
    tenant_id: str = Field(pattern=ID_PATTERN)


class ClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    advance_seconds: float = Field(ge=0, le=10 * 366 * 86400)


class SesEventRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: str = Field(min_length=1, max_length=256)
    event_type: SesEventType


Answer = tuple[int, dict[str, str], bytes]


def json_answer(status: int, payload: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


def error_answer(error: ApiError) -> Answer:
    return json_answer(error.status, error.body())


def resolve_route(routes: list[ApiRoute], method: str, path: str) -> ApiRoute | None:
    """API Gateway's choice: the most specific resource matching the path (literal segments before
    `{param}`s, left to right), then the method on that resource; None is its 404."""
    candidates = [route for route in routes if route_pattern(route.path).match(path)]
    if not candidates:
        return None
    best = min(candidates, key=lambda route: [segment.startswith("{") for segment in route.path.split("/")]).path
    return next((route for route in candidates if route.path == best and route.method == method), None)


def ses_event_functions() -> list[Function]:
    """The functions template.yaml subscribes to SES events through an EventBridge rule."""
    found = []
    for function in template.functions():
        for event in function.properties.get("Events", {}).values():
            pattern = event.get("Properties", {}).get("Pattern", {}) if event["Type"] == "EventBridgeRule" else {}
            sources = pattern.get("source", [])
            if "aws.ses" in (sources if isinstance(sources, list) else [sources]):
                found.append(function)
                break
    return found


def _parse(model: type[BaseModel], body: bytes) -> Any:
    """A /_local body, held to the same raw-body limits as the handlers' (csr.request_body)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequestError("The request body is not valid UTF-8.") from exc
    refuse_hostile_json(text)
    try:
        payload = json.loads(text or "{}")
    except ValueError as exc:
        raise MalformedRequestError() from exc
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"]} for err in exc.errors()
        ]
        raise ValidationFailedError(fields=fields) from exc


class LocalApi:
    """What the HTTP server serves: the template's routes behind the local authorizer, and /_local."""

    def __init__(self, authorizer: LocalAuthorizer) -> None:
        self.authorizer = authorizer
        self.routes = template.api_routes()
        self.invoke_lock = threading.Lock()
        self.local_routes = {
            ("POST", "/_local/token"): self.issue_token,
            ("GET", "/_local/openapi.json"): lambda _body: json_answer(200, merged_openapi()),
            ("GET", "/_local/docs"): lambda _body: (
                200,
                {"Content-Type": "text/html; charset=utf-8"},
                DOCS_PAGE.encode(),
            ),
            ("GET", "/_local/outbox"): lambda _body: json_answer(200, {"items": outbox.messages()}),
            ("POST", "/_local/ses-events"): self.send_ses_event,
            ("POST", "/_local/clock"): self.advance_clock,
            ("DELETE", "/_local/clock"): self.reset_clock,
            ("POST", "/_local/jobs/cleanup"): self.run_cleanup,
        }

    # --- the API --------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> tuple[Answer, str]:
        """The answer, and what to write in the access log (a route template, never a raw path: paths
        and queries may hold session tokens)."""
        split = urlsplit(target)
        path = unquote(split.path)
        if console.is_console_path(path):
            return console.serve(method, path), "/console/"
        if path.startswith("/_local/"):
            return self.handle_local(method, path, body), path
        if method == "GET" and path == portal_view.IMPERSONATION_PATH:
            with self.invoke_lock:
                return portal_view.impersonation_page(split.query), path
        return self.handle_api(method, path, split.query, headers, body)

    def handle_api(
        self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> tuple[Answer, str]:
        """A template route, as API Gateway serves it: 404, 401, or the function's answer."""
        route = resolve_route(self.routes, method, path)
        if route is None:
            return error_answer(NotFoundError()), "(no route)"
        try:
            authorization = next((value for key, value in headers.items() if key.lower() == "authorization"), None)
            claims = self.authorizer.claims(authorization)
        except InvalidTokenError:
            return error_answer(UnauthorizedError()), route.path
        query = parse_qs(query_string, keep_blank_values=True)
        event = rest_event(
            route,
            path,
            multi_query=query,
            headers=headers,
            body=body or None,
            claims=claims,
        )
        with self.invoke_lock:
            try:
                response = invoke(route.function, event)
            except Exception:  # a crashed Lambda: API Gateway answers 502 with the DEFAULT_5XX body
                traceback.print_exc()
                return error_answer(DependencyUnavailableError()), route.path
        return proxy_answer(response), route.path

    # --- /_local ------------------------------------------------------------------------------

    def handle_local(self, method: str, path: str, body: bytes) -> Answer:
        if method == "GET" and path.startswith("/_local/docs/"):
            return docs_asset(path.removeprefix("/_local/docs/"))
        action = self.local_routes.get((method, path))
        if action is None:
            return error_answer(NotFoundError())
        try:
            with self.invoke_lock:
                return action(body)
        except ApiError as error:
            return error_answer(error)

    def issue_token(self, body: bytes) -> Answer:
        request: TokenRequest = _parse(TokenRequest, body)
        return json_answer(200, {"token": self.authorizer.issue(**request.model_dump())})

    def advance_clock(self, body: bytes) -> Answer:
        request: ClockRequest = _parse(ClockRequest, body)
        clock.advance(request.advance_seconds)
        return self._clock_moved()

    def reset_clock(self, _body: bytes) -> Answer:
        clock.reset()
        return self._clock_moved()

    def _clock_moved(self) -> Answer:
        """A clock moved back takes the cleanup's mark with it (API.md): what falls due afterwards is read."""
        moment = clock.now()
        cleanup_mark.follow_back(moment)
        return json_answer(200, {"now": clock.iso(moment)})

    def run_cleanup(self, _body: bytes) -> Answer:
        return json_answer(200, run_once(schedule_of("cleanup")))

    def send_ses_event(self, body: bytes) -> Answer:
        request: SesEventRequest = _parse(SesEventRequest, body)
        functions = ses_event_functions()
        if not functions:
            raise NotFoundError("Email events are not wired: no function in template.yaml takes SES events.")
        message = outbox.find(request.message_id)
        if message is None:
            raise NotFoundError("No message with this id in the outbox.")
        event = ses_event(request.message_id, request.event_type, message["to"], clock.now())
        for function in functions:
            invoke(function, event)
        names = [function.logical_id for function in functions]
        return json_answer(
            202, {"message_id": request.message_id, "event_type": request.event_type, "delivered_to": names}
        )


def proxy_answer(response: dict[str, Any]) -> Answer:
    """A Lambda proxy integration's response as API Gateway returns it."""
    headers = {str(key): str(value) for key, value in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers[str(key)] = ", ".join(str(value) for value in values)
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    return int(response["statusCode"]), headers, body


def docs_asset(name: str) -> Answer:
    if name not in DOCS_ASSETS:
        return error_answer(NotFoundError())
    asset = Path(str(swagger_ui_path)) / name
    return 200, {"Content-Type": CONTENT_TYPES[asset.suffix], "Cache-Control": "max-age=3600"}, asset.read_bytes()


class HttpEdge(BaseHTTPRequestHandler):
    """What http.server leaves to its handler, answered as API Gateway would, always with an error body
    and X-Request-Id: any method (`do_*`), a Content-Length that is not a length, a body that never comes,
    and http.server's own refusals (a malformed request line, headers too long)."""

    protocol_version = "HTTP/1.1"

    def handle_any(self) -> None:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        # Every method, known or not (TRACE, FOO), goes to the router: what it does not route gets the
        # 404 body, instead of http.server's 501 HTML.
        if name.startswith("do_"):
            return self.handle_any
        raise AttributeError(name)

    def request_body(self) -> bytes | tuple[Answer, str]:
        """The body as its Content-Length says, or the error answer (and what to log). A body whose end is
        unknown cannot be told from the next request: the connection then closes after the answer."""
        lengths = self.headers.get_all("Content-Length") or []
        chunked = "Transfer-Encoding" in self.headers
        if chunked or len(set(lengths)) > 1 or not all(v.isascii() and v.isdigit() for v in lengths):
            self.close_connection = True
            return error_answer(MalformedRequestError("The request has no valid Content-Length.")), "(bad length)"
        length = int(lengths[0]) if lengths else 0
        if length > MAX_REQUEST_BYTES:
            self.close_connection = True
            return error_answer(PayloadTooLargeError()), "(too large)"
        body = self._read(length)
        if body is None:
            self.close_connection = True
            return error_answer(MalformedRequestError("The request body is shorter than its length.")), "(short)"
        return body

    def _read(self, length: int) -> bytes | None:
        if not length:
            return b""
        self.connection.settimeout(BODY_READ_TIMEOUT_SECONDS)
        try:
            body = self.rfile.read(length)
        except TimeoutError:
            return None
        finally:
            self.connection.settimeout(None)
        return body if len(body) == length else None

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        error = ApiError(message or "The request is not valid HTTP.", code="malformed_request")
        error.status = code if code in (400, 414, 431) else 400
        self.close_connection = True
        self.request_version = self.protocol_version  # an unparsable request line left HTTP/0.9: no headers
        status, headers, payload = error_answer(error)
        self.send_response(status)
        for key, value in {**headers, "X-Request-Id": str(uuid.uuid4())}.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def request_handler(api: LocalApi) -> type[BaseHTTPRequestHandler]:
    class Handler(HttpEdge):
        def handle_any(self) -> None:
            started = time.perf_counter()
            answer, logged = self.answer()
            status, response_headers, payload = answer
            response_headers.setdefault("X-Request-Id", str(uuid.uuid4()))
            self.send_response(status)
            for key, value in response_headers.items():
                if key.lower() not in {"content-length", "connection"}:
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            elapsed = (time.perf_counter() - started) * 1000
            request_id = response_headers["X-Request-Id"]
            sys.stderr.write(
                f"{datetime.now(UTC):%H:%M:%S} {self.command} {logged} {status} {elapsed:.0f} ms {request_id}\n"
            )

        def answer(self) -> tuple[Answer, str]:
            body = self.request_body()
            if not isinstance(body, bytes):
                return body
            try:
                return api.handle(self.command, self.path, dict(self.headers.items()), body)
            except Exception:  # the local server's own bug: an error body all the same
                traceback.print_exc()
                return error_answer(DependencyUnavailableError()), "(crashed)"

        def log_message(self, format: str, *args: Any) -> None:
            """Replaced by the line in handle_any, which never writes a raw path."""

    return Handler


def banner(url: str, authorizer: LocalAuthorizer, summary: SeedSummary, started: float) -> str:
    tokens = {
        name: authorizer.issue(
            sub=f"demo-{name}",
            email=f"demo-{name}@staff.example.com",
            groups=groups,
            # A business account manager belongs to a service provider, not to a utility.
            tenant_id=PROVIDER if "business_account_manager" in groups else "utility-a",
        )
        for name, groups in DEMO_STAFF.items()
    }
    showcase = summary.showcase()
    tenants = {tenant: sum(1 for c in summary.customers if c.tenant_id == tenant) for tenant in TENANTS}
    lines = [
        f"CSR Console API (local) on {url}",
        f"Seeded {len(summary.customers)} customers ({', '.join(f'{n} in {t}' for t, n in tenants.items())}) and "
        f"{summary.payments} payments in {summary.seconds:.1f} s; ready in {time.perf_counter() - started:.1f} s.",
        f"Tokens for tenant utility-a, bam for provider {PROVIDER} (valid 1 h; more from POST /_local/token):",
        *(f"  {name + ':':<13}{token}" for name, token in tokens.items()),
        f"Demo password of every demo customer with a portal password: {DEMO_PASSWORD}",
        f"Demo customer: {showcase.customer_id} {showcase.email}",
        "Try:",
        f'  curl -H "Authorization: Bearer {tokens["csr"]}" {url}/customers/{showcase.customer_id}',
        f"Console: {url}/console/   API docs: {url}/_local/docs   Outbox: {url}/_local/outbox",
        "One line per request below: time, method, route, status, ms, request id.",
        "VERBOSE=1 make serve also shows the handlers' logs and metrics.",
        "Serving until Ctrl-C.",
    ]
    return "\n".join(lines)


def quiet_unless_verbose() -> None:
    """Unless VERBOSE=1, the terminal shows the banner and one line per request, nothing else: no handler
    logs below ERROR, and no CloudWatch EMF blobs (Powertools prints a full metric set to stdout once it
    holds 100 values, even with metrics disabled, which the seed alone does many times over). With
    LOG_FILE=<path>, the handlers' logs (every level) and metrics go to that file instead."""
    if os.environ.get("VERBOSE") == "1":
        return
    from csr.observability import logger

    kept = os.environ.get("LOG_FILE")
    sys.stdout = open(kept or os.devnull, "a")  # noqa: SIM115 - for the life of the process
    handler = logger.registered_handler
    if kept and isinstance(handler, logging.StreamHandler):
        handler.setStream(sys.stdout)
        return
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    logger.setLevel(logging.ERROR)


def say(text: str) -> None:
    """What the person at the terminal reads: to the real stdout, whatever `quiet_unless_verbose` did."""
    print(text, file=sys.__stdout__, flush=True)


class LocalHttpServer(ThreadingHTTPServer):
    """A thread per connection, and a listen queue deep enough for a burst of clients: Python's default of 5
    refuses (resets) connections past the fifth that arrive at once, before any of them is read."""

    request_queue_size = 128


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)), help="0 picks a free port (env PORT)"
    )
    parser.add_argument("--customers", type=int, default=None, help="how many demo customers to seed")
    args = parser.parse_args(argv)
    # Powertools warns on every invocation that records no metric; locally that is noise, not news.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    started = time.perf_counter()
    LocalAws().start()
    quiet_unless_verbose()
    outbox.capture_sesv2_bodies()
    summary = seed(args.customers if args.customers is not None else DEFAULT_CUSTOMERS)
    # Tests set LOCAL_JWT_SECRET to forge expired and wrongly signed tokens; otherwise a secret per process.
    secret = os.environ.get("LOCAL_JWT_SECRET")
    authorizer = LocalAuthorizer(secret) if secret else LocalAuthorizer()
    server = LocalHttpServer((args.host, args.port), request_handler(LocalApi(authorizer)))
    url = f"http://{args.host}:{server.server_address[1]}"
    portal_view.serve_portal_at(url)
    # SQS messages go to their functions as Lambda's event source mappings would deliver them.
    delivery = SqsDelivery().start()
    # The template's schedules (the cleanup) run every minute, as EventBridge would run them.
    schedule_runner = ScheduleRunner().start()
    say(banner(url, authorizer, summary, started))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        say("Stopped.")
    finally:
        schedule_runner.stop()
        delivery.stop()
        server.server_close()


if __name__ == "__main__":
    main()
