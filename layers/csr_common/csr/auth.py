"""The caller, as API Gateway's Cognito authorizer describes it in the request context.

People present the user pool's ID token: its `custom:tenant_id` and `cognito:groups` say who they are.
Machines (the portal's back end, billing's and CRMs' feeds) present a client-credentials access token
(`token_use` "access"), which names its app client and scopes but no tenant: the client's registration
(csr.data.machine_clients) gives its one tenant and one role, and the token must carry that role's scope.
A person's groups never grant a machine's role, nor a machine's registration a person's, so a token of
the wrong kind has no role the route allows (403)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict

from csr.data import machine_clients
from csr.errors import ForbiddenError, UnauthorizedError
from csr.i18n import DEFAULT_LANGUAGE, Language, request_language
from csr.models.base import Model

_TENANT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Role(StrEnum):
    CSR = "csr"
    CSR_SUPERVISOR = "csr_supervisor"
    PORTAL = "portal"
    BUSINESS_ACCOUNT_MANAGER = "business_account_manager"
    INTEGRATION = "integration"


CSR_ROLES = frozenset({Role.CSR, Role.CSR_SUPERVISOR})
# The roles of people (ID tokens, by group) and of machines (access tokens, by registration).
PEOPLE_ROLES = frozenset({Role.CSR, Role.CSR_SUPERVISOR, Role.BUSINESS_ACCOUNT_MANAGER})
MACHINE_ROLES = frozenset({Role.PORTAL, Role.INTEGRATION})
# The user pool's resource server: a machine role's scope is `csr-api/<role>`.
RESOURCE_SERVER = "csr-api"


def scope_of(role: Role) -> str:
    return f"{RESOURCE_SERVER}/{role.value}"


class Caller(Model):
    model_config = ConfigDict(frozen=True)

    sub: str
    email: str
    tenant_id: str
    roles: frozenset[str]
    # The language the request's Accept-Language asks for: of error messages and instructions.
    language: Language = DEFAULT_LANGUAGE

    def has_any(self, roles: frozenset[Role]) -> bool:
        return not self.roles.isdisjoint(roles)


def parse_groups(raw: str) -> frozenset[str]:
    """`cognito:groups` as API Gateway's Cognito authorizer renders the token's list: "csr,csr_supervisor",
    or "[csr csr_supervisor]". A group name may hold punctuation (a comma, a bracket) but never a space,
    so the bracketed form is split on spaces only and the plain form on commas only, never both: in
    "[x,csr]" the one group is "x,csr", which is not "csr". Names are compared exactly (no trimming)."""
    bracketed = len(raw) >= 2 and raw.startswith("[") and raw.endswith("]")
    parts = raw[1:-1].split(" ") if bracketed else raw.split(",")
    return frozenset(part for part in parts if part)


def _claims(event: Mapping[str, Any]) -> Mapping[str, Any]:
    claims: Mapping[str, Any] = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    return claims


def authorize(event: Mapping[str, Any], allowed: frozenset[Role]) -> None:
    """Refuse the caller unless it holds one of `allowed`. A machine's token where no machine may call is
    refused before its registration is read: people's functions never read registrations."""
    if _claims(event).get("token_use") == "access" and allowed.isdisjoint(MACHINE_ROLES):
        raise ForbiddenError()
    require_role(caller_from_event(event), allowed)


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    """The caller of an ID token (a person) or of an access token (a machine); 401 when the claims name
    nobody, 403 for an access token of a client registered to no tenant or lacking its role's scope."""
    claims = _claims(event)
    if claims.get("token_use") == "access":
        return _machine(claims, request_language(event))
    tenant_id = str(claims.get("custom:tenant_id", ""))
    sub = str(claims.get("sub", ""))
    if not sub or not _TENANT_ID.match(tenant_id):
        raise UnauthorizedError()
    return Caller(
        sub=sub,
        email=str(claims.get("email", "")),
        tenant_id=tenant_id,
        roles=parse_groups(str(claims.get("cognito:groups", ""))) & PEOPLE_ROLES,
        language=request_language(event),
    )


def _machine(claims: Mapping[str, Any], language: Language) -> Caller:
    client_id = str(claims.get("client_id", ""))
    if not client_id:
        raise UnauthorizedError()
    found = machine_clients.registration(client_id)
    if found is None or found.role not in MACHINE_ROLES or not _TENANT_ID.match(found.tenant_id):
        raise ForbiddenError()
    role = Role(found.role)
    # The authorizer passes `scope` space-separated, as the token holds it.
    if scope_of(role) not in str(claims.get("scope", "")).split(" "):
        raise ForbiddenError()
    return Caller(sub=client_id, email="", tenant_id=found.tenant_id, roles=frozenset({role}), language=language)


def require_role(caller: Caller, allowed: frozenset[Role]) -> None:
    if not caller.has_any(allowed):
        raise ForbiddenError()
