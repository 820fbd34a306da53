"""Contract fuzzing: schemathesis generates requests for every operation of the document the local server
serves (`GET /_local/openapi.json`), valid and invalid, and sends each with a token of every role and
with no role. No answer may be a 5xx, have a status the document does not list for the operation, a body
outside the schema it lists, or an error `code` its response does not list."""

from __future__ import annotations

import warnings
from functools import lru_cache
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from csr.contract import CODES_EXTENSION
from infra.template import api_routes
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e

ROLES: tuple[list[str], ...] = (
    ["csr"],
    ["csr", "csr_supervisor"],
    ["portal"],
    ["integration"],
    ["business_account_manager"],
    [],
)
EXAMPLES_PER_OPERATION = 10  # generated cases per operation; each is sent once per role
ROUTES = sorted((route.method, route.path) for route in api_routes())
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def is_retry_safe_refusal(response: Any) -> bool:
    if response.status_code != 503:
        return False
    try:
        return bool(response.json()["error"]["code"] == "dependency_unavailable")
    except (ValueError, KeyError, TypeError):
        return False


@lru_cache(maxsize=1)
def served_schema(url: str) -> Any:
    return schemathesis.openapi.from_url(f"{url}/_local/openapi.json")


def listed_codes(server: LocalServer, method: str, path: str) -> dict[int, list[str]]:
    """The error codes the served document lists for each error status of one operation."""
    responses = server.call("GET", "/_local/openapi.json").json()["paths"][path][method.lower()]["responses"]
    return {int(status): response[CODES_EXTENSION] for status, response in responses.items() if int(status) >= 400}


def test_the_fuzzing_budget_is_at_least_a_thousand_requests() -> None:
    assert len(ROUTES) * EXAMPLES_PER_OPERATION * len(ROLES) >= 1000


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_answer_is_within_the_contract(server: LocalServer, method: str, path: str) -> None:
    operation = served_schema(server.url)[path][method]
    tokens = [server.token(groups, sub="fuzz") for groups in ROLES]
    codes = listed_codes(server, method, path)
    sent = 0
    retried: list[str] = []

    @given(
        case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    )
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def fuzz(case: Any) -> None:
        nonlocal sent
        for token in tokens:
            headers = {"Authorization": f"Bearer {token}"}
            response = case.call(base_url=server.url, headers=headers, timeout=60)
            if is_retry_safe_refusal(response):
                # API.md: a 503 `dependency_unavailable` means "retrying is safe"; a client retries, and the
                # retry must then stand every check (5xx included) on its own.
                retried.append("\n".join(server.log_of(response.headers["X-Request-Id"])))
                response = case.call(base_url=server.url, headers=headers, timeout=60)
            case.validate_response(response, checks=CHECKS)
            if response.status_code >= 400:
                code = response.json()["error"]["code"]
                assert code in codes[response.status_code], f"{response.status_code} `{code}`: {case.as_curl_command()}"
            sent += 1

    fuzz()
    # Hypothesis may stop early only when an operation has fewer distinct requests than the budget.
    assert sent >= EXAMPLES_PER_OPERATION * len(ROLES), sent
    # A retried 503 is the exception, never the rule; each one is shown with what the server logged about it.
    for log in retried:
        warnings.warn(f"{method} {path} answered 503 once, then passed on retry:\n{log}", stacklevel=1)
    assert len(retried) <= sent // 50, retried
