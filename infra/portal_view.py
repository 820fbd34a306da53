"""Local only: where reset links and impersonation URLs lead when `make serve` runs.

`serve_portal_at` points the portal base URL (`PORTAL_BASE_URL`) at the local server's own address and
port, so that links built locally open on this machine. `impersonation_page` stands in for the customer
portal's read-only mode: it checks the session the way the portal does, through the portal function's
`GET /portal/impersonation/{session_token}` (with a portal token of each seeded tenant, since a utility's
portal knows its own tenant), and renders the answer's `view` (profile, accounts with their settings,
payments) in the customer's language, under a banner naming the CSR and the session's end.

Read-only by construction: the page has no form, no button and no control; its one script
(console/js/portal_view.js) makes no request and only replaces the view by "ended" when the session ends.
It is served with the console's security headers (`infra.console.SECURITY_HEADERS`: scripts and styles
from the same origin only, no framing, no sniffing).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import parse_qs, quote

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency

from csr import clock
from csr.auth import Role, scope_of
from csr.data import machine_clients
from csr.i18n import LANGUAGES, Language, negotiate
from csr.settings import get_settings
from csr.tenants import tenant_settings
from infra import template
from infra.apigw import invoke, machine_claims, rest_event
from infra.console import CONSOLE_ROOT, SECURITY_HEADERS
from infra.seed import TENANTS

PORTAL_PATH = "/portal"
IMPERSONATION_PATH = f"{PORTAL_PATH}/impersonate"
CHECK_ROUTE = "/portal/impersonation/{session_token}"
# The page's words are the console's (console/locales): one catalog for every screen a person reads.
LOCALES: dict[str, dict[str, str]] = {
    language: json.loads((CONSOLE_ROOT / "locales" / f"{language}.json").read_text()) for language in LANGUAGES
}
HEADERS = {**SECURITY_HEADERS, "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}

Answer = tuple[int, dict[str, str], bytes]


def serve_portal_at(server_url: str) -> None:
    """Links built from now on point at `server_url` (its host and actual port)."""
    os.environ["PORTAL_BASE_URL"] = server_url + PORTAL_PATH
    get_settings.cache_clear()


def _check_session(token: str) -> tuple[str, dict[str, Any]] | None:
    """The tenant and the portal function's answer for a live session, or None. Asked as each seeded
    tenant's portal back end asks: an app client registered to that tenant, with its machine token."""
    route = next(r for r in template.api_routes() if r.method == "GET" and r.path == CHECK_ROUTE)
    for tenant_id in TENANTS:
        client_id = "localportal" + "".join(char for char in tenant_id if char.isalnum())
        machine_clients.register(client_id, tenant_id, Role.PORTAL.value)
        claims = machine_claims(client_id, [scope_of(Role.PORTAL)])
        event = rest_event(route, f"/portal/impersonation/{quote(token, safe='')}", claims=claims)
        response = invoke(route.function, event)
        if response["statusCode"] == 200:
            return tenant_id, json.loads(response["body"])
    return None


class _Words:
    """The customer's language: its catalog and its ways of writing moments, days and money."""

    def __init__(self, language: Language, tenant_id: str | None = None) -> None:
        self.language = language
        self.zone = tenant_settings(tenant_id).time_zone if tenant_id else None

    def __call__(self, key: str, **values: Any) -> str:
        text = LOCALES[self.language].get(key) or LOCALES["en"][key]
        for name, value in values.items():
            text = text.replace("{" + name + "}", str(value))
        return text

    def moment(self, iso: str) -> str:
        moment = clock.parse_iso(iso)
        zone = moment.astimezone(self.zone).tzname() if self.zone else "UTC"
        return f"{format_datetime(moment, 'medium', tzinfo=self.zone, locale=self.language)} ({zone})"

    def day(self, text: str) -> str:
        try:
            if len(text) == 10:
                return format_date(datetime.fromisoformat(text).date(), "medium", locale=self.language)
            return self.moment(text)
        except (ValueError, OverflowError):
            return self("common.unknown")

    def money(self, amount: float, currency: str) -> str:
        return format_currency(Decimal(str(amount)), currency, locale=self.language)


def _facts(rows: list[tuple[str, str]]) -> str:
    return "<dl class='facts'>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows) + "</dl>"


def _section(name: str, title: str, body: str) -> str:
    return f"<section class='card' aria-labelledby='{name}'><h2 id='{name}'>{escape(title)}</h2>{body}</section>"


def _accounts(view: dict[str, Any], words: _Words) -> str:
    yes_no = {True: words("common.yes"), False: words("common.no")}
    items = []
    for account in view["accounts"]:
        rows = [
            (words("accounts.nickname"), account["nickname"] or "—"),
            (words("accounts.service_address"), account["service_address"]),
            (words("accounts.billing_address"), account["billing_address"]),
            (words("accounts.autopay"), yes_no[bool(account["autopay"])]),
            (words("accounts.paperless"), yes_no[bool(account["paperless"])]),
        ]
        items.append(f"<li><h3>{escape(account['account_number'])}</h3>{_facts(rows)}</li>")
    return f"<ul class='accounts-list'>{''.join(items)}</ul>"


def _payments(view: dict[str, Any], words: _Words) -> str:
    if not view["payments"]:
        return f"<p>{escape(words('portal_view.no_payments'))}</p>"
    columns = ["scheduled_for", "amount", "status", "account"]
    head = "".join(f"<th scope='col'>{escape(words(f'payments.col.{c}'))}</th>" for c in columns)
    rows = []
    for payment in view["payments"]:
        cells = [
            words.day(payment["scheduled_for"]),
            words.money(payment["amount"], payment["currency"]),
            words(f"payment.status.{payment['status']}"),
            payment["account_number"],
        ]
        labelled = zip(columns, cells, strict=True)
        rows.append(
            "<tr>"
            + "".join(f"<td data-label='{escape(words(f'payments.col.{c}'))}'>{escape(v)}</td>" for c, v in labelled)
            + "</tr>"
        )
    caption = f"<caption class='visually-hidden'>{escape(words('portal_view.payments'))}</caption>"
    return f"<table class='responsive'>{caption}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _html(words: _Words, title: str, body: str, ends_at: str = "") -> bytes:
    """The page; with `ends_at`, its script replaces the view by "ended" at that moment."""
    ending = (
        f" data-ends-at='{escape(ends_at)}' data-ended-title='{escape(words('portal_view.ended_title'))}'"
        f" data-ended='{escape(words('portal_view.ended'))}'"
    )
    script = "<script type='module' src='/console/js/portal_view.js'></script>" if ends_at else ""
    return (
        f"<!doctype html><html lang='{words.language}'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)}</title><link rel='stylesheet' href='/console/css/console.css'>{script}"
        f"</head><body><main id='main' class='portal-view'{ending if ends_at else ''}>"
        f"<h1>{escape(title)}</h1>{body}</main></body></html>"
    ).encode()


def _ended(language: Language) -> Answer:
    words = _Words(language)
    body = f"<p class='notice notice-warning'>{escape(words('portal_view.ended'))}</p>"
    return 404, HEADERS, _html(words, words("portal_view.ended_title"), body)


def impersonation_page(query: str, accept_language: str | None = None) -> Answer:
    token = (parse_qs(query).get("session") or [""])[-1]
    checked = _check_session(token) if token else None
    if checked is None:
        return _ended(negotiate(accept_language))
    tenant_id, session = checked
    view = session["view"]
    language: Language = view["language"]
    words = _Words(language, tenant_id)
    name = f"{view['first_name']} {view['last_name']}"
    banner = words(
        "portal_view.banner",
        csr=session["csr"]["email"] or session["csr"]["id"],
        time=words.moment(session["expires_at"]),
    )
    profile = _facts(
        [
            (words("info.name"), name),
            (words("info.email"), view["email"]),
            (words("info.language"), words(f"language.{language}")),
        ]
    )
    body = (
        f"<p class='notice notice-warning banner' role='status'><strong>{escape(banner)}</strong></p>"
        + _section("profile", words("portal_view.profile"), profile)
        + _section("accounts", words("portal_view.accounts"), _accounts(view, words))
        + _section("payments", words("portal_view.payments"), _payments(view, words))
    )
    # The page's clock is the browser's: it is told how long the session has left, by the server's clock.
    left = clock.parse_iso(session["expires_at"]) - clock.now()
    ends_at = (datetime.now(UTC) + left).isoformat()
    return 200, HEADERS, _html(words, words("portal_view.title", name=name), body, ends_at)
