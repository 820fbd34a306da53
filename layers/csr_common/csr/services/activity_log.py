"""The console's activity log: a page of a customer's entries, newest first, with the filter's total."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from csr import clock
from csr.auth import Caller
from csr.cursor import decode_cursor, encode_cursor
from csr.data import activity
from csr.errors import InvalidCursorError
from csr.i18n.activity import served, type_labels
from csr.models.activity import ActivityEntry, ActivityPage, ActivityType
from csr.models.filters import parse_comma_list
from csr.services.customer_changes import load_customer

# View All: one response of up to 1,000 entries. An entry is small (a summary line and a few detail
# fields: ~300 bytes as served), so 1,000 of them make ~300 KB, far below API Gateway's 10 MB and Lambda's
# 6 MB response limits. Whatever writers put in an entry, PAGE_BYTES guarantees it: a page stops early,
# with a next_cursor, once its entries would pass 2 MiB of JSON. The Lambda proxy envelope carries the
# body as a JSON string, which at worst doubles it (every `"` or `\` escaped), so a response stays under
# 4 MiB plus headers -- and a single entry cannot pass DynamoDB's 400 KB item limit.
VIEW_ALL_LIMIT = 1000
PAGE_BYTES = 2 * 1024 * 1024


def parse_types(raw: str | None) -> frozenset[ActivityType] | None:
    """None reads the whole log; a filter naming every type is the whole log as well, read in one partition."""
    types = parse_comma_list(raw, ActivityType, "types")
    return None if types == frozenset(ActivityType) else types


def retention_cutoff(created_at: str) -> datetime:
    """Entries are shown three years back by the clock, and never from before the customer was created."""
    return max(clock.now() - activity.RETENTION, clock.parse_iso(created_at))


def list_activity(
    caller: Caller, customer_id: str, types_raw: str | None, limit: int, cursor: str | None, view_all: bool
) -> ActivityPage:
    types = parse_types(types_raw)
    query = {"list": "activity", "customer_id": customer_id, "types": sorted(types) if types is not None else None}
    before = _position(decode_cursor(caller.tenant_id, query, cursor)) if cursor else None
    customer = load_customer(caller, customer_id).customer
    cutoff = retention_cutoff(customer.created_at)
    size = VIEW_ALL_LIMIT if view_all else limit
    # One more than the page, to know whether a next page exists without serving an empty one.
    stored = activity.read_entries(caller.tenant_id, customer_id, types, cutoff, before, size + 1)
    page = _within_budget([served(stored_entry.entry, caller.language) for stored_entry in stored[:size]])
    next_cursor = None
    if len(stored) > len(page):
        next_cursor = encode_cursor(caller.tenant_id, query, {"before": stored[len(page) - 1].sort_key})
    return ActivityPage(
        items=page,
        next_cursor=next_cursor,
        total=activity.count_entries(caller.tenant_id, customer_id, types, cutoff),
        types=type_labels(caller.language),
    )


def _position(position: dict[str, Any]) -> str:
    before = position.get("before")
    if not isinstance(before, str) or not before:
        raise InvalidCursorError()
    return before


def _within_budget(entries: list[ActivityEntry]) -> list[ActivityEntry]:
    """The leading entries whose served JSON fits PAGE_BYTES (always at least one)."""
    used = 0
    for count, entry in enumerate(entries):
        used += len(json.dumps(entry.model_dump(mode="json")))
        if used > PAGE_BYTES and count > 0:
            return entries[:count]
    return entries
