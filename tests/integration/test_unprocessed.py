"""What a batch call hands back unprocessed (DynamoDB does under throttling; moto never does) is retried
with a backoff, and a batch that stays unprocessed ends in a clean 503, not a Lambda spinning to its
timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from csr.data import dynamo
from csr.data.batch_write import batch_write
from csr.data.errors import DataUnavailable
from csr.settings import get_settings
from tests.support.api import Api, new_customer_body

Hook = Callable[..., None]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr("csr.data.dynamo.time.sleep", slept.append)
    return slept


@contextmanager
def after(operation: str, hook: Hook) -> Iterator[list[int]]:
    """Runs `hook` on each parsed answer of `operation`; yields the list of calls seen (one entry each)."""
    seen: list[int] = []

    def counted(parsed: dict[str, Any], **kwargs: Any) -> None:
        seen.append(1)
        hook(parsed, len(seen), **kwargs)

    events = dynamo.client().meta.events
    events.register(f"after-call.dynamodb.{operation}", counted, unique_id="unprocessed")
    try:
        yield seen
    finally:
        events.unregister(f"after-call.dynamodb.{operation}", unique_id="unprocessed")


def _withhold_reads(parsed: dict[str, Any], keep: int) -> None:
    """Moves the found items of the answer past the first `keep` into UnprocessedKeys."""
    name = get_settings().table_name
    found = parsed.get("Responses", {}).get(name, [])
    if len(found) > keep:
        parsed["Responses"][name] = found[:keep]
        keys = [{"pk": item["pk"], "sk": item["sk"]} for item in found[keep:]]
        parsed["UnprocessedKeys"] = {name: {"Keys": keys, "ConsistentRead": True}}


def _put_items(count: int) -> list[dict[str, str]]:
    keys = [{"pk": "TEST#unprocessed", "sk": f"ITEM#{n:03}"} for n in range(count)]
    batch_write(puts=[{**key, "n": n} for n, key in enumerate(keys)])
    return keys


def test_unprocessed_keys_are_read_again_until_every_item_is_found(aws: object, no_backoff: list[float]) -> None:
    keys = _put_items(4)

    # Given DynamoDB answers the first two calls with all but one item unprocessed
    def twice(parsed: dict[str, Any], call: int, **_: Any) -> None:
        if call <= 2:
            _withhold_reads(parsed, keep=1)

    with after("BatchGetItem", twice) as seen:
        found = dynamo.batch_get(keys)
    # Then every item is read, in three calls, with a backoff before each retry
    assert sorted(int(item["n"]) for item in found) == [0, 1, 2, 3]
    assert len(seen) == 3
    assert len(no_backoff) == 2


def test_keys_that_stay_unprocessed_end_in_a_503(csr: Api, no_backoff: list[float]) -> None:
    status, _, _ = csr.call("POST", "/customers", new_customer_body(first_name="Zéphirine"))
    assert status == 201
    status, _, _ = csr.call("POST", "/customers", new_customer_body(2, first_name="Zéphirine"))
    assert status == 201

    # Given DynamoDB processes no key of a batch read
    with after("BatchGetItem", lambda parsed, call, **_: _withhold_reads(parsed, keep=0)) as seen:
        # When a CSR searches for both customers (a search reads its rows with BatchGetItem)
        status, error, _ = csr.call("GET", "/customers", query={"q": "zéphirine"})
    # Then the CSR gets the contract's retry-safe 503 once the retries are spent, not a timeout
    assert (status, error.get("error", {}).get("code")) == (503, "dependency_unavailable"), (status, error)
    assert len(seen) == dynamo.MAX_UNPROCESSED_RETRIES + 1
    assert len(no_backoff) == dynamo.MAX_UNPROCESSED_RETRIES


def test_writes_that_stay_unprocessed_raise_data_unavailable(aws: object, no_backoff: list[float]) -> None:
    def never(parsed: dict[str, Any], call: int, **_: Any) -> None:
        item = {"pk": {"S": "TEST#unprocessed"}, "sk": {"S": "ITEM#1"}}  # as DynamoDB answers, typed
        parsed["UnprocessedItems"] = {get_settings().table_name: [{"PutRequest": {"Item": item}}]}

    with after("BatchWriteItem", never) as seen, pytest.raises(DataUnavailable):
        batch_write(puts=[{"pk": "TEST#unprocessed", "sk": "ITEM#1"}])
    assert len(seen) == dynamo.MAX_UNPROCESSED_RETRIES + 1
