"""template.yaml, the handlers' resolvers and the served OpenAPI document describe the same routes, and
every route refuses other roles with 403 and other tenants with 404."""

from __future__ import annotations

import importlib
import re

import pytest

from csr.auth import Role
from infra import template
from infra.local_aws import LocalAws
from tests.support.api import Api

# The local-only routes are absent from template.yaml by design.
ROUTES = sorted({(r.method, r.path) for r in template.api_routes()})
FUNCTIONS = sorted({r.function.logical_id: r.function for r in template.api_routes()}.values(), key=lambda f: f.module)


def handler_routes(aws: LocalAws) -> set[tuple[str, str]]:
    found = set()
    for function in FUNCTIONS:
        app = importlib.import_module(function.module).app
        for route in app._static_routes + app._dynamic_routes:
            found.add((route.method.upper(), re.sub(r"<(\w+)>", r"{\1}", route.openapi_path)))
    return found


def test_every_template_route_has_a_handler_route_and_back(aws: LocalAws) -> None:
    routes = handler_routes(aws)
    assert set(ROUTES) - routes == set(), "routes in template.yaml that no handler serves"
    assert routes - set(ROUTES) == set(), "handler routes missing from template.yaml"


def test_openapi_document_agrees_with_template(aws: LocalAws) -> None:
    from infra.openapi import merged_openapi

    document = merged_openapi()
    documented = {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}
    assert documented == set(ROUTES)


def _allowed_roles(method: str, path: str) -> frozenset[str]:
    route = next(r for r in template.api_routes() if (r.method, r.path) == (method, path))
    return frozenset(importlib.import_module(route.function.module).app.roles)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_role_that_may_not_call_a_route_gets_403(api: Api, method: str, path: str) -> None:
    allowed = _allowed_roles(method, path)
    outsider = sorted(set(Role) - allowed)[0]
    concrete = re.sub(r"\{\w+\}", "abcdefghijklmnopqrstuv", path)
    status, error, _ = api.as_roles([outsider]).call(method, concrete, {})
    assert (status, error["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_claims_is_401(api: Api, method: str, path: str) -> None:
    concrete = re.sub(r"\{\w+\}", "abcdefghijklmnopqrstuv", path)
    status, error, _ = api.call(method, concrete, {})
    assert (status, error["error"]["code"]) == (401, "unauthorized")


def test_openapi_errors_use_the_error_body_of_the_contract(aws: LocalAws) -> None:
    from infra.openapi import merged_openapi

    document = merged_openapi()
    schemas = document["components"]["schemas"]
    assert not {"HTTPValidationError", "ValidationError", "ResponseValidationError"} & set(schemas)
    assert schemas["ErrorBody"]["required"] == ["error"]
    assert schemas["ErrorBody"]["properties"]["error"]["required"] == ["code", "message", "details"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400:
                    continue
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (method, path, status)
                assert response["x-error-codes"], (method, path, status)
                assert all(f"`{code}`" in response["description"] for code in response["x-error-codes"])


def test_every_operation_has_a_unique_name_a_summary_and_its_function_as_tag(aws: LocalAws) -> None:
    from infra.openapi import merged_openapi

    document = merged_openapi()
    tags = {(r.method, r.path): r.function.code_dir.name for r in template.api_routes()}
    names = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names.append(operation["operationId"])
            assert re.fullmatch(r"[a-z]+(_[a-z]+)+", operation["operationId"]), operation["operationId"]
            assert operation["tags"] == [tags[(method.upper(), path)]], (method, path)
            summary = operation["summary"]
            assert re.fullmatch(r"[A-Z][^.]*[a-z)]\.", summary), (method, path, summary)
    assert len(names) == len(set(names)), "operationIds used twice"
    by_route = {(m.upper(), p): op["operationId"] for p, ops in document["paths"].items() for m, op in ops.items()}
    assert by_route[("GET", "/customers")] == "search_customers"
    assert by_route[("POST", "/customers/{customer_id}/lock")] == "lock_customer"
