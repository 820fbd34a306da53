"""`make serve`: the whole API on http://127.0.0.1:3000, from the very handlers template.yaml deploys.

In front of them it does what API Gateway does: matches the routes of template.yaml as it does
(`infra.apigw.resolve_route`, which the tests use too), answers an unknown route or method with 404, a
missing or bad token with 401 and a body over its limit with 413, each with the status and body of the
template's Gateway Response, checks the development JWT as the Cognito authorizer would and hands the
handler a REST proxy event. AWS is moto, in-process (infra.local_aws), seeded with demo data (infra.seed);
SQS messages reach their functions and the template's schedules run, in background threads. The
`/_local/...` routes of API.md ("Local mode only") live here and nowhere else.

HTTP itself is hypercorn's (h11), not this module's: hypercorn answers malformed HTTP with a 4xx, and drops
a connection whose request headers are not complete HEADERS_TIMEOUT_SECONDS after it opened (or after its
last answer), however steadily they trickle in; waiting clients hold a coroutine each, not a thread.

Handlers run one at a time, as in one warm Lambda container each: Powertools' resolver keeps the current
event on the app, and moto is made serial anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import logging
import os
import socket
import sys
import threading
import time
import traceback
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from hypercorn.asyncio import serve
from hypercorn.config import Config
from hypercorn.typing import (
    ASGIReceiveCallable,
    ASGISendCallable,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    HTTPScope,
    Scope,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from swagger_ui_bundle import swagger_ui_path

from csr import clock
from csr.data import cleanup_mark
from csr.errors import ApiError, MalformedRequestError, NotFoundError, ValidationFailedError
from csr.request_body import safe_text
from infra import console, outbox, portal_view, template
from infra.apigw import invoke, resolve_route, rest_event
from infra.local_auth import InvalidTokenError, LocalAuthorizer, TokenRequest
from infra.local_aws import LocalAws
from infra.openapi import merged_openapi
from infra.schedules import ScheduleRunner, run_once, schedule_of
from infra.seed import DEFAULT_CUSTOMERS, DEMO_PASSWORD, PROVIDER, TENANTS, SeedSummary, seed
from infra.ses_events import SesEventType, ses_event
from infra.sqs_delivery import SqsDelivery
from infra.template import Function

DEFAULT_PORT = 3000
# How long a request's headers may take to arrive (hypercorn's keep-alive timeout, see hypercorn_config).
HEADERS_TIMEOUT_SECONDS = 5.0
# How long its body may take once they have: a client that sends less than its Content-Length, or sends it
# too slowly, gets a 400 and the connection closes.
BODY_TIMEOUT_SECONDS = 5.0
# API Gateway's own limit (REQUEST_TOO_LARGE); the handlers refuse anything over 64 KiB with the same body.
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


def gateway_answer(kind: str, status: int | None = None) -> Answer:
    """API Gateway's own answer of this kind, as template.yaml's Gateway Responses write it; `status` where
    the template keeps API Gateway's (DEFAULT_5XX)."""
    response = template.gateway_responses()[kind]
    headers = {"Content-Type": "application/json", **response.headers}
    answered = response.status or status
    assert answered is not None, f"the Gateway Response {kind} has no status of its own"
    return answered, headers, response.body.encode()


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
    """A /_local body, held to the handlers' limits on a raw body (csr.request_body)."""
    text = safe_text(body)
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
    """What the HTTP server serves: the template's routes behind the local authorizer, the console, the
    portal's impersonation page, and /_local."""

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

    def handle(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> tuple[Answer, str]:
        """The answer to a request for `path` (percent-decoded) and `query` (as sent), and what to write in
        the access log (a route template, never a raw path: paths and queries may hold session tokens)."""
        if console.is_console_path(path):
            return console.serve(method, path), "/console/"
        if path.startswith("/_local/"):
            known = any(path == local_path for _, local_path in self.local_routes)
            return self.handle_local(method, path, body), path if known else "/_local/*"
        if method == "GET" and path == portal_view.IMPERSONATION_PATH:
            with self.invoke_lock:
                language = next((v for k, v in headers.items() if k.lower() == "accept-language"), None)
                return portal_view.impersonation_page(query, language), path
        return self.handle_api(method, path, query, headers, body)

    def handle_api(
        self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes
    ) -> tuple[Answer, str]:
        """A template route, as API Gateway serves it: 404, 401, or the function's answer."""
        route = resolve_route(self.routes, method, path)
        if route is None:  # API Gateway's type for an unknown route or method, whatever the token
            return gateway_answer("MISSING_AUTHENTICATION_TOKEN"), "(no route)"
        try:
            authorization = next((value for key, value in headers.items() if key.lower() == "authorization"), None)
            claims = self.authorizer.claims(authorization)
        except InvalidTokenError:
            return gateway_answer("UNAUTHORIZED"), route.path
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
                return gateway_answer("DEFAULT_5XX", 502), route.path
        return proxy_answer(response), route.path

    # --- /_local ------------------------------------------------------------------------------

    def handle_local(self, method: str, path: str, body: bytes) -> Answer:
        if method == "GET" and path.startswith("/_local/docs/"):
            return docs_asset(path.removeprefix("/_local/docs/"))
        action = self.local_routes.get((method, path))
        if action is None:
            return gateway_answer("MISSING_AUTHENTICATION_TOKEN")
        try:
            with self.invoke_lock:
                return action(body)
        except ApiError as error:
            return error_answer(error)

    def issue_token(self, body: bytes) -> Answer:
        return json_answer(200, {"token": self.authorizer.grant(_parse(TokenRequest, body))})

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
    """A Lambda proxy integration's response as API Gateway returns it, but for a header with several
    values: one line, the values joined by commas (the same to HTTP for any header but Set-Cookie, which no
    function sends)."""
    headers = {str(key): str(value) for key, value in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        headers[str(key)] = ", ".join(str(value) for value in values)
    raw = response.get("body") or ""
    body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    return int(response["statusCode"]), headers, body


def docs_asset(name: str) -> Answer:
    if name not in DOCS_ASSETS:
        return gateway_answer("MISSING_AUTHENTICATION_TOKEN")
    asset = Path(str(swagger_ui_path)) / name
    return 200, {"Content-Type": CONTENT_TYPES[asset.suffix], "Cache-Control": "max-age=3600"}, asset.read_bytes()


class ClientGoneError(Exception):
    """The client closed its connection before its body was all sent: nobody to answer."""


async def read_body(receive: ASGIReceiveCallable) -> bytes | None:
    """The whole body, or None once it is past API Gateway's limit (a chunked body declares no length)."""
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGoneError
        body += message["body"]
        if len(body) > MAX_REQUEST_BYTES:
            return None
        if not message["more_body"]:
            return bytes(body)


class HttpEdge:
    """The ASGI application hypercorn serves (HTTP only: hypercorn's lifespan events need no answer). A body
    is read whole first, within BODY_TIMEOUT_SECONDS, then LocalApi answers in a worker thread; every answer
    carries X-Request-Id, and makes one line of the terminal's access log."""

    def __init__(self, api: LocalApi) -> None:
        self.api = api

    async def __call__(self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        try:
            (status, headers, payload), logged = await self.answer(scope, receive)
        except ClientGoneError:
            return
        headers = {key: value for key, value in headers.items() if key.lower() not in {"content-length", "connection"}}
        request_id = headers.setdefault("X-Request-Id", str(uuid.uuid4()))
        fields = [*headers.items(), ("Content-Length", str(len(payload)))]
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": status,
            "headers": [(key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in fields],
            "trailers": False,
        }
        await send(start)
        body: HTTPResponseBodyEvent = {
            "type": "http.response.body",
            "body": b"" if scope["method"] == "HEAD" else payload,
            "more_body": False,
        }
        await send(body)
        elapsed = (time.perf_counter() - started) * 1000
        sys.stderr.write(
            f"{datetime.now(UTC):%H:%M:%S} {scope['method']} {logged} {status} {elapsed:.0f} ms {request_id}\n"
        )

    async def answer(self, scope: HTTPScope, receive: ASGIReceiveCallable) -> tuple[Answer, str]:
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        # h11 has already refused a Content-Length that is not one number.
        if int(headers.get("content-length", "0")) > MAX_REQUEST_BYTES:
            return gateway_answer("REQUEST_TOO_LARGE"), "(too large)"
        try:
            body = await asyncio.wait_for(read_body(receive), BODY_TIMEOUT_SECONDS)
        except TimeoutError:
            return error_answer(MalformedRequestError("The request body did not arrive in time.")), "(slow body)"
        if body is None:
            return gateway_answer("REQUEST_TOO_LARGE"), "(too large)"
        query = scope["query_string"].decode("latin-1")
        try:
            return await asyncio.to_thread(self.api.handle, scope["method"], scope["path"], query, headers, body)
        except Exception:  # the local server's own bug: API Gateway's 5xx body all the same
            traceback.print_exc()
            return gateway_answer("DEFAULT_5XX", 502), "(crashed)"


def hypercorn_config(listener: socket.socket) -> Config:
    config = Config()
    config.bind = [f"fd://{listener.detach()}"]
    # From a connection's opening, or the end of its last answer, to the end of the next request's headers:
    # a client that takes longer, however steadily it sends, is disconnected.
    config.keep_alive_timeout = HEADERS_TIMEOUT_SECONDS
    config.include_server_header = False  # API Gateway names no server
    config.loglevel = "WARNING"  # not hypercorn's "Running on" line under the banner
    return config


def banner(url: str, authorizer: LocalAuthorizer, summary: SeedSummary, started: float) -> str:
    tokens = {
        # A business account manager belongs to a service provider, not to a utility.
        name: authorizer.demo(name, groups, PROVIDER if "business_account_manager" in groups else "utility-a")
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
    listener = socket.create_server((args.host, args.port))
    url = f"http://{args.host}:{listener.getsockname()[1]}"
    config = hypercorn_config(listener)
    portal_view.serve_portal_at(url)
    # SQS messages go to their functions as Lambda's event source mappings would deliver them.
    delivery = SqsDelivery().start()
    # The template's schedules (the cleanup) run every minute, as EventBridge would run them.
    schedule_runner = ScheduleRunner().start()
    say(banner(url, authorizer, summary, started))
    try:
        # Until Ctrl-C or SIGTERM, on which hypercorn closes its connections and returns.
        asyncio.run(serve(HttpEdge(LocalApi(authorizer)), config, mode="asgi"))
    finally:
        schedule_runner.stop()
        delivery.stop()
    say("Stopped.")


if __name__ == "__main__":
    main()
