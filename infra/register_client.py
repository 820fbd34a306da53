"""Register a machine caller (the portal's back end, a billing or CRM feed): `make register-client`.

    TABLE_NAME=<DataTable> AWS_REGION=<region> make register-client \\
        ARGS="--user-pool-id <UserPoolId> --tenant utility-a --role integration --name billing-feed"

Creates the user pool's app client (client-credentials grant, a secret, the role's one scope
`csr-api/<role>`) and writes its registration, the tenant and role the handlers act for
(csr.data.machine_clients). `--client-id <id>` instead of `--name` registers (or moves) an existing app
client, once it is checked to hold that grant and scope. The client secret is never printed: its owner
reads it with `aws cognito-idp describe-user-pool-client`. Registrations take effect in warm containers
within machine_clients.CACHE_SECONDS.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

import boto3

from csr.auth import MACHINE_ROLES, Role, scope_of
from csr.data import machine_clients
from csr.models.common import ID_PATTERN


class RegistrationError(Exception):
    """An app client that cannot act as the role asked."""


def create_client(cognito: Any, user_pool_id: str, name: str, role: Role) -> str:
    created = cognito.create_user_pool_client(
        UserPoolId=user_pool_id,
        ClientName=name,
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[scope_of(role)],
        SupportedIdentityProviders=["COGNITO"],
    )
    client_id: str = created["UserPoolClient"]["ClientId"]
    return client_id


def check_client(cognito: Any, user_pool_id: str, client_id: str, role: Role) -> None:
    client = cognito.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)["UserPoolClient"]
    if "client_credentials" not in client.get("AllowedOAuthFlows", []):
        raise RegistrationError(f"app client {client_id} does not use the client-credentials grant")
    if client.get("AllowedOAuthScopes", []) != [scope_of(role)]:
        raise RegistrationError(f"app client {client_id} must hold exactly the scope {scope_of(role)}")


def main(argv: list[str] | None = None, cognito: Any = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--user-pool-id", required=True)
    parser.add_argument("--tenant", required=True, help="the one tenant the client acts for")
    parser.add_argument("--role", required=True, choices=sorted(MACHINE_ROLES))
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="create an app client of this name")
    which.add_argument("--client-id", help="register an existing app client")
    args = parser.parse_args(argv)
    if not re.match(ID_PATTERN, args.tenant):
        parser.error(f"--tenant must match {ID_PATTERN}")
    role = Role(args.role)
    cognito = cognito or boto3.client("cognito-idp")
    try:
        if args.name:
            client_id = create_client(cognito, args.user_pool_id, args.name, role)
        else:
            client_id = args.client_id
            check_client(cognito, args.user_pool_id, client_id, role)
    except RegistrationError as exc:
        print(f"not registered: {exc}", file=sys.stderr)
        return 1
    machine_clients.register(client_id, args.tenant, role.value)
    print(f"app client {client_id} registered to tenant {args.tenant} as {role.value} (scope {scope_of(role)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
