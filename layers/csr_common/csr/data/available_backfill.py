"""Backfill of the available-clients index (csr.data.keys.available_index_pk) for a table written before it,
and removal of the index it replaces (every client by name and business number, `T#<tenant>#CLIENTIDX`),
which nothing reads any more.

Run once after the deploy that brings it (`make migrate-available-clients`). It walks the table with a Scan
(a one-off job, never a request path), a page at a time. For each client profile it reads the membership
guard and puts the client's available entries if it is available; each old index entry is deleted.
Idempotent: a run may be cut short and started again from the start. A client grouped while the backfill
runs may keep an entry it was given just before: the picker confirms each entry against the membership
guard, so it is never listed, and its next change (a feed, a release) writes its entries right again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr

from csr.data import keys
from csr.data.batch_write import batch_write
from csr.data.clients import available_items, membership_key
from csr.data.dynamo import batch_get, call, table
from csr.models.groups import Client

_OLD_INDEX = "#CLIENTIDX"


@dataclass
class Progress:
    clients: int = 0
    old_entries_deleted: int = 0
    finished: bool = False


def _backfill_page(items: list[dict[str, Any]], progress: Progress) -> None:
    profiles = [item for item in items if item["sk"] == keys.PROFILE_SK and "#CLIENT#" in str(item["pk"])]
    old = [{"pk": item["pk"], "sk": item["sk"]} for item in items if str(item["pk"]).endswith(_OLD_INDEX)]
    guards = batch_get([membership_key(*keys.tenant_and_client(str(item["pk"]))) for item in profiles])
    grouped = {str(guard["pk"]): str(guard["group_id"]) for guard in guards}
    puts = []
    for item in profiles:
        tenant_id, _ = keys.tenant_and_client(str(item["pk"]))
        client = Client.model_validate({**item, "group_id": grouped.get(str(item["pk"]))})
        puts += available_items(tenant_id, client)
    batch_write(puts=puts, deletes=old)
    progress.clients += len(profiles)
    progress.old_entries_deleted += len(old)


def run(page_size: int = 1000, max_pages: int | None = None) -> Progress:
    """Walk the table; stops after `max_pages` pages if given (run again to do it all)."""
    progress = Progress()
    kwargs: dict[str, Any] = {
        "FilterExpression": Attr("sk").eq(keys.PROFILE_SK) | Attr("pk").contains(_OLD_INDEX),
        "Limit": page_size,
    }
    pages = 0
    while max_pages is None or pages < max_pages:
        page = call(table().scan, **kwargs)
        _backfill_page(page.get("Items", []), progress)
        pages += 1
        if "LastEvaluatedKey" not in page:
            progress.finished = True
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return progress
