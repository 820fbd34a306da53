"""The OpenAPI document lists, per operation, every status and error `code` that API.md gives it, and no
code beyond those API.md lets a route name for itself.

API.md is read at test time (the route tables, the portal status transitions and the conventions), so a
change on either side that the other does not follow fails here. Routes of API.md that template.yaml does
not deploy yet are left out; a new route is checked as soon as it is deployed.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from csr.contract import CODES_EXTENSION
from infra import template
from tests.support.openapi import keyed_routes, openapi_document

# The contract sits beside the checkout where the project is developed (../shared); a clone on its own has
# its reference in docs/api.md, generated from the same document.
CONTRACT = template.ROOT.parent / "shared" / "API.md"
pytestmark = pytest.mark.skipif(not CONTRACT.exists(), reason=f"no contract beside the checkout at {CONTRACT}")
# Statuses whose codes API.md lets a route choose ("or the route's own", "named per route") ...
OWN_CODE_STATUSES = {404, 409, 422, 503}
# ... and the codes this implementation uses there beyond the ones API.md names.
IMPLEMENTATION_CODES = {
    "concurrent_change",  # a write defeated by a concurrent one every time it was retried
    "idempotency_in_progress",  # a retry while the first attempt with its Idempotency-Key still runs
    "change_too_large",  # a change that does not fit one transaction
    "account_not_found",  # an account number the customer (or tenant) does not have
    "email_unavailable",  # enroll emails a reset link under the reset link's rules, SES failure included
}
# Every route (API.md, Conventions): body refused, token, role, size, validation, throttling, dependencies.
CONVENTIONS = {
    400: {"malformed_request"},
    401: {"unauthorized"},
    403: {"forbidden"},
    413: {"payload_too_large"},
    422: {"validation_error"},
    429: {"rate_limited"},
    503: {"dependency_unavailable"},
}
DEFAULT_CODE = {400: "malformed_request", 404: "not_found", 422: "validation_error"}
Expected = dict[int, set[str]]


def contract_text() -> str:
    return CONTRACT.read_text()


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def _shape(path: str) -> str:
    return re.sub(r"\{\w+\}", "{}", path)


def idempotent_routes(text: str) -> set[tuple[str, str]]:
    """The routes the `Idempotency-Key` convention names (`POST .../password-reset-link` is a suffix)."""
    paragraph = text.split("`Idempotency-Key` header", 1)[1].split("accepted on", 1)[1].split("`:", 1)[0] + "`"
    return {(method, _shape(path)) for method, path in re.findall(r"`(POST|PATCH|PUT|DELETE) ([^`]+)`", paragraph)}


def is_idempotent(method: str, path: str, named: set[tuple[str, str]]) -> bool:
    return any(m == method and (p == _shape(path) or (p.startswith("...") and path.endswith(p[3:]))) for m, p in named)


def transition_codes(text: str) -> dict[str, set[str]]:
    """The 409 codes of each route of the portal status table (`| from \\ route | enroll | lock | ...`)."""
    lines = [line for line in text.splitlines() if line.startswith("|")]
    header = next(i for i, line in enumerate(lines) if "from \\ route" in line)
    routes = _cells(lines[header])[1:]
    codes: dict[str, set[str]] = {route: set() for route in routes}
    for line in lines[header + 2 :]:
        if not line.startswith("| `"):
            break
        for route, cell in zip(routes, _cells(line)[1:], strict=True):
            codes[route] |= {code for code in re.findall(r"`([a-z_]+)`", cell) if "→" not in cell}
    return codes


_ANSWER = re.compile(r"\b([1-5]\d\d)\b((?:\s*/?\s*`[a-z][a-z_]*`(?:\s*\([^)]*\))?)*)")


def _statuses_and_codes(text: str) -> list[tuple[int, str | None]]:
    """(status, code) pairs of `NNN `code` / `code` (note) / ...`; a bare status as (status, None)."""
    found: list[tuple[int, str | None]] = []
    for answer in _ANSWER.finditer(text):
        status = int(answer.group(1))
        codes = re.findall(r"`([a-z][a-z_]*)`", re.sub(r"\([^)]*\)", "", answer.group(2)))
        found += [(status, code) for code in codes if status >= 400] or [(status, None)]
    return found


def expected_by_route(text: str) -> dict[tuple[str, str], Expected]:
    transitions = transition_codes(text)
    idempotent = idempotent_routes(text)
    expected: dict[tuple[str, str], Expected] = {}
    for line in text.splitlines():
        row = re.match(r"\| `(GET|POST|PUT|PATCH|DELETE) ([^`?]+)(\?[^`]*)?` \|", line)
        if not row:
            continue
        method, path, query = row.group(1), row.group(2), row.group(3) or ""
        _, does, answers = _cells(line)
        statuses: Expected = {status: set(codes) for status, codes in CONVENTIONS.items()}
        pairs = _statuses_and_codes(answers) + [pair for pair in _statuses_and_codes(does) if pair[1]]
        for status, code in pairs:
            statuses.setdefault(status, set())
            if code:
                statuses[status].add(code)
        if "409 (table below)" in answers:
            statuses[409] |= transitions[path.rsplit("/", 1)[-1]]
        if "{" in path:
            statuses.setdefault(404, set()).add("not_found")
        if "cursor=" in query:
            statuses[400].add("invalid_cursor")
        if is_idempotent(method, path, idempotent):
            statuses[422].add("idempotency_key_reused")
        for status, codes in statuses.items():
            if not codes and status in DEFAULT_CODE:
                codes.add(DEFAULT_CODE[status])
        expected[(method, path)] = statuses
    return expected


def documented(operation: dict[str, Any]) -> dict[int, set[str]]:
    return {int(status): set(response.get(CODES_EXTENSION, [])) for status, response in operation["responses"].items()}


def paged_inside(operation: dict[str, Any]) -> bool:
    """The operation pages a list inside the record it reads (a query parameter `<list>_cursor`, beyond
    API.md's own parameters), so a tampered cursor is 400 `invalid_cursor` as on any list."""
    return any(
        p.get("in") == "query" and str(p.get("name", "")).endswith("_cursor") for p in operation.get("parameters", [])
    )


DEPLOYED = sorted({(route.method, route.path) for route in template.api_routes()})


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def test_api_md_is_parsed_into_every_deployed_route() -> None:
    expected = expected_by_route(contract_text())
    assert set(DEPLOYED) <= set(expected), "deployed routes that API.md does not describe"
    # Spot checks that the reading of API.md is right.
    assert expected[("POST", "/customers")][409] == {"email_taken", "person_taken", "account_taken"}
    assert expected[("POST", "/customers/{customer_id}/deactivate")][409] == {
        "not_enrolled",
        "already_deactivated",
        "payments_pending",
    }
    assert "invalid_cursor" in expected[("GET", "/customers/{customer_id}/activity")][400]
    assert expected[("POST", "/portal/login")][423] == {"account_locked"}


@pytest.mark.parametrize(("method", "path"), DEPLOYED)
def test_operation_lists_every_status_and_code_of_api_md(document: dict[str, Any], method: str, path: str) -> None:
    expected = expected_by_route(contract_text())[(method, path)]
    answers = documented(document["paths"][path][method.lower()])
    success = {status for status in answers if status < 400}
    assert success == {status for status in expected if status < 400}, "success status"
    for status in sorted(set(expected) | set(answers)):
        if status < 400:
            continue
        codes, listed = expected.get(status, set()), answers.get(status, set())
        assert codes <= listed, f"{status}: API.md's codes missing from the document: {sorted(codes - listed)}"
        extra = listed - codes
        if status == 400 and paged_inside(document["paths"][path][method.lower()]):
            extra -= {"invalid_cursor"}  # a list inside a record, paged with a cursor API.md's lists' rules cover
        assert not extra or (status in OWN_CODE_STATUSES and extra <= IMPLEMENTATION_CODES), (
            f"{status}: codes API.md does not give this route: {sorted(extra)}"
        )


def test_the_routes_that_take_an_idempotency_key_are_the_ones_api_md_names() -> None:
    named = idempotent_routes(contract_text())
    expected = sorted((r.method, r.path) for r in template.api_routes() if is_idempotent(r.method, r.path, named))
    assert keyed_routes() == expected
