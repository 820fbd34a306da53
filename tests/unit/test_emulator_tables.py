"""The emulator's bulk import and export (infra.emulator.tables) write and read what DynamoDB's own write and
read calls do: the seed imports with it, and the tests take their table snapshots with it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import Binary

from infra.emulator.tables import export_items, import_items
from infra.local_aws import LocalAws

ITEMS: list[dict[str, Any]] = [
    {
        "pk": "A",
        "sk": "1",
        "number": Decimal("1.5"),
        "strings": {"x", "y"},
        "numbers": {Decimal(2), Decimal(3)},
        "binary": Binary(b"\x00\x01"),
        "map": {"list": [Decimal(1), "two", None, True], "nested": {"deep": "value"}},
    },
    {"pk": "A", "sk": "2", "flag": False},
    {"pk": "B", "sk": "1"},
]


def _by_key(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (item["pk"], item["sk"]))


def test_an_export_is_what_a_scan_returns(aws: LocalAws) -> None:
    table = boto3.resource("dynamodb").Table("DataTable")
    for item in ITEMS:
        table.put_item(Item=item)

    exported = export_items("DataTable")

    assert _by_key(exported) == _by_key(table.scan()["Items"]) == _by_key(ITEMS)


def test_an_import_is_what_puts_write(aws: LocalAws) -> None:
    assert import_items("DataTable", ITEMS) == len(ITEMS)

    table = boto3.resource("dynamodb").Table("DataTable")
    assert _by_key(table.scan()["Items"]) == _by_key(ITEMS)
    assert table.get_item(Key={"pk": "A", "sk": "1"})["Item"] == ITEMS[0]
