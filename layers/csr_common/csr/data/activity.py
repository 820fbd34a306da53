"""ActivityLog: the writer that joins a state change's transaction, and the reader of the console's log.

Entries live in one partition per customer, sorted by time; a GSI partitions them by type as well, so a
filter on a rare type reads only that type. Monthly counters, kept in the same transaction, let a reader
total a filter without reading the entries themselves: whole months come from the counters, and only the
month at the retention boundary is counted entry by entry (Select=COUNT), from the cutoff on.
"""

from __future__ import annotations

import heapq
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from boto3.dynamodb.conditions import Key

from csr import clock
from csr.data import keys
from csr.data.dynamo import Transaction, call, query_all, table
from csr.models.activity import ActivityRecord, ActivityType
from csr.observability import metrics

# Three years, counting a leap day.
RETENTION = timedelta(days=3 * 365 + 1)
TYPE_INDEX = "gsi1"


def time_key(moment: datetime) -> str:
    """A moment as the leading part of a sort key: fixed width, so that string order is time order."""
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z"


def entry_sort_key(moment: datetime, index: int) -> str:
    """Time to the microsecond, then the entry's place in its transaction: same-`at` entries keep the order
    in which they were written. The random tail keeps two writers in one microsecond apart."""
    return f"{time_key(moment)}#{index:03d}{secrets.token_hex(2)}"


def below(sort_key: str) -> str:
    """The greatest bound that sorts before `sort_key` and after every shorter-or-equal key below it.

    Sort keys have one fixed width, so "sk < k" is "sk <= k[:-1] + (k[-1] - 1) + '~'": a key-condition
    BETWEEN can then resume after the last entry served, in any partition, without an ExclusiveStartKey
    (which DynamoDB accepts only as returned by the same index)."""
    return f"{sort_key[:-1]}{chr(ord(sort_key[-1]) - 1)}~"


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


def count_attribute(activity_type: str) -> str:
    return f"n_{activity_type}"


def counter_ttl(moment: datetime) -> int:
    """A month's counter outlives its last entry by a month: it is read until the whole month has aged out."""
    return clock.epoch(moment + RETENTION + timedelta(days=31))


_STORED_FIELDS = frozenset(ActivityRecord.model_fields)


def entry_item(tenant_id: str, customer_id: str, entry: ActivityRecord, moment: datetime, index: int) -> dict[str, Any]:
    """The stored entry: in the customer's log partition and, through gsi1, in its type's partition. Only
    the record's machine values are stored (a served entry's summary is composed when read)."""
    sort_key = entry_sort_key(moment, index)
    return {
        "pk": keys.activity_pk(tenant_id, customer_id),
        "sk": sort_key,
        "gsi1pk": keys.activity_type_pk(tenant_id, customer_id, entry.type),
        "gsi1sk": sort_key,
        "ttl": clock.epoch(moment + RETENTION),
        **entry.model_dump(mode="json", include=set(_STORED_FIELDS)),
    }


def record(
    tx: Transaction, tenant_id: str, customer_id: str, entries: Sequence[ActivityRecord], moment: datetime
) -> None:
    """Add `entries` (all written at `moment`) and their counter increments to `tx`.

    Sort key, TTL and counter month all derive from `moment`, so the reader's key conditions and the
    counters it sums always agree on which month and which side of the cutoff an entry lies."""
    record_history(tx, tenant_id, customer_id, [(moment, entry) for entry in entries])


def record_history(
    tx: Transaction, tenant_id: str, customer_id: str, timed: Sequence[tuple[datetime, ActivityRecord]]
) -> None:
    """Add entries that each happened at their own moment (a state change's entries share one; demo history
    spans years), with one counter increment per month they fall in."""
    months: dict[str, tuple[datetime, Counter[str]]] = {}
    for index, (moment, entry) in enumerate(timed):
        tx.put(entry_item(tenant_id, customer_id, entry, moment, index))
        latest, counts = months.get(month_of(moment), (moment, Counter[str]()))
        counts[str(entry.type)] += 1
        months[month_of(moment)] = (max(latest, moment), counts)
    for month, (latest, counts) in months.items():
        names = {f"#c{i}": count_attribute(kind) for i, kind in enumerate(counts)}
        values: dict[str, Any] = {f":c{i}": count for i, count in enumerate(counts.values())}
        values[":ttl"] = counter_ttl(latest)
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(counts)))
        tx.update(
            {"pk": keys.activity_count_pk(tenant_id, customer_id), "sk": month},
            f"SET #ttl = :ttl ADD {adds}",
            names={**names, "#ttl": "ttl"},
            values=values,
        )
    total = sum((counts for _latest, counts in months.values()), Counter[str]())
    if total:
        tx.after_commit.append(lambda: _count_in_metrics(total))


def _count_in_metrics(counts: Counter[str]) -> None:
    """Every activity type is also a CloudWatch metric (EMF): failed logins, lockouts, links sent..."""
    for kind, count in counts.items():
        metrics.add_metric(name=kind, unit=MetricUnit.Count, value=count)


# --- reading -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read, with its sort key: the position a next page resumes before."""

    sort_key: str
    entry: ActivityRecord


def _partitions(
    tenant_id: str, customer_id: str, types: frozenset[ActivityType] | None
) -> list[tuple[str | None, str, str, str]]:
    """(index, partition attribute, partition value, sort attribute) of each partition a filter reads."""
    if types is None:
        return [(None, "pk", keys.activity_pk(tenant_id, customer_id), "sk")]
    return [
        (TYPE_INDEX, "gsi1pk", keys.activity_type_pk(tenant_id, customer_id, kind), "gsi1sk") for kind in sorted(types)
    ]


def _query_args(index: str | None, pk_name: str, pk_value: str, sk_name: str, low: str, high: str) -> dict[str, Any]:
    args: dict[str, Any] = {
        "KeyConditionExpression": Key(pk_name).eq(pk_value) & Key(sk_name).between(low, high),
    }
    if index:
        args["IndexName"] = index
    return args


def _newest(args: dict[str, Any], count: int) -> Iterator[dict[str, Any]]:
    """At most `count` items of one partition, newest first, over as many Query pages as it takes."""
    args = {**args, "ScanIndexForward": False}
    remaining = count
    while remaining > 0:
        page = call(table().query, **args, Limit=remaining)
        items = page.get("Items", [])
        yield from items
        remaining -= len(items)
        if "LastEvaluatedKey" not in page:
            return
        args["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_entries(
    tenant_id: str,
    customer_id: str,
    types: frozenset[ActivityType] | None,
    cutoff: datetime,
    before: str | None,
    count: int,
) -> list[StoredEntry]:
    """Up to `count` stored entries newest first, written at or after `cutoff` and (when resuming) sorting
    before the sort key `before`. Several types: each type's partition, merged (each read at most `count`)."""
    low = time_key(cutoff)
    high = below(before) if before else "~"
    if high < low:
        return []  # the previous page ended at the cutoff
    streams = [
        _newest(_query_args(*partition, low, high), count) for partition in _partitions(tenant_id, customer_id, types)
    ]
    merged: Iterable[dict[str, Any]] = heapq.merge(*streams, key=lambda item: str(item["sk"]), reverse=True)
    return [
        StoredEntry(str(item["sk"]), ActivityRecord.model_validate(item))
        for _, item in zip(range(count), merged, strict=False)
    ]


def count_entries(tenant_id: str, customer_id: str, types: frozenset[ActivityType] | None, cutoff: datetime) -> int:
    """How many entries at or after `cutoff` match the filter, without reading them: the counters of the
    months after the cutoff's month, plus an exact count of the cutoff's month from the cutoff on."""
    boundary = month_of(cutoff)
    counters = query_all(
        KeyConditionExpression=Key("pk").eq(keys.activity_count_pk(tenant_id, customer_id)) & Key("sk").gt(boundary)
    )
    wanted = [count_attribute(kind) for kind in (types if types is not None else ActivityType)]
    total = sum(int(counter.get(name, 0)) for counter in counters for name in wanted)
    # Month keys are "YYYY-MM", and every sort key of that month starts with them: "~" sorts after all.
    for partition in _partitions(tenant_id, customer_id, types):
        args = {**_query_args(*partition, time_key(cutoff), f"{boundary}~"), "Select": "COUNT"}
        while True:
            page = call(table().query, **args)
            total += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                break
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return total
