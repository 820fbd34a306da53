"""The table, created lazily, and a transaction builder that maps cancellations to domain errors."""

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
from csr.errors import ApiError, ConcurrentChangeError, DependencyUnavailableError
from csr.observability import logger
from csr.settings import get_settings

MAX_TRANSACTION_ITEMS = 100


@lru_cache(maxsize=1)
def _resource() -> Any:
    return boto3.resource("dynamodb")


def table() -> Any:
    return _resource().Table(get_settings().table_name)


def client() -> Any:
    """The resource's client: it accepts and returns plain Python values, not attribute-value maps."""
    return _resource().meta.client


class TransactionTooLargeError(ApiError):
    status, code = 422, "change_too_large"
    message = "This change touches more records than one atomic write can hold; split it into smaller changes."


@dataclass
class Transaction:
    """Collects the writes of one state change; each write may name the error its failed condition means."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    on_condition_failed: list[Callable[[], ApiError] | None] = field(default_factory=list)
    # Run once the writes have landed (metrics of what happened), never for a cancelled transaction.
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def _add(self, kind: str, body: dict[str, Any], error: Callable[[], ApiError] | None) -> None:
        self.operations.append({kind: {"TableName": get_settings().table_name, **body}})
        self.on_condition_failed.append(error)

    def put(
        self,
        item: Mapping[str, Any],
        *,
        condition: str | None = None,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        error: Callable[[], ApiError] | None = None,
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
        error: Callable[[], ApiError] | None = None,
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
        error: Callable[[], ApiError] | None = None,
    ) -> None:
        self._add("Delete", _with_condition({"Key": dict(key)}, condition, names, values), error)

    def check(
        self,
        key: Mapping[str, str],
        condition: str,
        *,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, Any] | None = None,
        error: Callable[[], ApiError] | None = None,
    ) -> None:
        self._add("ConditionCheck", _with_condition({"Key": dict(key)}, condition, names, values), error)

    def __len__(self) -> int:
        return len(self.operations)

    def commit(self) -> None:
        if not self.operations:
            return
        if len(self.operations) > MAX_TRANSACTION_ITEMS:
            raise TransactionTooLargeError(items=len(self.operations), limit=MAX_TRANSACTION_ITEMS)
        try:
            client().transact_write_items(TransactItems=self.operations)
        except ClientError as exc:
            raise self._domain_error(exc) from exc
        except BotoCoreError as exc:
            raise DependencyUnavailableError() from exc
        for callback in self.after_commit:
            try:
                callback()
            except Exception:
                # The change is written; a failed side step (a metric) must not turn it into an error.
                logger.exception("after-commit step failed")

    def _domain_error(self, exc: ClientError) -> ApiError:
        if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            return DependencyUnavailableError()
        reasons = exc.response.get("CancellationReasons", [])
        for reason, error in zip(reasons, self.on_condition_failed, strict=False):
            if reason.get("Code") == "ConditionalCheckFailed":
                return error() if error else ConcurrentChangeError()
        if any(reason.get("Code") == "TransactionConflict" for reason in reasons):
            return ConcurrentChangeError()
        return DependencyUnavailableError()


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


def call(operation: Callable[..., dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """Run one DynamoDB call; AWS failures become a retry-safe 503, never a 500 with AWS text."""
    try:
        return operation(**kwargs)
    except (ClientError, BotoCoreError) as exc:
        raise DependencyUnavailableError() from exc


def batch_get(keys: list[dict[str, str]]) -> list[dict[str, Any]]:
    """BatchGetItem in chunks of 100, retrying unprocessed keys."""
    name = get_settings().table_name
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        request: dict[str, Any] = {name: {"Keys": keys[start : start + 100], "ConsistentRead": True}}
        while request:
            page = call(_resource().batch_get_item, RequestItems=request)
            items.extend(page.get("Responses", {}).get(name, []))
            request = page.get("UnprocessedKeys") or {}
    return items


T = TypeVar("T")


def retry_on_conflict(
    attempt: Callable[[], T], *, attempts: int = 25, exhausted: Callable[[], ApiError] = ConcurrentChangeError
) -> T:
    """Run `attempt` (read, decide, conditional write) again while a concurrent change defeats it.

    A stale write itself writes nothing; re-reading and deciding again is what lets a CSR's lock land
    during a burst of failed logins. Full-jitter backoff, capped at 50 ms, spreads racing writers apart.
    """
    for tries in range(attempts):
        try:
            return attempt()
        except ConcurrentChangeError:
            time.sleep(random.uniform(0, min(0.05, 0.002 * 2**tries)))  # noqa: S311 - not a secret
    raise exhausted()


def is_live(item: Mapping[str, Any] | None, moment: datetime) -> bool:
    """DynamoDB's TTL deletes lazily (up to days late), so an item may outlive its `expires_at`: every read
    of an expiring item checks it."""
    return item is not None and clock.parse_iso(item["expires_at"]) > moment
