"""Process requests: the plan of an asynchronous group change, its status and progress.

Ids are time-ordered (milliseconds, then randomness), so the provider's partition reads newest first;
a GSI partition per status serves the status filter.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from csr import clock
from csr.data import due, keys
from csr.data.dynamo import Transaction, batch_get, call, get, table
from csr.data.errors import ConditionFailed
from csr.models.base import Model
from csr.models.groups import ProcessRequest, RequestStatus


class ProgressMovedError(ConditionFailed):
    """The request is no longer at the position a worker read: another delivery of its message got there
    first, or it ended. Data-layer control flow, never an HTTP answer."""


# A pending request is in the due index until it ends: the cleanup job looks at it once it has made no
# progress for this long, and queues it again (or, after a few times, fails it).
STUCK_AFTER = timedelta(minutes=15)


def _watched(tenant_id: str, request_id: str, look_at: datetime) -> dict[str, str]:
    return due.index_attributes(due.Kind.PROCESS_REQUEST, look_at, tenant_id, request_id)


def new_request_id(moment: datetime) -> str:
    return f"req_{int(moment.timestamp() * 1000):013d}{secrets.token_urlsafe(9)}"


def _key(tenant_id: str, request_id: str) -> dict[str, str]:
    return {"pk": keys.requests_pk(tenant_id), "sk": keys.request_sk(request_id)}


def _by_status(tenant_id: str, status: RequestStatus, request_id: str) -> dict[str, str]:
    return {"gsi1pk": keys.requests_by_status_pk(tenant_id, status.value), "gsi1sk": request_id}


def add_request_create(tx: Transaction, tenant_id: str, request: ProcessRequest) -> None:
    item = {
        **_key(tenant_id, request.request_id),
        **request.model_dump(mode="json"),
        **_by_status(tenant_id, request.status, request.request_id),
        **_watched(tenant_id, request.request_id, clock.parse_iso(request.created_at) + STUCK_AFTER),
    }
    tx.put(item, condition="attribute_not_exists(pk)")


def add_request_delete(tx: Transaction, tenant_id: str, request_id: str) -> None:
    """Undoes `add_request_create` when its message could not be queued."""
    tx.delete(_key(tenant_id, request_id))


def load_request(tenant_id: str, request_id: str) -> ProcessRequest | None:
    item = get(_key(tenant_id, request_id))
    return ProcessRequest.model_validate(item) if item else None


def pending_among(tenant_id: str, request_ids: list[str]) -> set[str]:
    """Which of `request_ids` are still pending."""
    found = batch_get([_key(tenant_id, request_id) for request_id in dict.fromkeys(request_ids)])
    return {str(item["request_id"]) for item in found if item["status"] == RequestStatus.PENDING.value}


def list_requests(
    tenant_id: str, status: RequestStatus | None, after: dict[str, str] | None, limit: int
) -> tuple[list[ProcessRequest], dict[str, str] | None]:
    query: dict[str, Any] = {"ScanIndexForward": False, "Limit": limit}
    if status is None:
        query["KeyConditionExpression"] = Key("pk").eq(keys.requests_pk(tenant_id))
    else:
        query["IndexName"] = "gsi1"
        query["KeyConditionExpression"] = Key("gsi1pk").eq(keys.requests_by_status_pk(tenant_id, status.value))
    if after:
        query["ExclusiveStartKey"] = after
    page = call(table().query, **query)
    return [ProcessRequest.model_validate(item) for item in page.get("Items", [])], page.get("LastEvaluatedKey")


_PENDING_AT = "#status = :pending AND items_done = :done"


def add_progress(tx: Transaction, tenant_id: str, request_id: str, done: int, new_done: int) -> None:
    """Move the request from `done` to `new_done` entries of its plan, in the transaction that applied them:
    a redelivered message that applied them already fails here and writes nothing."""
    tx.update(
        _key(tenant_id, request_id),
        "SET items_done = :new",
        condition=_PENDING_AT,
        names={"#status": "status"},
        values={":pending": RequestStatus.PENDING.value, ":done": done, ":new": new_done},
        error=ProgressMovedError,
    )


def add_request_end(
    tx: Transaction,
    tenant_id: str,
    request_id: str,
    done: int,
    status: RequestStatus,
    moment: datetime,
    error: str | None = None,
    items_done: int | None = None,
) -> None:
    tx.update(
        _key(tenant_id, request_id),
        "SET #status = :status, completed_at = :at, #error = :error, items_done = :new, gsi1pk = :gsi1pk "
        f"REMOVE {due.PK}, {due.SK}",
        condition=_PENDING_AT,
        names={"#status": "status", "#error": "error"},
        values={
            ":pending": RequestStatus.PENDING.value,
            ":done": done,
            ":status": status.value,
            ":at": clock.iso(moment),
            ":error": error,
            ":new": done if items_done is None else items_done,
            ":gsi1pk": keys.requests_by_status_pk(tenant_id, status.value),
        },
        error=ProgressMovedError,
    )


# --- the cleanup job's watch over pending requests ----------------------------------------------------


class Watch(Model):
    """What the cleanup job saw of a pending request when it last looked: how often it has queued it
    again with no progress between, and how far the request had got."""

    requeues: int = 0
    seen_done: int = 0


def load_watched(tenant_id: str, request_id: str) -> tuple[ProcessRequest, Watch] | None:
    item = get(_key(tenant_id, request_id))
    return (ProcessRequest.model_validate(item), Watch.model_validate(item)) if item else None


def add_watch(
    tx: Transaction, tenant_id: str, request: ProcessRequest, seen: Watch, watch: Watch, moment: datetime
) -> None:
    """Record `watch` and look at the request again `STUCK_AFTER` from `moment`, if it is still pending
    at the progress read and nobody recorded another watch since `seen`."""
    index = _watched(tenant_id, request.request_id, moment + STUCK_AFTER)
    tx.update(
        _key(tenant_id, request.request_id),
        f"SET requeues = :requeues, seen_done = :seen_done, {due.PK} = :due_pk, {due.SK} = :due_sk",
        condition=f"{_PENDING_AT} AND (attribute_not_exists(requeues) OR requeues = :before)",
        names={"#status": "status"},
        values={
            ":pending": RequestStatus.PENDING.value,
            ":done": request.items_done,
            ":before": seen.requeues,
            ":requeues": watch.requeues,
            ":seen_done": watch.seen_done,
            ":due_pk": index[due.PK],
            ":due_sk": index[due.SK],
        },
    )
