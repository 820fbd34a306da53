"""The local stand-in for API Gateway's Cognito authorizer: development JWTs (HS256, signed with a secret of
this process), checked before any handler runs, their claims passed on as the authorizer passes them.

Two kinds, as the user pool issues them: a person's ID token (`token_use` "id": groups and tenant) and a
machine's client-credentials access token (`token_use` "access": client id and scope, no tenant; minting
one registers its client to the tenant, as `make register-client` does in AWS).

Expiry follows the wall clock, not csr.clock: moving the product's clock (to expire a reset link) must
not log the developer out, just as real time, not the product's, expires a Cognito token.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidatorFunctionWrapHandler, model_validator

from csr.auth import MACHINE_ROLES, RESOURCE_SERVER, Role, scope_of
from csr.data import machine_clients
from csr.models.common import ID_PATTERN
from infra.apigw import claims_for, machine_claims

TOKEN_TTL_SECONDS = 3600
ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """No, a malformed, a wrongly signed or an expired bearer token."""


class PersonTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sub: str = Field(min_length=1, max_length=128)
    email: str = Field(max_length=254)
    groups: list[str] = Field(max_length=10)
    tenant_id: str = Field(pattern=ID_PATTERN)


class MachineTokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Cognito's app client ids are letters and digits.
    client_id: str = Field(pattern=r"^[A-Za-z0-9]{1,128}$")
    scope: Literal["csr-api/portal", "csr-api/integration"]
    tenant_id: str = Field(pattern=ID_PATTERN)


class TokenRequest(RootModel[PersonTokenRequest | MachineTokenRequest]):
    """The body of `POST /_local/token`: a machine's when it names a `client_id`, else a person's; its
    errors are those of that one shape (`email`, not `PersonTokenRequest.email`)."""

    @model_validator(mode="wrap")
    @classmethod
    def _by_shape(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        shape = MachineTokenRequest if isinstance(value, dict) and "client_id" in value else PersonTokenRequest
        return handler(shape.model_validate(value))


@dataclass(frozen=True)
class LocalAuthorizer:
    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)

    def issue(
        self,
        *,
        sub: str,
        email: str,
        groups: list[str],
        tenant_id: str,
        ttl_seconds: int = TOKEN_TTL_SECONDS,
    ) -> str:
        """A person's ID token."""
        claims = claims_for(sub, email, groups, tenant_id)
        return self._sign({**claims, "cognito:groups": groups}, ttl_seconds)

    def issue_machine(self, *, client_id: str, scope: str, ttl_seconds: int = TOKEN_TTL_SECONDS) -> str:
        """A machine's client-credentials access token (its client must be registered to be let in)."""
        return self._sign(machine_claims(client_id, [scope]), ttl_seconds)

    def grant(self, request: TokenRequest) -> str:
        """What `POST /_local/token` answers; a machine's client is registered to the tenant first."""
        asked = request.root
        if isinstance(asked, PersonTokenRequest):
            return self.issue(**asked.model_dump())
        return self._registered(asked.client_id, Role(asked.scope.removeprefix(f"{RESOURCE_SERVER}/")), asked.tenant_id)

    def demo(self, name: str, groups: list[str], tenant_id: str) -> str:
        """The banner's token of a demo caller: for a machine role, its app client `demo<name>` registered to
        the tenant; for people's groups, an ID token."""
        machine = [Role(group) for group in groups if group in MACHINE_ROLES]
        if machine:
            return self._registered(f"demo{name}", machine[0], tenant_id)
        return self.issue(
            sub=f"demo-{name}", email=f"demo-{name}@staff.example.com", groups=groups, tenant_id=tenant_id
        )

    def _registered(self, client_id: str, role: Role, tenant_id: str) -> str:
        machine_clients.register(client_id, tenant_id, role.value)
        return self.issue_machine(client_id=client_id, scope=scope_of(role))

    def _sign(self, claims: dict[str, Any], ttl_seconds: int) -> str:
        issued = int(time.time())
        return jwt.encode({**claims, "iat": issued, "exp": issued + ttl_seconds}, self.secret, algorithm=ALGORITHM)

    def claims(self, authorization: str | None) -> dict[str, str]:
        """The claims of an `Authorization: Bearer <jwt>` header, every value a string as the Cognito
        authorizer hands them to the function (`cognito:groups` comma-joined, `scope` space-separated)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidTokenError("missing bearer token")
        try:
            unverified = jwt.decode(token.strip(), options={"verify_signature": False})
            access = unverified.get("token_use") == "access"
            required = (
                ["exp", "iat", "sub", "client_id", "scope"] if access else ["exp", "iat", "sub", "custom:tenant_id"]
            )
            decoded = jwt.decode(token.strip(), self.secret, algorithms=[ALGORITHM], options={"require": required})
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from exc
        if access:
            return machine_claims(str(decoded["client_id"]), str(decoded["scope"]).split(" "))
        groups = decoded.get("cognito:groups", [])
        if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
            raise InvalidTokenError("cognito:groups is not a list of names")
        return claims_for(str(decoded["sub"]), str(decoded.get("email", "")), groups, str(decoded["custom:tenant_id"]))
