"""infra.openapi merges the functions' documents and refuses one operationId given to two operations."""

from __future__ import annotations

from typing import Any

import pytest

from infra import openapi


def document(path: str, operation_id: str) -> dict[str, Any]:
    return {"openapi": "3.1.0", "paths": {path: {"get": {"operationId": operation_id, "responses": {}}}}}


def test_two_functions_naming_an_operation_alike_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = {"SearchFunction": document("/customers", "list_things"), "Groups": document("/groups", "list_things")}
    monkeypatch.setattr(openapi, "function_documents", lambda: documents)
    with pytest.raises(ValueError, match=r"operationIds used by two operations: \['list_things'\]"):
        openapi.merged_openapi()


def test_distinct_names_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    documents = {"SearchFunction": document("/customers", "search_customers"), "Groups": document("/groups", "list")}
    monkeypatch.setattr(openapi, "function_documents", lambda: documents)
    assert sorted(openapi.merged_openapi()["paths"]) == ["/customers", "/groups"]
