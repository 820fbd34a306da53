"""`make register-client`: the deploy-time step that makes an app client a machine caller of one tenant.
Cognito is stubbed (botocore's Stubber checks each request against the service model); the table is moto's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from csr.data import machine_clients
from infra import register_client
from infra.apigw import machine_claims
from infra.local_aws import LocalAws
from tests.support.api import Api

POOL = "us-east-1_abcdefghi"


@pytest.fixture
def cognito(aws: LocalAws) -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("cognito-idp")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def _client(client_id: str, flows: list[str], scopes: list[str]) -> dict[str, Any]:
    return {"UserPoolClient": {"ClientId": client_id, "AllowedOAuthFlows": flows, "AllowedOAuthScopes": scopes}}


def test_a_new_client_gets_the_grant_its_scope_and_its_registration(
    cognito: tuple[Any, Stubber], capsys: pytest.CaptureFixture[str]
) -> None:
    client, stubber = cognito
    expected = {
        "UserPoolId": POOL,
        "ClientName": "billing",
        "GenerateSecret": True,
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["client_credentials"],
        "AllowedOAuthScopes": ["csr-api/integration"],
        "SupportedIdentityProviders": ["COGNITO"],
    }
    created = _client("billing1", ["client_credentials"], ["csr-api/integration"])
    created["UserPoolClient"]["ClientSecret"] = "s3cr3t-of-the-client-of-billing"
    stubber.add_response("create_user_pool_client", created, expected)
    argv = ["--user-pool-id", POOL, "--tenant", "utility-a", "--role", "integration", "--name", "billing"]
    assert register_client.main(argv, client) == 0
    assert "s3cr3t" not in capsys.readouterr().out
    found = machine_clients.registration("billing1")
    assert found is not None
    assert (found.tenant_id, found.role) == ("utility-a", "integration")
    # Its token now reaches the integration feed (404: no such account in utility-a), not the portal.
    feed = Api(machine_claims("billing1", ["csr-api/integration"]))
    body = {
        "account_number": "ACC-1",
        "amount": 1,
        "currency": "CAD",
        "status": "pending",
        "scheduled_for": "2026-12-24",
    }
    assert feed.call("PUT", "/integration/payments/PAY-1", body)[0] == 404
    assert feed.call("POST", "/portal/login", {})[0] == 403


@pytest.mark.parametrize(
    ("flows", "scopes"),
    [(["code"], ["openid", "email"]), (["client_credentials"], ["csr-api/portal"]), ([], [])],
    ids=["people's client", "another role's scope", "no OAuth"],
)
def test_an_existing_client_that_cannot_act_as_the_role_is_not_registered(
    cognito: tuple[Any, Stubber], flows: list[str], scopes: list[str]
) -> None:
    client, stubber = cognito
    stubber.add_response(
        "describe_user_pool_client", _client("other1", flows, scopes), {"UserPoolId": POOL, "ClientId": "other1"}
    )
    argv = ["--user-pool-id", POOL, "--tenant", "utility-a", "--role", "integration", "--client-id", "other1"]
    assert register_client.main(argv, client) == 1
    assert machine_clients.registration("other1") is None


def test_an_existing_client_is_moved_to_another_tenant(cognito: tuple[Any, Stubber]) -> None:
    client, stubber = cognito
    machine_clients.register("portal1", "utility-a", "portal")
    stubber.add_response(
        "describe_user_pool_client",
        _client("portal1", ["client_credentials"], ["csr-api/portal"]),
        {"UserPoolId": POOL, "ClientId": "portal1"},
    )
    machine_clients.forget_cached()
    argv = ["--user-pool-id", POOL, "--tenant", "utility-b", "--role", "portal", "--client-id", "portal1"]
    assert register_client.main(argv, client) == 0
    found = machine_clients.registration("portal1")
    assert found is not None
    assert (found.tenant_id, found.role) == ("utility-b", "portal")
