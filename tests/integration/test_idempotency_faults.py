"""Faults on the idempotency store, on every route that takes an `Idempotency-Key`, with a key.

Under a key, Powertools claims it (a conditional PutItem on the idempotency table), runs the action, then
records the answer (an UpdateItem). It reads an existing record from its refused conditional write, so it
makes no GetItem. A fault on the claim comes before the action: a 503 with nothing done, and the retry
runs once. A fault on recording comes after the action committed: the client gets the action's answer,
and a retry with the same key while the claim lives (the invocation's remaining time) is told 409
`idempotency_in_progress` and applies nothing again. (A failed release of the claim after the action
failed: tests/integration/test_idempotency_failure.py.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from csr.settings import get_settings
from infra import outbox
from tests.support.api import Api
from tests.support.faults import Fault, aws_error, injected
from tests.support.openapi import keyed_routes
from tests.support.tables import all_items, idempotency_records
from tests.support.world import REQUESTS, build_world

KEY = {"Idempotency-Key": "retry-me"}
ERRORS: dict[str, Callable[[str], BaseException]] = {
    "throttled": lambda op: aws_error("ProvisionedThroughputExceededException", op),
    "internal-error": lambda op: aws_error("InternalServerError", op, 500),
}
# The routes whose success sends an email; every keyed route records its change in exactly one item: the
# customer's activity entry or the provider's process request.
EMAILING = {("POST", "/customers/{customer_id}/password-reset-link")}
RECORDS_OF_A_CHANGE = ("#ACT", "#REQS")


KEYED = keyed_routes()
CASES = [pytest.param(route, error, id=f"{route[0]} {route[1]} {error}") for route in KEYED for error in ERRORS]


def state() -> tuple[list[dict[str, Any]], int, list[dict[str, Any]]]:
    """Every item, the emails sent so far, and the idempotency records."""
    return all_items(), len(outbox.messages()), idempotency_records()


def store_fault(operation: str, error: str) -> Fault:
    """`error` once on `operation` against the idempotency table, and on no other table."""
    return Fault("dynamodb", operation, ERRORS[error], times=1, table=get_settings().idempotency_table_name)


def test_every_route_that_takes_a_key_is_tried() -> None:
    assert len(KEYED) == 6, KEYED
    assert set(KEYED) <= set(REQUESTS)


@pytest.mark.parametrize(("route", "error"), CASES)
def test_a_fault_claiming_the_key_is_a_503_and_the_retry_runs_once(
    api: Api, route: tuple[str, str], error: str
) -> None:
    world = build_world(api)
    request = REQUESTS[route]
    before = state()
    # When the store refuses the claim of the key
    with injected(store_fault("PutItem", error)) as fault:
        status, answer = request.send(request.caller(api), world, KEY)
    # Then the answer is the contract's 503, and nothing was done
    assert fault.raised == 1
    assert (status, answer["error"]["code"]) == (503, "dependency_unavailable"), answer
    assert set(answer) == {"error"}
    assert set(answer["error"]) == {"code", "message", "details"}
    assert state() == before
    # And the retry with the same key runs once; a second retry gets its answer back and changes nothing
    status, first = request.send(request.caller(api), world, KEY)
    assert status == request.success, first
    done = state()
    assert done[0] != before[0]
    assert request.send(request.caller(api), world, KEY) == (request.success, first)
    assert state() == done


@pytest.mark.parametrize(("route", "error"), CASES)
def test_a_fault_recording_the_answer_still_answers_it_and_applies_once(
    api: Api, route: tuple[str, str], error: str
) -> None:
    world = build_world(api)
    request = REQUESTS[route]
    items_before, emails_before, _ = state()
    # When the action completes but the store fails to record its answer
    with injected(store_fault("UpdateItem", error)) as fault:
        status, answer = request.send(request.caller(api), world, KEY)
    # Then the client gets the action's answer: the change is committed, recorded once, emailed at most once
    assert fault.raised == 1
    assert status == request.success, answer
    items, emails, claims = state()
    new = [item for item in items if item not in items_before]
    assert len([item for item in new if item["pk"].endswith(RECORDS_OF_A_CHANGE)]) == 1, new
    assert emails - emails_before == (1 if route in EMAILING else 0)
    assert len(claims) == 1  # the claim stays, in progress until the invocation's time is up
    # And a retry with the same key while the claim lives is told so, and applies nothing a second time
    status, retry = request.send(request.caller(api), world, KEY)
    assert (status, retry["error"]["code"]) == (409, "idempotency_in_progress"), retry
    assert state() == (items, emails, claims)
