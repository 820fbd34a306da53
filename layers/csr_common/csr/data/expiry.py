"""The cleanup job's side of the due index (`csr.data.due`): what is due up to a moment, hour by hour
across tenants, and the deletion of an expired credential or session that DynamoDB's TTL has not removed
yet. A deletion is conditional on the entry read and on the expiry having passed, so an item reissued
since (a new code under the same key) is never deleted."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from csr import clock
from csr.data import keys
from csr.data.due import INDEX, PK, SK, Kind
from csr.data.dynamo import call, call_if, table


@dataclass(frozen=True)
class DueEntry:
    kind: Kind
    key: dict[str, str]  # the item's own key
    position: str  # its due-index sort key as read
    ident: tuple[str, ...]  # what the sort key names beside the kind (a process request: tenant, id)


def hours(since: datetime, moment: datetime) -> Iterator[datetime]:
    """The due index's hours from `since`'s up to `moment`'s, oldest first."""
    hour = since.replace(minute=0, second=0, microsecond=0)
    while hour <= moment:
        yield hour
        hour += timedelta(hours=1)


def due_entries(
    hour: datetime, moment: datetime, limit: int, after: dict[str, str] | None = None
) -> tuple[list[DueEntry], dict[str, str] | None]:
    """A page of the entries of `hour` due before `moment`, and where the next page starts."""
    query: dict[str, Any] = {
        "IndexName": INDEX,
        "KeyConditionExpression": Key(PK).eq(keys.due_pk(clock.iso(hour)[:13])) & Key(SK).lt(clock.iso(moment)),
        "Limit": limit,
    }
    if after:
        query["ExclusiveStartKey"] = after
    page = call(table().query, **query)
    return [_entry(item) for item in page.get("Items", [])], page.get("LastEvaluatedKey")


def _entry(item: dict[str, Any]) -> DueEntry:
    position = str(item[SK])
    _due_at, kind, *ident = position.split("#", 2)
    rest = tuple(ident[0].rsplit("#", 1)) if ident else ()
    return DueEntry(Kind(kind), {"pk": str(item["pk"]), "sk": str(item["sk"])}, position, rest)


def delete_expired(entry: DueEntry, moment: datetime) -> bool:
    """Delete the entry's item if it is still the one read and expired at `moment`; False if it is gone or
    was reissued meanwhile."""
    return call_if(
        table().delete_item,
        Key=entry.key,
        ConditionExpression="#sk = :position AND expires_at <= :now",
        ExpressionAttributeNames={"#sk": SK},
        ExpressionAttributeValues={":position": entry.position, ":now": clock.iso(moment)},
    )
