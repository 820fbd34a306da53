"""Local only: where reset links and impersonation URLs lead when `make serve` runs.

`serve_portal_at` points the portal base URL (`PORTAL_BASE_URL`) at the local server's own address and
port, so that links built locally open on this machine. `impersonation_page` is the small read-only page
an impersonation URL opens: whose portal is being viewed, by whom, until when. It checks the session the
way the customer portal does, through the portal function's `GET /portal/impersonation/{session_token}`
(with a portal token of each seeded tenant, since a utility's portal knows its own tenant), then reads
the customer's name.
"""

from __future__ import annotations

import json
import os
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote

from csr.data import customers
from csr.settings import get_settings
from infra import template
from infra.apigw import invoke, rest_event
from infra.seed import TENANTS

PORTAL_PATH = "/portal"
IMPERSONATION_PATH = f"{PORTAL_PATH}/impersonate"
CHECK_ROUTE = "/portal/impersonation/{session_token}"
HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}

Answer = tuple[int, dict[str, str], bytes]


def serve_portal_at(server_url: str) -> None:
    """Links built from now on point at `server_url` (its host and actual port)."""
    os.environ["PORTAL_BASE_URL"] = server_url + PORTAL_PATH
    get_settings.cache_clear()


def _check_session(token: str) -> tuple[str, dict[str, Any]] | None:
    """The tenant and the portal function's answer for a live session, or None."""
    route = next(r for r in template.api_routes() if r.method == "GET" and r.path == CHECK_ROUTE)
    for tenant_id in TENANTS:
        claims = {"sub": "local-portal", "email": "", "cognito:groups": "portal", "custom:tenant_id": tenant_id}
        event = rest_event(route, f"/portal/impersonation/{quote(token, safe='')}", claims=claims)
        response = invoke(route.function, event)
        if response["statusCode"] == 200:
            return tenant_id, json.loads(response["body"])
    return None


def _page(status: int, title: str, rows: list[tuple[str, str]]) -> Answer:
    cells = "".join(f"<tr><th scope='row'>{escape(name)}</th><td>{escape(value)}</td></tr>" for name, value in rows)
    html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title>"
        "<style>body{font:16px system-ui,sans-serif;margin:2rem;max-width:40rem}"
        "p.banner{border:2px solid #8a4b00;padding:.5rem 1rem}th{text-align:left;padding-right:1rem}</style>"
        f"</head><body><h1>{escape(title)}</h1>"
        "<p class='banner'><strong>Read-only view.</strong> Nothing can be changed from this page.</p>"
        f"<table>{cells}</table></body></html>"
    )
    return status, HEADERS, html.encode()


def impersonation_page(query: str) -> Answer:
    token = (parse_qs(query).get("session") or [""])[-1]
    checked = _check_session(token) if token else None
    if checked is None:
        return _page(404, "Impersonation session not found", [("Why", "Unknown, malformed or expired session.")])
    tenant_id, session = checked
    found = customers.load(tenant_id, session["customer_id"])
    name = f"{found.customer.first_name} {found.customer.last_name}" if found else ""
    return _page(
        200,
        f"Customer portal of {name}".strip(),
        [
            ("Customer", f"{name} ({session['customer_id']})"),
            ("Viewed by", session["csr"]["email"] or session["csr"]["id"]),
            ("Until", f"{session['expires_at']} (UTC)"),
            ("Utility", tenant_id),
        ],
    )
