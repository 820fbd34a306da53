"""The local server (`make serve`) as the end-to-end and browser tests reach it: over real HTTP, with
development tokens it mints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

SEED_CUSTOMERS = 24
STARTUP_LIMIT_SECONDS = 60  # a watchdog against a hung start, not a timed assertion (bench.serve_start times it)


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
