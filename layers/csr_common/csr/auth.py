"""The caller, as API Gateway's Cognito authorizer describes it in the request context."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import ConfigDict

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


def caller_from_event(event: Mapping[str, Any]) -> Caller:
    claims = ((event.get("requestContext") or {}).get("authorizer") or {}).get("claims") or {}
    tenant_id = str(claims.get("custom:tenant_id", ""))
    sub = str(claims.get("sub", ""))
    if not sub or not _TENANT_ID.match(tenant_id):
        raise UnauthorizedError()
    return Caller(
        sub=sub,
        email=str(claims.get("email", "")),
        tenant_id=tenant_id,
        roles=parse_groups(str(claims.get("cognito:groups", ""))),
        language=request_language(event),
    )


def require_role(caller: Caller, allowed: frozenset[Role]) -> None:
    if not caller.has_any(allowed):
        raise ForbiddenError()
