"""The OpenAPI document the local server serves, made from the handlers' own models."""

from __future__ import annotations

from functools import cache
from typing import Any

from infra.local_aws import LocalAws


@cache
def openapi_document() -> dict[str, Any]:
    with_aws = LocalAws().start()  # handlers import settings from the environment it sets
    try:
        from infra.openapi import merged_openapi

        return merged_openapi()
    finally:
        with_aws.stop()


def keyed_routes() -> list[tuple[str, str]]:
    """The routes whose operation takes an `Idempotency-Key` header."""
    return sorted(
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method, operation in operations.items()
        if any(p["in"] == "header" and p["name"].lower() == "idempotency-key" for p in operation.get("parameters", []))
    )
