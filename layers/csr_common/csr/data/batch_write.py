"""BatchWriteItem in chunks of 25 (DynamoDB's limit, which moto does not enforce), retrying what DynamoDB
hands back unprocessed (`dynamo.until_processed`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from csr.data.dynamo import call, client, until_processed
from csr.settings import get_settings

MAX_BATCH_WRITE_ITEMS = 25


def batch_write(puts: Sequence[Mapping[str, Any]] = (), deletes: Sequence[Mapping[str, str]] = ()) -> int:
    """Write `puts` (items) and `deletes` (keys), unconditionally; returns the BatchWriteItem calls made."""
    name = get_settings().table_name
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": dict(item)}} for item in puts]
    requests += [{"DeleteRequest": {"Key": dict(key)}} for key in deletes]

    def send(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        answer = call(client().batch_write_item, RequestItems={name: pending})
        unprocessed: list[dict[str, Any]] = answer.get("UnprocessedItems", {}).get(name, [])
        return unprocessed

    chunks = (
        requests[start : start + MAX_BATCH_WRITE_ITEMS] for start in range(0, len(requests), MAX_BATCH_WRITE_ITEMS)
    )
    return sum(until_processed(chunk, send) for chunk in chunks)
