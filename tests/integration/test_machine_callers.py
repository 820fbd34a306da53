"""Machine callers (API.md, Service callers): app clients registered to one tenant and one role, calling with
client-credentials access tokens; people keep their ID tokens. Each kind is refused where the other belongs."""

from __future__ import annotations

import importlib
import json
import re
from typing import Any

import pytest

from csr.auth import MACHINE_ROLES, PEOPLE_ROLES, RESOURCE_SERVER, Role, scope_of
from csr.data import machine_clients
from infra import template
from infra.apigw import machine_claims
from tests.support.api import Api, new_customer_body
from tests.support.faults import Fault, aws_error, injected, watching
from tests.support.tables import all_items

PAYMENT = {"account_number": "ACC-000001", "amount": 42, "currency": "CAD", "status": "pending"}


def _roles(route: template.ApiRoute) -> frozenset[Role]:
    return frozenset(importlib.import_module(route.function.module).app.roles)


ROUTES = template.api_routes()
# As the gateway tells them apart (the first test holds this to the handlers' roles).
MACHINE_ROUTES = [route for route in ROUTES if route.scopes]
PEOPLE_ROUTES = [route for route in ROUTES if not route.scopes]


def _concrete(route: template.ApiRoute) -> str:
    return re.sub(r"\{\w+\}", "abcdefghijklmnopqrstuv", route.path)


def _customer(csr: Api, tenant_id: str) -> str:
    status, created, _ = csr.as_(groups=["csr"], tenant_id=tenant_id).call("POST", "/customers", new_customer_body(1))
    assert status == 201, created
    customer_id: str = created["customer_id"]
    return customer_id


def _payments(csr: Api, tenant_id: str, customer_id: str) -> list[str]:
    status, rows, _ = csr.as_(groups=["csr"], tenant_id=tenant_id).call("GET", f"/customers/{customer_id}/payments")
    assert status == 200
    return [row["payment_id"] for row in rows["items"]]


def test_gateway_checks_the_scope_on_machine_routes_only(api: Api) -> None:
    for route in ROUTES:
        assert _roles(route) <= MACHINE_ROLES or _roles(route) <= PEOPLE_ROLES, "people or machines, not both"
        assert set(route.scopes) == {scope_of(role) for role in _roles(route) & MACHINE_ROLES}, route.path
    (server,) = template.resources("AWS::Cognito::UserPoolResourceServer").values()
    assert server["Properties"]["Identifier"] == RESOURCE_SERVER
    assert {scope["ScopeName"] for scope in server["Properties"]["Scopes"]} == {role.value for role in MACHINE_ROLES}
    groups = {res["Properties"]["GroupName"] for res in template.resources("AWS::Cognito::UserPoolGroup").values()}
    assert groups == {role.value for role in PEOPLE_ROLES}, "machines are app clients, not users in groups"


def test_a_feed_writes_to_its_own_tenant_only(api: Api, csr: Api) -> None:
    mine, theirs = _customer(csr, "utility-a"), _customer(csr, "utility-b")  # both hold account ACC-000001
    feed = api.machine("integration", tenant_id="utility-a", client_id="billingA")
    body = {**PAYMENT, "scheduled_for": "2026-12-24"}
    status, _, _ = feed.call("PUT", "/integration/payments/PAY-7", body)
    assert status == 200
    assert _payments(csr, "utility-a", mine) == ["PAY-7"]
    assert _payments(csr, "utility-b", theirs) == []


def test_a_portal_back_end_sees_its_own_tenant_only(api: Api, csr: Api) -> None:
    customer_id = _customer(csr, "utility-b")
    status, session, _ = csr.as_(groups=["csr"], tenant_id="utility-b").call(
        "POST", f"/customers/{customer_id}/impersonation"
    )
    assert status == 201
    path = f"/portal/impersonation/{session['session_token']}"
    assert api.machine("portal", tenant_id="utility-b", client_id="portalB").call("GET", path)[0] == 200
    assert api.machine("portal", tenant_id="utility-a", client_id="portalA").call("GET", path)[0] == 404


@pytest.mark.parametrize("role", sorted(MACHINE_ROLES))
@pytest.mark.parametrize("route", PEOPLE_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_a_machine_token_on_a_people_route_is_403(api: Api, route: template.ApiRoute, role: str) -> None:
    machine = api.machine(role)
    before = all_items()
    status, error, _ = machine.call(route.method, _concrete(route), {})
    assert (status, error["error"]["code"]) == (403, "forbidden")
    assert all_items() == before


@pytest.mark.parametrize("groups", [["portal"], ["integration"], sorted(PEOPLE_ROLES)])
@pytest.mark.parametrize("route", MACHINE_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_an_id_token_on_a_machine_route_is_403(api: Api, route: template.ApiRoute, groups: list[str]) -> None:
    """Not even a person in a group named like a machine role: an ID token never grants one."""
    status, error, _ = api.as_(groups=groups).call(route.method, _concrete(route), {})
    assert (status, error["error"]["code"]) == (403, "forbidden")


def test_an_unregistered_client_is_403(api: Api) -> None:
    stranger = Api(machine_claims("unregistered1", [scope_of(Role.INTEGRATION)]))
    before = all_items()
    status, error, _ = stranger.call("PUT", "/integration/payments/PAY-1", {**PAYMENT, "scheduled_for": "2026-12-24"})
    assert (status, error["error"]["code"]) == (403, "forbidden")
    assert all_items() == before


def test_a_token_without_its_registered_roles_scope_is_403(api: Api) -> None:
    """A client registered as the portal, holding the integration scope, is neither."""
    machine_clients.register("portalapp", "utility-a", Role.PORTAL.value)
    wrong_scope = Api(machine_claims("portalapp", [scope_of(Role.INTEGRATION)]))
    for method, path in (("POST", "/portal/login"), ("PUT", "/integration/payments/PAY-1")):
        status, error, _ = wrong_scope.call(method, path, {})
        assert (status, error["error"]["code"]) == (403, "forbidden"), path


def _registration_reads(fault: Fault) -> int:
    return sum(
        1
        for operation, params in fault.calls
        if operation == "GetItem" and "MACHINE_CLIENT#" in json.dumps(json.loads(params["body"]).get("Key"))
    )


def test_a_warm_container_reads_the_registration_once(api: Api) -> None:
    portal = api.machine("portal")
    with injected(watching("dynamodb", "GetItem")) as reads:
        for _ in range(3):
            assert portal.call("GET", "/portal/impersonation/abcdefghijklmnopqrstuv")[0] == 404
    assert _registration_reads(reads) == 1


def test_a_moved_registration_takes_effect_once_the_cache_expires(
    api: Api, csr: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer_id = _customer(csr, "utility-b")
    session: dict[str, Any] = csr.as_(groups=["csr"], tenant_id="utility-b").call(
        "POST", f"/customers/{customer_id}/impersonation"
    )[1]
    path = f"/portal/impersonation/{session['session_token']}"
    portal = api.machine("portal", tenant_id="utility-a", client_id="portalX")
    assert portal.call("GET", path)[0] == 404
    machine_clients.register("portalX", "utility-b", Role.PORTAL.value)
    assert portal.call("GET", path)[0] == 404  # still utility-a's, from the warm cache
    monkeypatch.setattr(machine_clients, "CACHE_SECONDS", 0.0)
    assert portal.call("GET", path)[0] == 200


def test_an_unreadable_registration_is_503_and_the_retry_passes(api: Api) -> None:
    portal = api.machine("portal")
    fault = Fault("dynamodb", "GetItem", lambda op: aws_error("ProvisionedThroughputExceededException", op), times=1)
    with injected(fault):
        status, error, _ = portal.call("GET", "/portal/impersonation/abcdefghijklmnopqrstuv")
        assert (status, error["error"]["code"]) == (503, "dependency_unavailable")
        assert portal.call("GET", "/portal/impersonation/abcdefghijklmnopqrstuv")[0] == 404
