"""AWS emulated in-process with moto, built from template.yaml: the tables (with their TTL), the service
key in SSM, a verified SES sender. Used by the tests and the local server, never deployed."""

from __future__ import annotations

import json
import os
import secrets
import sys
from typing import Any

import boto3
from moto import mock_aws

from infra import template
from infra.emulator.moto_patches import apply_moto_patches
from infra.sqs_delivery import create_queues

REGION = "us-east-1"
# The demo utility links its accounts to a Payment Administration (an example address: nothing answers it).
DEMO_TENANT_SETTINGS = {"utility-a": {"payment_admin_url": "https://billing.example.com/accounts/{account_number}"}}
LOCAL_PARAMETERS = {
    "PortalBaseUrl": "http://127.0.0.1:3000/portal",
    "Stage": "local",
    "TenantSettings": json.dumps(DEMO_TENANT_SETTINGS),
}


def _resolve(value: Any) -> str:
    """Resolves `Ref`s the way a local stack would: a table's name is its logical id."""
    if isinstance(value, dict) and "Ref" in value:
        name = value["Ref"]
        parameters = template.template().get("Parameters", {})
        if name in parameters:
            return str(LOCAL_PARAMETERS.get(name, parameters[name].get("Default", "")))
        return str(name)
    return str(value)


def function_environment() -> dict[str, str]:
    env = {key: _resolve(value) for key, value in template.global_environment().items()}
    env.update(
        AWS_DEFAULT_REGION=REGION,
        AWS_REGION=REGION,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_DEV="false",
    )
    return env


def import_paths() -> list[str]:
    """The layer and every function folder, as Lambda puts them on the path."""
    return [str(template.ROOT / "layers" / "csr_common")] + [str(f.code_dir) for f in template.functions()]


def add_import_paths() -> None:
    for path in import_paths():
        if path not in sys.path:
            sys.path.insert(0, path)


class LocalAws:
    """Starts moto, applies the emulator patches and builds the resources of template.yaml."""

    def __init__(self, password_hash_log2_n: int | None = None) -> None:
        self.mock = mock_aws()
        self.password_hash_log2_n = password_hash_log2_n

    def start(self) -> LocalAws:
        os.environ.update(function_environment())
        if self.password_hash_log2_n is not None:
            os.environ["PASSWORD_HASH_LOG2_N"] = str(self.password_hash_log2_n)
        add_import_paths()
        apply_moto_patches()
        self.mock.start()
        self.create_resources()
        return self

    def stop(self) -> None:
        self.mock.stop()

    def create_resources(self) -> None:
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        for name, table in template.dynamodb_tables().items():
            dynamodb.create_table(**table["create"])
            if table["ttl"]:
                dynamodb.update_time_to_live(
                    TableName=name, TimeToLiveSpecification={"AttributeName": table["ttl"], "Enabled": True}
                )
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name=os.environ["SECRET_KEY_PARAMETER"], Value=secrets.token_hex(32), Type="SecureString", Overwrite=True
        )
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=os.environ["EMAIL_SENDER"])
        create_queues()
