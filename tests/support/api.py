"""Calling the handlers as API Gateway would: the route template.yaml gives a request, its proxy event with
the caller's claims, and the function's answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from infra.apigw import claims_for, invoke, machine_claims, rest_event, template_route

_last_function: list[str] = []


def _enter_container_of(function: str) -> None:
    """Each function runs in its own Lambda container: a parameter one function fetched (and Powertools
    cached process-wide) must not hide another function's SSM call from the IAM check."""
    if _last_function != [function]:
        from aws_lambda_powertools.utilities.parameters import clear_caches

        clear: Callable[[], None] = clear_caches  # Powertools leaves clear_caches unannotated
        clear()
        _last_function[:] = [function]


class Api:
    """Calls the handler template.yaml routes a request to, as API Gateway would, with given claims."""

    def __init__(self, claims: dict[str, str] | None) -> None:
        self.claims = claims

    def as_(self, *, groups: list[str], tenant_id: str = "utility-a", sub: str = "csr-1") -> Api:
        return Api(claims_for(sub, f"{sub}@staff.example.com", groups, tenant_id))

    def machine(self, role: str, *, tenant_id: str = "utility-a", client_id: str | None = None) -> Api:
        """A machine caller (the portal's back end, a feed): an app client registered to `tenant_id` as
        `role`, as the deploy-time step does, calling with its client-credentials access token (scope
        `csr-api/<role>`)."""
        from csr.auth import Role, scope_of
        from csr.data import machine_clients

        client = client_id or f"{role}-{tenant_id}"
        machine_clients.register(client, tenant_id, role)
        return Api(machine_claims(client, [scope_of(Role(role))]))

    def as_roles(self, roles: list[str] | tuple[str, ...], *, tenant_id: str = "utility-a") -> Api:
        """A caller holding `roles` with the token those roles sign in with: a machine role (portal,
        integration) its app client's access token, people's roles an ID token with those groups."""
        from csr.auth import MACHINE_ROLES

        machine = [role for role in roles if role in MACHINE_ROLES]
        if machine:
            assert list(roles) == machine[:1], f"a machine holds one role, not {roles}"
            return self.machine(machine[0], tenant_id=tenant_id)
        return self.as_(groups=list(roles), tenant_id=tenant_id)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: str | bytes | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        route = template_route(method, path)
        text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
        event = rest_event(route, path, query=query, headers=headers, body=text, claims=self.claims)
        _enter_container_of(route.function.logical_id)
        response = invoke(route.function, event)
        payload = json.loads(response["body"]) if response.get("body") else None
        return response["statusCode"], payload, response.get("headers") or {}


def new_customer_body(n: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person_id": f"P-{n:05d}",
        "first_name": "Hélène",
        "last_name": "Tremblay",
        "email": f"helene.tremblay{n}@example.org",
        "phone": "+1 514 555 0100",
        "accounts": [
            {
                "account_number": f"ACC-{n:06d}",
                "service_address": "2172 Main Street Apt 3",
                "billing_address": "2172 Main Street Apt 3",
                "district": "north",
            }
        ],
    }
    body.update(overrides)
    return body
