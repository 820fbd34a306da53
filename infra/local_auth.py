"""The local stand-in for API Gateway's Cognito authorizer: development JWTs (HS256, signed with a secret of
this process), checked before any handler runs, their claims passed on as the authorizer passes them.

Expiry follows the wall clock, not csr.clock: moving the product's clock (to expire a reset link) must
not log the developer out, just as real time, not the product's, expires a Cognito token.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import jwt

from infra.apigw import claims_for

TOKEN_TTL_SECONDS = 3600
ALGORITHM = "HS256"


class InvalidTokenError(Exception):
    """No, a malformed, a wrongly signed or an expired bearer token."""


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
        issued = int(time.time())
        claims = claims_for(sub, email, groups, tenant_id)
        return jwt.encode(
            {**claims, "cognito:groups": groups, "iat": issued, "exp": issued + ttl_seconds},
            self.secret,
            algorithm=ALGORITHM,
        )

    def claims(self, authorization: str | None) -> dict[str, str]:
        """The claims of an `Authorization: Bearer <jwt>` header, every value a string as the Cognito
        authorizer hands them to the function (`cognito:groups` comma-joined)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidTokenError("missing bearer token")
        try:
            decoded = jwt.decode(
                token.strip(),
                self.secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub", "custom:tenant_id"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from exc
        groups = decoded.get("cognito:groups", [])
        if not isinstance(groups, list) or not all(isinstance(group, str) for group in groups):
            raise InvalidTokenError("cognito:groups is not a list of names")
        return claims_for(str(decoded["sub"]), str(decoded.get("email", "")), groups, str(decoded["custom:tenant_id"]))
