"""What hypercorn, in front of the local server, must hold: a client that sends its headers slowly is
dropped within a bounded time while the others are served, malformed HTTP gets a 4xx, a burst of
clients is answered every one; and what the server adds (a body's deadline, API Gateway's size limit)."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from infra.local_server import BODY_TIMEOUT_SECONDS, HEADERS_TIMEOUT_SECONDS, MAX_REQUEST_BYTES
from infra.template import gateway_responses
from tests.support.api import new_customer_body
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e

# Room for a loaded machine (two cores, other sessions) on top of a timeout: the bound the tests hold to.
SLACK_SECONDS = 5.0
# A watchdog against a hang, far above every timeout: not a timed assertion.
SOCKET_TIMEOUT = 60.0
# The slow client's pace: each byte comes well within any per-read timeout, so only a deadline on the
# headers as a whole can drop it. Its headers would take 100 s to arrive.
TRICKLE_SECONDS = 0.25
SLOW_HEAD = b"GET /_local/outbox HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + b"a" * 350 + b"\r\n\r\n"


def connect(server: LocalServer) -> socket.socket:
    parts = urlsplit(server.url)
    return socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT)


def raw_exchange(server: LocalServer, request: bytes) -> tuple[int, dict[str, str], bytes, float]:
    """Sends `request` as is; the status, headers and body of the answer, and the seconds until the server
    closed the connection."""
    started = time.monotonic()
    with connect(server) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    top, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = top.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body, time.monotonic() - started


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def trickle(server: LocalServer) -> tuple[float, int, bytes]:
    """Sends SLOW_HEAD a byte at a time until the server closes the connection: the seconds that took, the
    bytes sent, and what the server sent back."""
    with connect(server) as connection:
        opened = time.monotonic()
        for sent in range(len(SLOW_HEAD)):
            try:
                connection.send(SLOW_HEAD[sent : sent + 1])
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - opened, sent, b""
            readable, _, _ = select.select([connection], [], [], TRICKLE_SECONDS)
            if readable:
                try:
                    answer = connection.recv(65536)
                except ConnectionResetError:
                    answer = b""
                return time.monotonic() - opened, sent + 1, answer
    return time.monotonic() - opened, len(SLOW_HEAD), b"(never dropped)"


def test_clients_sending_headers_a_byte_at_a_time_are_dropped_while_others_are_served(server: LocalServer) -> None:
    # Given eight clients that send their headers one byte every quarter second
    slow_clients = 8
    with ThreadPoolExecutor(slow_clients) as pool:
        slow = [pool.submit(trickle, server) for _ in range(slow_clients)]
        # When other clients make requests meanwhile
        served = []
        for _ in range(5):
            response = server.call("GET", "/_local/outbox")
            served.append((response.status_code, any(future.done() for future in slow)))
        results = [future.result() for future in slow]
    # Then the others are answered while the slow clients are still connected
    assert served == [(200, False)] * 5
    # And each slow client is disconnected, unanswered, once its headers are HEADERS_TIMEOUT_SECONDS late
    for seconds, sent, answer in results:
        assert answer == b""
        assert sent < len(SLOW_HEAD)
        assert HEADERS_TIMEOUT_SECONDS - 1 <= seconds <= HEADERS_TIMEOUT_SECONDS + SLACK_SECONDS


@pytest.mark.parametrize(
    "malformed",
    [
        b"GET /customers HTTP/9\r\n\r\n",
        b"not http at all\r\n\r\n",
        b"GET /customers HTTP/1.1\r\nHost: localhost\r\nno colon here\r\n\r\n",
        request("POST", "/_local/token", {"Content-Length": "abc"}, b"{}"),
        request("POST", "/_local/token", {"Content-Length": "2", "Transfer-Encoding": "chunked"}, b"{}"),
        request("POST", "/_local/token", {"Content-Length": "-1"}, b"{}"),
    ],
)
def test_malformed_http_gets_a_4xx_and_the_connection_closes(server: LocalServer, malformed: bytes) -> None:
    status, _, _, _ = raw_exchange(server, malformed)
    assert 400 <= status < 500


def test_a_body_that_stops_coming_gets_a_400_once_late(server: LocalServer) -> None:
    status, headers, body, seconds = raw_exchange(
        server, request("POST", "/_local/token", {"Content-Length": "100"}, b"{}")
    )
    assert (status, json.loads(body)["error"]["code"]) == (400, "malformed_request")
    assert headers["x-request-id"]
    assert BODY_TIMEOUT_SECONDS - 1 <= seconds <= BODY_TIMEOUT_SECONDS + SLACK_SECONDS


def test_a_body_over_api_gateways_limit_gets_its_413_unread(server: LocalServer) -> None:
    length = str(MAX_REQUEST_BYTES + 1)
    status, headers, body, seconds = raw_exchange(server, request("POST", "/customers", {"Content-Length": length}))
    too_large = gateway_responses()["REQUEST_TOO_LARGE"]
    assert (status, body.decode()) == (too_large.status, too_large.body)
    assert headers["x-request-id"]
    assert seconds < BODY_TIMEOUT_SECONDS  # answered at once, not after waiting for the body


@pytest.mark.parametrize("method", ["TRACE", "FOO", "OPTIONS", "HEAD"])
def test_a_method_nothing_routes_gets_the_404_body(server: LocalServer, method: str) -> None:
    response = server.call(method, "/customers", headers={"Content-Length": "0"})
    assert response.status_code == 404
    assert response.content == (
        b"" if method == "HEAD" else gateway_responses()["MISSING_AUTHENTICATION_TOKEN"].body.encode()
    )


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 20_000 + b"]" * 20_000,
        b'{"sub": ' * 900 + b"1" + b"}" * 900,
        b'{"sub": "x", "email": "x", "groups": [], "tenant_id": ' + b"7" * 4301 + b"}",
        b"\xff\xfe",
    ],
)
def test_local_token_refuses_hostile_bodies(server: LocalServer, body: bytes) -> None:
    response = server.call("POST", "/_local/token", data=body, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["error"]["code"]) == (400, "malformed_request")


def test_a_body_that_is_not_utf8_reaches_the_handler_and_is_refused_there(server: LocalServer) -> None:
    # The local server hands the bytes over base64-encoded, as API Gateway does for a binary body.
    token = server.token(["csr"])
    response = server.call(
        "PATCH", f"/customers/{server.customer_id}", token=token, data=b'{"first_name": "H\xe9l\xe8ne"}'
    )
    assert (response.status_code, response.json()["error"]["code"]) == (400, "malformed_request")
    assert "UTF-8" in response.json()["error"]["message"]
    assert (
        server.call("GET", f"/customers/{server.customer_id}", token=token).json()["first_name"] != "H\ufffdl\ufffdne"
    )


def test_a_burst_of_clients_is_answered_every_one(server: LocalServer) -> None:
    # Given 48 clients that connect at the same moment, each on a connection of its own, while the server
    # takes its invocations one at a time
    token = server.token(["csr"], sub="burst")
    clients = 48
    start = threading.Barrier(clients)

    def one(n: int) -> int:
        start.wait()
        body = new_customer_body(9000 + n, last_name="Burst", email=f"burst{n}@example.net")
        return server.call("POST", "/customers", token, json=body, headers={"Connection": "close"}).status_code

    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(one, range(clients)))
    # Then every one gets its answer (none is refused at the door)
    assert statuses == [201] * clients
    found = server.call("GET", "/customers", token, params={"q": "burst", "limit": "100"}).json()
    assert len(found["items"]) == clients
