"""BatchWriteItem in chunks of 25 (DynamoDB's limit, which moto does not enforce), retrying what DynamoDB
hands back unprocessed with a capped exponential backoff."""

from __future__ import annotations

import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

from csr.data.dynamo import call, client
from csr.data.errors import DataUnavailable
from csr.settings import get_settings

MAX_BATCH_WRITE_ITEMS = 25
MAX_UNPROCESSED_RETRIES = 8


def batch_write(puts: Sequence[Mapping[str, Any]] = (), deletes: Sequence[Mapping[str, str]] = ()) -> int:
    """Write `puts` (items) and `deletes` (keys), unconditionally; returns the BatchWriteItem calls made."""
    name = get_settings().table_name
    requests: list[dict[str, Any]] = [{"PutRequest": {"Item": dict(item)}} for item in puts]
    requests += [{"DeleteRequest": {"Key": dict(key)}} for key in deletes]
    calls = 0
    for start in range(0, len(requests), MAX_BATCH_WRITE_ITEMS):
        pending = requests[start : start + MAX_BATCH_WRITE_ITEMS]
        for attempt in range(MAX_UNPROCESSED_RETRIES + 1):
            calls += 1
            answer = call(client().batch_write_item, RequestItems={name: pending})
            pending = answer.get("UnprocessedItems", {}).get(name, [])
            if not pending:
                break
            if attempt == MAX_UNPROCESSED_RETRIES:
                raise DataUnavailable()
            time.sleep(random.uniform(0, min(1.0, 0.02 * 2**attempt)))  # noqa: S311 - jitter, not a secret
    return calls
