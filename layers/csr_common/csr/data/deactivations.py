"""The marker of a deactivation written in parts (API.md: a change too large for one transaction).

The first part (the status change) puts the marker beside the profile; each later part cancels a chunk
of payments and adds their ids to it; the last part deletes it. While it exists the deactivation is
unfinished: the next `deactivate` of the customer, or the cleanup job, finishes it. The cleanup job finds
markers without a Scan: each carries gsi1 keys (`DEACTIVATIONS_GSI_PK`, start time first), a sparse
partition of gsi1 that holds only the deactivations in flight.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from pydantic import Field

from csr.data import keys
from csr.data.activity import TYPE_INDEX, time_key
from csr.data.dynamo import Transaction, query_all
from csr.models.activity import Actor
from csr.models.base import Model


class DeactivationMarker(Model):
    started_at: str
    actor: Actor  # the CSR who deactivated: later parts record their entries in that CSR's name
    cancelled: set[str] = Field(default_factory=set)  # payment ids cancelled by the parts written so far


class InterruptedDeactivation(Model):
    tenant_id: str
    customer_id: str
    started_at: str


def _key(tenant_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.DEACTIVATION_SK}


def from_partition(items: Mapping[str, Mapping[str, Any]]) -> DeactivationMarker | None:
    """The marker among a customer partition's items, by sort key."""
    item = items.get(keys.DEACTIVATION_SK)
    return DeactivationMarker.model_validate(item) if item else None


def add_start(
    tx: Transaction, tenant_id: str, customer_id: str, moment: datetime, actor: Actor, cancelled: Collection[str]
) -> None:
    """Mark the customer's deactivation as in progress, `cancelled` already done by this first part."""
    started_at = time_key(moment)
    item: dict[str, Any] = {
        **_key(tenant_id, customer_id),
        "gsi1pk": keys.DEACTIVATIONS_GSI_PK,
        "gsi1sk": keys.deactivation_gsi_sk(started_at, tenant_id, customer_id),
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "started_at": started_at,
        "actor": actor.model_dump(mode="json", exclude_none=True),
    }
    if cancelled:
        item["cancelled"] = set(cancelled)
    tx.put(item, condition="attribute_not_exists(pk)")


def add_progress(tx: Transaction, tenant_id: str, customer_id: str, cancelled: Collection[str]) -> None:
    """Record a part's cancellations; fails if the deactivation was finished meanwhile."""
    tx.update(
        _key(tenant_id, customer_id),
        "ADD #c :ids",
        condition="attribute_exists(pk)",
        names={"#c": "cancelled"},
        values={":ids": set(cancelled)},
    )


def add_finish(tx: Transaction, tenant_id: str, customer_id: str) -> None:
    """The last part: the deactivation is complete. Fails if another writer finished it first."""
    tx.delete(_key(tenant_id, customer_id), condition="attribute_exists(pk)")


def interrupted_deactivations(started_before: datetime, limit: int = 100) -> list[InterruptedDeactivation]:
    """Deactivations of every tenant started before `started_before` and not finished, oldest first: what
    the cleanup job finishes. One Query of gsi1's sparse marker partition, never a Scan."""
    items = query_all(
        IndexName=TYPE_INDEX,
        KeyConditionExpression=Key("gsi1pk").eq(keys.DEACTIVATIONS_GSI_PK) & Key("gsi1sk").lt(time_key(started_before)),
        Limit=limit,
    )
    found: list[InterruptedDeactivation] = []
    for item in items:
        found.append(InterruptedDeactivation.model_validate(item))
        if len(found) == limit:
            break
    return found
