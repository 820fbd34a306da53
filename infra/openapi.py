"""The OpenAPI document of the whole API: each function's resolver describes its own routes from its models;
this merges them, for every function template.yaml deploys with an `app`."""

from __future__ import annotations

import importlib
from typing import Any

from infra import template
from infra.local_aws import add_import_paths

BEARER_SCHEME = "bearerAuth"


def function_documents() -> dict[str, dict[str, Any]]:
    """Each API function's own document, by logical id (functions without a resolver are left out)."""
    add_import_paths()
    documents = {}
    for function in template.functions():
        app = getattr(importlib.import_module(function.module), "app", None)
        if app is not None:
            documents[function.logical_id] = app.openapi_document()
    return documents


def _merge_into(target: dict[str, Any], source: dict[str, Any], where: str, *, same_allowed: bool) -> None:
    for name, value in source.items():
        if name in target and not (same_allowed and target[name] == value):
            raise ValueError(f"OpenAPI merge conflict: {where} {name!r} is defined twice, differently")
        target[name] = value


def merged_openapi() -> dict[str, Any]:
    documents = function_documents()
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for logical_id, document in sorted(documents.items()):
        for path, operations in document.get("paths", {}).items():
            _merge_into(
                paths.setdefault(path, {}), operations, f"{logical_id}: operation of {path}", same_allowed=False
            )
        _merge_into(schemas, document.get("components", {}).get("schemas", {}), "schema", same_allowed=True)
    operation_ids = [operation["operationId"] for operations in paths.values() for operation in operations.values()]
    twice = sorted({name for name in operation_ids if operation_ids.count(name) > 1})
    if twice:
        raise ValueError(f"OpenAPI merge conflict: operationIds used by two operations: {twice}")
    first = next(iter(documents.values()), {"openapi": "3.1.0"})
    return {
        "openapi": first["openapi"],
        "info": {"title": "CSR Console API", "version": "1.0.0", "description": template.template()["Description"]},
        "servers": [{"url": "/"}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {BEARER_SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{BEARER_SCHEME: []}],
    }
