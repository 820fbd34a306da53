"""Bulk import into, and export from, the emulated DynamoDB table: items put straight into moto's table by
moto's own `put_item` (its key, type and size checks), without an HTTP round trip per 25 items, and read
straight out of it.

DynamoDB fills a table in bulk by importing it (ImportTable) rather than through its write API; this is the
emulator's stand-in for that, used by the demo seed (infra.seed) so that `make serve` answers sooner: it
skips the request building and parsing that every BatchWriteItem call costs in process, not the checks
moto makes of each item. The export is the tests' snapshot of a table (tests.support.tables): a Scan's
response costs moto a walk of its response shape per attribute, about a fifth of a fault test's time.
Both raise RuntimeError if moto's internals change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from infra.emulator.moto_patches import emulator_lock
from infra.local_aws import REGION


def _backend() -> Any:
    try:
        from moto.core.models import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends
    except ImportError as exc:
        raise RuntimeError(f"emulator tables: moto internals missing: {exc}") from exc
    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def import_items(table_name: str, items: Iterable[Mapping[str, Any]]) -> int:
    """Put `items` (plain Python values, as the resource API takes them) into the emulated table; returns
    how many. Needs moto started (LocalAws)."""
    serializer = TypeSerializer()
    count = 0
    with emulator_lock():
        backend = _backend()
        for item in items:
            backend.put_item(table_name, {name: serializer.serialize(value) for name, value in item.items()})
            count += 1
    return count


def export_items(table_name: str) -> list[dict[str, Any]]:
    """Every item of the emulated table as a Scan through the resource API gives it (plain Python values),
    in no particular order. Needs moto started (LocalAws)."""
    with emulator_lock():
        items: list[dict[str, Any]] = [item.to_regular_json() for item in _backend().get_table(table_name).all_items()]
    return items
