"""Hostile bodies are refused by the shared resolver with 400 `malformed_request` before any model, parser
or store sees them, on every route that takes a body and on the POSTs that take none."""

from __future__ import annotations

import base64
import importlib
import re

import pytest

from infra import template
from infra.apigw import invoke, rest_event
from tests.support.api import Api, new_customer_body
from tests.support.tables import all_items


def _nested(depth: int) -> str:
    return '{"first_name": ' + "[" * depth + "]" * depth + "}"


HOSTILE: dict[str, str | bytes] = {
    "400 deep": _nested(400),
    "900 deep objects": '{"a": ' * 900 + "1" + "}" * 900,
    "20,000 deep": "[" * 20_000 + "]" * 20_000,
    "4,301-digit integer": '{"amount": ' + "7" * 4301 + "}",
    "31-digit number": '{"amount": 1234567890123456789012345678901}',
    "31-digit fraction": '{"amount": 0.1234567890123456789012345678901}',
    "invalid UTF-8": b'{"first_name": "H\xe9l\xe8ne"}',
    "invalid UTF-8 only": b"\xff\xfe\xfd",
}

# Every route that takes a body, and every POST (those that take none must refuse it the same way).
ROUTES = sorted({(r.method, r.path) for r in template.api_routes() if r.method in ("POST", "PUT", "PATCH")})


def _caller(api: Api, method: str, path: str) -> Api:
    route = next(r for r in template.api_routes() if (r.method, r.path) == (method, path))
    roles = sorted(importlib.import_module(route.function.module).app.roles)
    return api.as_roles([roles[0]])


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_hostile_bodies_are_400_malformed_request(api: Api, method: str, path: str) -> None:
    concrete = re.sub(r"\{\w+\}", "abcdefghijklmnopqrstuv", path)
    caller = _caller(api, method, path)
    for shape, body in HOSTILE.items():
        # When the hostile body is sent by a caller the route admits (the guard runs before any lookup)
        status, error, headers = caller.call(method, concrete, raw_body=body)
        # Then it is refused up front
        assert (status, error["error"]["code"]) == (400, "malformed_request"), (shape, error)
        assert headers["X-Request-Id"], shape
    # and nothing was written
    assert all_items() == []


def test_a_body_at_the_limits_reaches_the_model(csr: Api) -> None:
    # 32 levels and 30 digits are allowed: the model, not the guard, answers (here: wrong types, 422).
    body = '{"first_name": ' + "[" * 31 + "]" * 31 + ', "phone": 123456789012345678901234567890}'
    status, customer, _ = csr.call("POST", "/customers", new_customer_body())
    assert status == 201
    status, error, _ = csr.call("PATCH", f"/customers/{customer['customer_id']}", raw_body=body)
    assert (status, error["error"]["code"]) == (422, "validation_error")


def test_brackets_and_digits_inside_strings_are_text(csr: Api) -> None:
    name = "[" * 40 + "9" * 40
    status, customer, _ = csr.call("POST", "/customers", new_customer_body(first_name=name))
    assert status == 201, customer
    assert customer["first_name"] == name


def test_every_body_reaches_the_function_as_its_bytes(csr: Api) -> None:
    # The API declares every media type binary (SAM writes `~1` for `/`), so API Gateway hands every body
    # over base64-encoded, as it was sent: a body that is not UTF-8 arrives unconverted, to be refused.
    assert template.resources("AWS::Serverless::Api")["Api"]["Properties"]["BinaryMediaTypes"] == ["*~1*"]
    status, customer, _ = csr.call("POST", "/customers", new_customer_body())
    assert status == 201
    path = f"/customers/{customer['customer_id']}"
    route = next(r for r in template.api_routes() if (r.method, r.path) == ("PATCH", "/customers/{customer_id}"))
    event = rest_event(route, path, body='{"first_name": "Hélène-Zoë"}', claims=csr.claims)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == '{"first_name": "Hélène-Zoë"}'.encode()
    response = invoke(route.function, event)
    assert response["statusCode"] == 200, response
    assert csr.call("GET", path)[1]["first_name"] == "Hélène-Zoë"
