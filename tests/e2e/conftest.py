"""The local server (`make serve`) started once per test session in a subprocess on a free port, with a
small seed, and a client that talks to it over real HTTP."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.template import ROOT

SEED_CUSTOMERS = 24
STARTUP_LIMIT_SECONDS = 180  # a watchdog against a hung start, not a timed assertion


@dataclass
class LocalServer:
    url: str
    banner: str
    jwt_secret: str
    customer_id: str
    customer_email: str
    stderr: Path
    handler_log: Path  # what the handlers logged (LOG_FILE), the terminal staying as `make serve` shows it

    def banner_token(self, name: str) -> str:
        match = re.search(rf"^  {name}:\s+(\S+)$", self.banner, re.MULTILINE)
        assert match, self.banner
        return match.group(1)

    def token(self, groups: list[str], tenant_id: str = "utility-a", sub: str = "e2e-csr") -> str:
        """The token `groups` sign in with: for one machine role (portal, integration), a client-credentials
        token of an app client (named after `sub` and the tenant) registered to `tenant_id`; else an ID token."""
        body: dict[str, Any]
        if groups in (["portal"], ["integration"]):
            client_id = re.sub(r"[^A-Za-z0-9]", "", f"{sub}{tenant_id}")
            body = {"client_id": client_id, "scope": f"csr-api/{groups[0]}", "tenant_id": tenant_id}
        else:
            body = {"sub": sub, "email": f"{sub}@staff.example.com", "groups": groups, "tenant_id": tenant_id}
        response = self.call("POST", "/_local/token", json=body)
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    def log_of(self, request_id: str) -> list[str]:
        """What the handlers logged while serving one request (its id is their correlation id)."""
        return [line for line in self.handler_log.read_text(errors="replace").splitlines() if request_id in line]

    def call(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = requests.request(method, self.url + path, headers=headers, timeout=60, **kwargs)
        assert response.headers.get("X-Request-Id"), f"{method} {path} answered without X-Request-Id"
        return response


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    jwt_secret = secrets.token_urlsafe(32)
    logs = tmp_path_factory.mktemp("local_server")
    stderr, handler_log = logs / "stderr.log", logs / "handlers.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers" / "csr_common")]),
        "LOCAL_JWT_SECRET": jwt_secret,
        "PASSWORD_HASH_LOG2_N": "10",
        "LOG_FILE": str(handler_log),
    }
    with stderr.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra.local_server", "--port", "0", "--customers", str(SEED_CUSTOMERS)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
    watchdog = threading.Timer(STARTUP_LIMIT_SECONDS, process.kill)
    watchdog.start()
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith("Serving until"):
            break
    watchdog.cancel()
    banner = "\n".join(lines)
    assert lines, stderr.read_text()
    assert lines[-1].startswith("Serving until"), banner + "\n" + stderr.read_text()
    # Keep reading the terminal's output, so that a full pipe never blocks the server.
    threading.Thread(target=shutil.copyfileobj, args=(process.stdout, open(os.devnull, "w")), daemon=True).start()  # noqa: SIM115
    url = re.search(r"on (http://\S+)", banner)
    customer = re.search(r"^Demo customer: (\S+) (\S+)$", banner, re.MULTILINE)
    assert url, banner
    assert customer, banner
    yield LocalServer(url.group(1), banner, jwt_secret, customer.group(1), customer.group(2), stderr, handler_log)
    process.terminate()
    process.wait(timeout=30)
