"""The local server's HTTP edge: every method, every Content-Length, every body gets an error body with
X-Request-Id, and the connection is answered, never hung or dropped."""

from __future__ import annotations

import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from infra.local_server import BODY_READ_TIMEOUT_SECONDS
from tests.support.api import new_customer_body
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e

# A watchdog against a hang, far above the server's own body timeout: not a timed assertion.
SOCKET_TIMEOUT = BODY_READ_TIMEOUT_SECONDS * 6


def raw_exchange(server: LocalServer, request: bytes, *, head: bool = False) -> tuple[int, dict[str, str], bytes]:
    """Sends `request` as is and reads one response (sized by its Content-Length; none after HEAD)."""
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = connection.recv(65536)
            assert chunk, f"connection dropped without an answer: {received!r}"
            received += chunk
        top, _, body = received.partition(b"\r\n\r\n")
        status_line, *header_lines = top.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
        while not head and len(body) < int(headers.get("content-length", 0)):
            chunk = connection.recv(65536)
            assert chunk, "connection dropped mid-answer"
            body += chunk
    return int(status_line.split()[1]), headers, body


def request(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def error_code(body: bytes) -> str:
    code: str = json.loads(body)["error"]["code"]
    return code


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "FOO", "OPTIONS", "HEAD"])
@pytest.mark.parametrize("path", ["/customers", "/portal/login", "/nowhere", "/_local/token"])
def test_a_method_nothing_routes_gets_the_404_body(server: LocalServer, method: str, path: str) -> None:
    status, headers, body = raw_exchange(server, request(method, path, {"Content-Length": "0"}), head=method == "HEAD")
    assert status == 404
    assert headers["x-request-id"]
    assert headers["content-type"] == "application/json"
    if method != "HEAD":
        assert error_code(body) == "not_found"


@pytest.mark.parametrize("length", ["-1", "abc", "1.5", "+5", "0x10", "5, 6", " "])
def test_a_bad_content_length_is_400(server: LocalServer, length: str) -> None:
    status, headers, body = raw_exchange(server, request("POST", "/_local/token", {"Content-Length": length}, b"{}"))
    assert (status, error_code(body)) == (400, "malformed_request")
    assert headers["x-request-id"]


def test_a_huge_content_length_is_413_without_reading_it(server: LocalServer) -> None:
    status, headers, body = raw_exchange(server, request("POST", "/customers", {"Content-Length": "9" * 40}, b"{}"))
    assert (status, error_code(body)) == (413, "payload_too_large")
    assert headers["x-request-id"]


def test_a_body_shorter_than_its_length_is_400_not_a_hang(server: LocalServer) -> None:
    status, _, body = raw_exchange(server, request("POST", "/_local/token", {"Content-Length": "100"}, b"{}"))
    assert (status, error_code(body)) == (400, "malformed_request")


def test_a_malformed_request_line_gets_the_error_body(server: LocalServer) -> None:
    status, headers, body = raw_exchange(server, b"GET /customers HTTP/9\r\n\r\n")
    assert (status, error_code(body)) == (400, "malformed_request")
    assert headers["x-request-id"]


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


def test_the_connection_serves_the_next_request_after_an_unrouted_method(server: LocalServer) -> None:
    parts = urlsplit(server.url)
    two = request("TRACE", "/customers", {"Content-Length": "0"}) + request("GET", "/_local/outbox", {})
    with socket.create_connection((parts.hostname, parts.port), timeout=SOCKET_TIMEOUT) as connection:
        connection.sendall(two)
        received = b""
        while received.count(b"HTTP/1.1 ") < 2 or not received.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)
            assert chunk, received
            received += chunk
    assert received.startswith(b"HTTP/1.1 404")
    assert b"HTTP/1.1 200" in received


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
    # Then every one gets its answer (none is refused at the door: the listen queue holds them all)
    assert statuses == [201] * clients
    found = server.call("GET", "/customers", token, params={"q": "burst", "limit": "100"}).json()
    assert len(found["items"]) == clients
