"""The local stand-in for the Cognito authorizer: development JWTs in, the authorizer's claims out."""

from __future__ import annotations

import time

import jwt
import pytest

from csr.auth import caller_from_event
from infra.local_auth import InvalidTokenError, LocalAuthorizer

AUTHORIZER = LocalAuthorizer("unit-test-secret-of-at-least-32-bytes")


def _issue(**overrides: object) -> str:
    fields: dict[str, object] = {
        "sub": "csr-1",
        "email": "csr-1@staff.example.com",
        "groups": ["csr", "csr_supervisor"],
        "tenant_id": "utility-a",
        **overrides,
    }
    return AUTHORIZER.issue(**fields)  # type: ignore[arg-type]


def test_issued_token_gives_the_claims_api_gateway_passes() -> None:
    claims = AUTHORIZER.claims(f"Bearer {_issue()}")
    assert claims == {
        "sub": "csr-1",
        "email": "csr-1@staff.example.com",
        "cognito:groups": "csr,csr_supervisor",
        "custom:tenant_id": "utility-a",
        "token_use": "id",
    }
    assert all(isinstance(value, str) for value in claims.values())


def test_claims_make_the_caller_the_handlers_see() -> None:
    caller = caller_from_event({"requestContext": {"authorizer": {"claims": AUTHORIZER.claims(f"Bearer {_issue()}")}}})
    assert caller.tenant_id == "utility-a"
    assert caller.roles == frozenset({"csr", "csr_supervisor"})


def test_token_is_valid_one_hour_and_carries_cognito_claims() -> None:
    decoded = jwt.decode(_issue(), AUTHORIZER.secret, algorithms=["HS256"])
    assert decoded["exp"] - decoded["iat"] == 3600
    assert decoded["cognito:groups"] == ["csr", "csr_supervisor"]
    assert decoded["custom:tenant_id"] == "utility-a"
    assert decoded["token_use"] == "id"


def test_scheme_is_case_insensitive() -> None:
    assert AUTHORIZER.claims(f"bearer {_issue()}")["sub"] == "csr-1"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic abc", "Bearer a.b.c", "Bearer nonsense"])
def test_missing_or_malformed_token_is_refused(header: str | None) -> None:
    with pytest.raises(InvalidTokenError):
        AUTHORIZER.claims(header)


def test_token_of_another_secret_is_refused() -> None:
    other = LocalAuthorizer("another-secret-of-at-least-32-bytes!!").issue(
        sub="x", email="x@example.com", groups=["csr"], tenant_id="utility-a"
    )
    with pytest.raises(InvalidTokenError):
        AUTHORIZER.claims(f"Bearer {other}")


def test_expired_token_is_refused() -> None:
    with pytest.raises(InvalidTokenError):
        AUTHORIZER.claims(f"Bearer {_issue(ttl_seconds=-1)}")


def test_unsigned_token_is_refused() -> None:
    now = int(time.time())
    unsigned = jwt.encode(
        # "none" signs with no key: PyJWT takes "" (its typed spelling) as None
        {"sub": "x", "custom:tenant_id": "utility-a", "iat": now, "exp": now + 60},
        key="",
        algorithm="none",
    )
    with pytest.raises(InvalidTokenError):
        AUTHORIZER.claims(f"Bearer {unsigned}")


@pytest.mark.parametrize("missing", ["sub", "custom:tenant_id", "exp", "iat"])
def test_token_without_a_required_claim_is_refused(missing: str) -> None:
    now = int(time.time())
    claims = {"sub": "x", "custom:tenant_id": "utility-a", "iat": now, "exp": now + 60}
    del claims[missing]
    with pytest.raises(InvalidTokenError):
        AUTHORIZER.claims(f"Bearer {jwt.encode(claims, AUTHORIZER.secret, algorithm='HS256')}")


def test_groups_must_be_a_list_of_names() -> None:
    now = int(time.time())
    claims = {"sub": "x", "custom:tenant_id": "utility-a", "iat": now, "exp": now + 60, "cognito:groups": "csr"}
    with pytest.raises(InvalidTokenError):
        AUTHORIZER.claims(f"Bearer {jwt.encode(claims, AUTHORIZER.secret, algorithm='HS256')}")


def test_each_authorizer_has_its_own_random_secret() -> None:
    assert LocalAuthorizer().secret != LocalAuthorizer().secret


def test_a_machine_token_gives_the_access_token_claims_api_gateway_passes() -> None:
    token = AUTHORIZER.issue_machine(client_id="portalapp1", scope="csr-api/portal")
    assert AUTHORIZER.claims(f"Bearer {token}") == {
        "sub": "portalapp1",
        "client_id": "portalapp1",
        "scope": "csr-api/portal",
        "token_use": "access",
    }


def test_an_access_token_without_client_id_or_scope_is_refused() -> None:
    now = int(time.time())
    for missing in ("client_id", "scope"):
        claims = {"sub": "x", "client_id": "x", "scope": "csr-api/portal", "token_use": "access", "iat": now}
        claims.pop(missing)
        token = jwt.encode({**claims, "exp": now + 60}, AUTHORIZER.secret, algorithm="HS256")
        with pytest.raises(InvalidTokenError):
            AUTHORIZER.claims(f"Bearer {token}")
