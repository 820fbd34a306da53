"""docs/api.md, the repository's own contract reference, says what the code does."""

from __future__ import annotations

from infra.api_reference import PAGE, page
from tests.support.openapi import openapi_document


def test_the_contract_reference_is_written_from_the_code_as_it_is() -> None:
    assert PAGE.read_text() == page(openapi_document()), "docs/api.md is stale: run `make api-reference`"


def test_the_reference_names_every_operation_once() -> None:
    text = PAGE.read_text()
    for path, operations in openapi_document()["paths"].items():
        for method in operations:
            assert text.count(f"### `{method.upper()} {path}`") == 1, (method, path)
