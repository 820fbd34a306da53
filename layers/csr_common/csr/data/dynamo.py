"""The table, created lazily, and a transaction builder that maps cancellations to data errors."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from csr import clock
from csr.data import due
from csr.data.errors import ConditionFailed, DataUnavailable, TooManyItems
from csr.observability import logger
from csr.settings import get_settings

MAX_TRANSACTION_ITEMS = 100
MAX_BATCH_GET_KEYS = 100
MAX_UNPROCESSED_RETRIES = 8

Request = TypeVar("Request")


@lru_cache(maxsize=1)
def _resource() -> Any:
    return boto3.resource("dynamodb")


def table() -> Any:
    return _resource().Table(get_settings().table_name)


def client() -> Any:
    """The resource's client: it accepts and returns plain Python values, not attribute-value maps."""
    return _resource().meta.client


def expiring(expires: datetime, kind: due.Kind) -> dict[str, Any]:
    """The attributes of an item that expires: `expires_at`, which every read checks (DynamoDB's TTL
    deletes lazily, up to days late), `ttl`, the epoch second at which DynamoDB may delete it, and its
    entry in the due index, where the cleanup job finds it if TTL has not deleted it yet."""
    return {"expires_at": clock.iso(expires), "ttl": clock.epoch(expires), **due.index_attributes(kind, expires)}


@dataclass
class Transaction:
    """Collects the writes of one state change; each write may name the error its failed condition means."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    on_condition_failed: list[Callable[[], Exception] | None] = field(default_factory=list)
    # Run once the writes have landed (metrics of what happened), never for a cancelled transaction.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def _add(self, kind: str, body: dict[str, Any], error: Callable[[], Exception] | None) -> None:
        self.operations.append({kind: {"TableName": get_settings().table_name, **body}})
        self.on_condition_failed.append(error)

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        error: Callable[[], Exception] | None = None,
    ) -> None:
        self._add("Put", _with_condition({"Item": dict(item)}, condition, names, values), error)

    def update(
        self,
        key: Mapping[str, str],
        expression: str,
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        error: Callable[[], Exception] | None = None,
    ) -> None:
        body = _with_condition({"Key": dict(key), "UpdateExpression": expression}, condition, names, values)
        self._add("Update", body, error)

    def delete(
        self,
        key: Mapping[str, str],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        error: Callable[[], Exception] | None = None,
    ) -> None:
        self._add("Delete", _with_condition({"Key": dict(key)}, condition, names, values), error)

    def check(
        self,
        key: Mapping[str, str],
        condition: str,
        *,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        error: Callable[[], Exception] | None = None,
    ) -> None:
        self._add("ConditionCheck", _with_condition({"Key": dict(key)}, condition, names, values), error)

    def __len__(self) -> int:
        return len(self.operations)

    def commit(self) -> None:
        if not self.operations:
            return
        if len(self.operations) > MAX_TRANSACTION_ITEMS:
            raise TooManyItems(len(self.operations), MAX_TRANSACTION_ITEMS)
        try:
            client().transact_write_items(TransactItems=self.operations)
        except ClientError as exc:
            raise self._data_error(exc) from exc
        except BotoCoreError as exc:
            raise DataUnavailable() from exc
        for callback in self.after_commit:
            try:
                callback()
            except Exception:
                # The change is written; a failed side step (a metric) must not turn it into an error.
                logger.exception("after-commit step failed")

    def _data_error(self, exc: ClientError) -> Exception:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            return DataUnavailable()
        reasons = exc.response.get("CancellationReasons", [])
        for reason, error in zip(reasons, self.on_condition_failed, strict=False):
            if reason.get("Code") == "ConditionalCheckFailed":
                return error() if error else ConditionFailed()
        if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
            return ConditionFailed()
        return DataUnavailable()


def _with_condition(
    body: dict[str, Any],
    condition: str | None,
    names: Mapping[str, str] | None,
    values: Mapping[str, Any] | None,
) -> dict[str, Any]:
    if condition:
        body["ConditionExpression"] = condition
    if names:
        body["ExpressionAttributeNames"] = dict(names)
    if values:
        body["ExpressionAttributeValues"] = dict(values)
    return body


def query_all(**kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item a Query yields, page after page."""
    while True:
        page = call(table().query, **kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def call_if(operation: Callable[..., dict[str, Any]], **kwargs: Any) -> bool:
    """Run one conditional write: False if its condition did not hold, True once it is written."""
    try:
        operation(**kwargs)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise DataUnavailable() from exc
    except BotoCoreError as exc:
        raise DataUnavailable() from exc
    return True


def call(operation: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """Run one DynamoDB call; AWS failures become `DataUnavailable` (a retry-safe 503), never AWS text."""
    try:
        return operation(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise DataUnavailable() from exc


def get(key: dict[str, str]) -> dict[str, Any] | None:
    """The item at `key` (a consistent read), or None."""
    item: dict[str, Any] | None = call(table().get_item, Key=key, ConsistentRead=True).get("Item")
    return item


def until_processed(request: Request, send: Callable[[Request], Request | None]) -> int:
    """Send `request`, then what DynamoDB hands back unprocessed (`send` returns it; a batch call under
    throttling may process only part of its request), with a capped exponential backoff; `DataUnavailable`
    once MAX_UNPROCESSED_RETRIES retries still leave some. Returns the calls made."""
    calls = 0
    pending: Request | None = request
    while pending:
        if calls > MAX_UNPROCESSED_RETRIES:
            raise DataUnavailable()
        if calls:
            time.sleep(random.uniform(0, min(1.0, 0.02 * 2 ** (calls - 1))))  # noqa: S311 - jitter, not a secret
        pending = send(pending)
        calls += 1
    return calls


def batch_get(keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """BatchGetItem (consistent reads) in chunks of 100, DynamoDB's limit, retrying unprocessed keys."""
    name = get_settings().table_name
    items: list[dict[str, Any]] = []

    def send(request: dict[str, Any]) -> dict[str, Any] | None:
        page = call(_resource().batch_get_item, RequestItems=request)
        items.extend(page.get("Responses", {}).get(name, []))
        unprocessed: dict[str, Any] | None = page.get("UnprocessedKeys") or None
        return unprocessed

    for start in range(0, len(keys), MAX_BATCH_GET_KEYS):
        until_processed({name: {"Keys": keys[start : start + MAX_BATCH_GET_KEYS], "ConsistentRead": True}}, send)
    return items
