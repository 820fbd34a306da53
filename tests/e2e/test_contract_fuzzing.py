"""Contract fuzzing: schemathesis generates requests for every operation of the document the local server
serves (`GET /_local/openapi.json`), valid and invalid, and sends each with a token of every role and
with no role. No answer may be a 5xx, have a status the document does not list for the operation, or a
body outside the schema it lists."""

from __future__ import annotations

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
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import UndefinedStatusCode

from infra.template import api_routes
from tests.e2e.conftest import LocalServer

pytestmark = pytest.mark.e2e

ROLES = (["csr"], ["csr", "csr_supervisor"], ["portal"], ["integration"], ["business_account_manager"], [])
EXAMPLES_PER_OPERATION = 10  # generated cases per operation; each is sent once per role
ROUTES = sorted((route.method, route.path) for route in api_routes())
# (operation, status) pairs the served document does not list yet (API.md has them; the document is being
# completed). Every other check stays strict on these operations; an answer with one of these pairs makes
# the test an xfail that names it, after all its requests ran. Remove a pair once the document lists it.
NOT_YET_DOCUMENTED = {
    ("POST", "/customers", 409),
    ("GET", "/customers", 400),
    ("GET", "/customers/{customer_id}/activity", 400),
}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@lru_cache(maxsize=1)
def served_schema(url: str) -> Any:
    return schemathesis.openapi.from_url(f"{url}/_local/openapi.json")


def test_the_fuzzing_budget_is_at_least_a_thousand_requests() -> None:
    assert len(ROUTES) * EXAMPLES_PER_OPERATION * len(ROLES) >= 1000


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_every_answer_is_within_the_contract(server: LocalServer, method: str, path: str) -> None:
    operation = served_schema(server.url)[path][method]
    tokens = [server.token(groups, sub="fuzz") for groups in ROLES]
    sent = 0
    pending: set[int] = set()

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
            try:
                case.call_and_validate(
                    base_url=server.url, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS, timeout=60
                )
            except FailureGroup as failures:
                statuses = {f.status_code for f in failures.exceptions if isinstance(f, UndefinedStatusCode)}
                if len(statuses) != len(failures.exceptions) or any(
                    (method, path, status) not in NOT_YET_DOCUMENTED for status in statuses
                ):
                    raise
                pending.update(statuses)
            sent += 1

    fuzz()
    # Hypothesis may stop early only when an operation has fewer distinct requests than the budget.
    assert sent >= EXAMPLES_PER_OPERATION * len(ROLES), sent
    if pending:
        pytest.xfail(f"{method} {path} answered {sorted(pending)}, not yet in the document")
