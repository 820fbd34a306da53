"""Counts DynamoDB calls and items read, with botocore event hooks on a client.

Items read per call: `ScannedCount` for Query and Scan (what DynamoDB bills: every item the key condition
reached, before any FilterExpression), the item for GetItem, the items returned for BatchGetItem and
TransactGetItems. Writes count as calls with no items read. Moto's ConsumedCapacity is a constant, so
these counts are the measure that means the same in moto and in AWS.

    counter = DynamoDbCounter(csr.data.dynamo.client())
    with counter.measure() as count:
        ...  # anything that calls DynamoDB through that client (or a resource built on it)
    print(count.calls, count.items_read, count.by_operation)
    counter.close()
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_EVENT = "after-call.dynamodb"


@dataclass
class DynamoDbCount:
    calls: int = 0
    items_read: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)

    def add(self, operation: str, items_read: int) -> None:
        self.calls += 1
        self.items_read += items_read
        self.by_operation[operation] += 1


def items_read(operation: str, parsed: dict[str, Any]) -> int:
    """Items one DynamoDB response says were read."""
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in parsed.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return len(parsed.get("Responses", []))
    return 0


class DynamoDbCounter:
    """Hooks one boto3 DynamoDB client (a resource's `meta.client` too): every call it makes from now on,
    until `close()`, is added to each `measure()` block that is open."""

    def __init__(self, client: Any) -> None:
        self._events = client.meta.events
        self._open: list[DynamoDbCount] = []
        self._unique_id = f"bench-counter-{id(self)}"
        self._events.register(_EVENT, self._after_call, unique_id=self._unique_id)

    def _after_call(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        for count in self._open:
            count.add(model.name, items_read(model.name, parsed))

    @contextmanager
    def measure(self) -> Iterator[DynamoDbCount]:
        count = DynamoDbCount()
        self._open.append(count)
        try:
            yield count
        finally:
            self._open.remove(count)

    def close(self) -> None:
        self._events.unregister(_EVENT, unique_id=self._unique_id)
