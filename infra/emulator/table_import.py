"""Bulk import into the emulated DynamoDB table: items put straight into moto's table by moto's own
`put_item` (its key, type and size checks), without an HTTP round trip per 25 items.

DynamoDB fills a table in bulk by importing it (ImportTable) rather than through its write API; this is the
emulator's stand-in for that, used by the demo seed (infra.seed) so that `make serve` answers sooner: it
skips the request building and parsing that every BatchWriteItem call costs in process, not the checks
moto makes of each item. Raises RuntimeError if moto's internals change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

from infra.emulator.moto_patches import emulator_lock


def import_items(table_name: str, items: Iterable[Mapping[str, Any]]) -> int:
    """Put `items` (plain Python values, as the resource API takes them) into the emulated table; returns
    how many. Needs moto started (LocalAws)."""
    try:
        from moto.dynamodb.models import dynamodb_backends
    except ImportError as exc:
        raise RuntimeError(f"table_import: moto internals missing: {exc}") from exc
    account = boto3.client("sts").get_caller_identity()["Account"]
    region = boto3.session.Session().region_name
    serializer = TypeSerializer()
    count = 0
    with emulator_lock():
        backend = dynamodb_backends[account][region]
        for item in items:
            backend.put_item(table_name, {name: serializer.serialize(value) for name, value in item.items()})
            count += 1
    return count
