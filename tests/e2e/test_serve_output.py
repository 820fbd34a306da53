"""What a person running `make serve` sees: the banner first, then one line per request."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e


def test_banner_comes_first_and_holds_the_tokens(server: LocalServer) -> None:
    lines = server.banner.splitlines()
    assert lines[0].startswith("CSR Console API (local) on http://")
    assert server.banner_token("csr")
    assert not any(line.lstrip().startswith("{") for line in lines), "no EMF or JSON log before the banner"


def test_each_request_is_one_readable_line_with_its_request_id(server: LocalServer) -> None:
    token = server.banner_token("csr")
    response = requests.get(
        f"{server.url}/customers/{server.customer_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200
    request_id = response.headers["X-Request-Id"]
    deadline = time.monotonic() + 5
    while request_id not in server.stderr.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in server.stderr.read_text().splitlines() if request_id in line)
    assert re.fullmatch(rf"\d\d:\d\d:\d\d GET /customers/\{{customer_id\}} 200 \d+ ms {re.escape(request_id)}", line), (
        line
    )


def test_with_log_file_the_handlers_logs_go_there_and_the_terminal_stays_quiet(server: LocalServer) -> None:
    # The fixture runs the server with LOG_FILE: the seed's group requests were logged there, at INFO
    records = [json.loads(line) for line in server.handler_log.read_text().splitlines() if line.startswith("{")]
    assert any(record.get("message") == "process request" for record in records), records[:3]
    assert not any(line.lstrip().startswith("{") for line in server.banner.splitlines())
