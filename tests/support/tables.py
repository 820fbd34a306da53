"""Reading the emulated table directly, to assert what a request wrote (or did not)."""

from __future__ import annotations

from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from csr.data import keys
from csr.settings import get_settings
from infra.emulator.tables import export_items


def table() -> Any:
    return boto3.resource("dynamodb").Table("DataTable")


def all_items() -> list[dict[str, Any]]:
    items = export_items("DataTable")
    # Machine callers' registrations are the harness's set-up (Api.machine, as the deploy-time step), which no
    # handler ever writes: a test that registers a caller between two snapshots changed nothing of the data.
    registrations = keys.machine_client_pk("")
    return sorted(
        (item for item in items if not item["pk"].startswith(registrations)), key=lambda item: (item["pk"], item["sk"])
    )


def activity_of(tenant_id: str, customer_id: str) -> list[dict[str, Any]]:
    """The customer's activity entries, oldest first."""
    items: list[dict[str, Any]] = table().query(
        KeyConditionExpression=Key("pk").eq(keys.activity_pk(tenant_id, customer_id))
    )["Items"]
    return items


def idempotency_table() -> Any:
    return boto3.resource("dynamodb").Table(get_settings().idempotency_table_name)


def idempotency_records() -> list[dict[str, Any]]:
    return export_items(get_settings().idempotency_table_name)
