"""The activity-log writer: entries join the transaction of the state change they describe.

Entries live in one partition per customer, sorted by time; a GSI partitions them by type as well, so a
filter on a rare type reads only that type. Monthly counters, kept in the same transaction, let a reader
total a filter without reading the entries themselves.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from csr import clock
from csr.data import keys
from csr.data.dynamo import Transaction
from csr.models.activity import ActivityEntry

# Three years, counting a leap day.
RETENTION = timedelta(days=3 * 365 + 1)


def entry_sort_key(moment: datetime, index: int) -> str:
    """Time to the microsecond, then the entry's place in its transaction: same-`at` entries keep the order
    in which they were written. The random tail keeps two writers in one microsecond apart."""
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z#{index:03d}{secrets.token_hex(2)}"


def month_of(at: str) -> str:
    return at[:7]


def count_attribute(activity_type: str) -> str:
    return f"n_{activity_type}"


def record(
    tx: Transaction, tenant_id: str, customer_id: str, entries: list[ActivityEntry], moment: datetime
) -> None:
    """Add `entries` (all written at `moment`) and their counter increments to `tx`."""
    expires = clock.epoch(moment + RETENTION)
    for index, entry in enumerate(entries):
        sort_key = entry_sort_key(moment, index)
        tx.put(
            {
                "pk": keys.activity_pk(tenant_id, customer_id),
                "sk": sort_key,
                "gsi1pk": keys.activity_type_pk(tenant_id, customer_id, entry.type),
                "gsi1sk": sort_key,
                "ttl": expires,
                **entry.model_dump(mode="json"),
            }
        )
    per_month: dict[str, Counter[str]] = {}
    for entry in entries:
        per_month.setdefault(month_of(entry.at), Counter())[entry.type] += 1
    for month, counts in per_month.items():
        names = {f"#c{i}": count_attribute(kind) for i, kind in enumerate(counts)}
        values: dict[str, Any] = {f":c{i}": count for i, count in enumerate(counts.values())}
        values[":ttl"] = expires + 31 * 24 * 3600
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
        tx.update(
            {"pk": keys.activity_count_pk(tenant_id, customer_id), "sk": month},
            f"SET #ttl = :ttl ADD {adds}",
            names={**names, "#ttl": "ttl"},
            values=values,
        )
