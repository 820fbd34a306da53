"""Reads template.yaml, the single source of truth for routes, tables and function settings, for the
local server and the tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """Keeps CloudFormation's short-form tags (`!Ref X` becomes `{"Ref": "X"}`)."""


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)  # type: ignore[no-untyped-call]


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    with TEMPLATE.open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    return loaded


def resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template()["Resources"].items() if res["Type"] == kind}


@dataclass(frozen=True)
class Function:
    logical_id: str
    code_dir: Path
    module: str
    attribute: str
    properties: dict[str, Any]


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    function: Function
    # The OAuth scopes API Gateway requires of the access token (machine routes); none: an ID token.
    scopes: tuple[str, ...] = ()


def functions() -> list[Function]:
    found = []
    for name, res in sorted(resources("AWS::Serverless::Function").items()):
        props = res["Properties"]
        module, attribute = props["Handler"].rsplit(".", 1)
        found.append(Function(name, ROOT / props["CodeUri"], module, attribute, props))
    return found


def api_routes() -> list[ApiRoute]:
    routes = []
    for function in functions():
        for event in function.properties.get("Events", {}).values():
            if event["Type"] == "Api":
                props = event["Properties"]
                scopes = tuple(props.get("Auth", {}).get("AuthorizationScopes", ()))
                routes.append(ApiRoute(props["Method"].upper(), props["Path"], function, scopes))
    return routes


def dynamodb_tables() -> dict[str, dict[str, Any]]:
    """CreateTable arguments for each AWS::DynamoDB::Table (by logical id), and its TTL attribute."""
    tables = {}
    for name, res in resources("AWS::DynamoDB::Table").items():
        props = res["Properties"]
        create: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props["BillingMode"],
        }
        if "GlobalSecondaryIndexes" in props:
            create["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        tables[name] = {"create": create, "ttl": props.get("TimeToLiveSpecification", {}).get("AttributeName")}
    return tables


def global_environment() -> dict[str, Any]:
    variables: dict[str, Any] = template()["Globals"]["Function"]["Environment"]["Variables"]
    return variables


@dataclass(frozen=True)
class SqsEventSource:
    """An SQS event source mapping: which function reads which queue (logical ids), how."""

    function: Function
    queue: str
    batch_size: int
    report_batch_item_failures: bool


def sqs_event_sources() -> list[SqsEventSource]:
    sources = []
    for function in functions():
        for event in function.properties.get("Events", {}).values():
            if event["Type"] == "SQS":
                props = event["Properties"]
                sources.append(
                    SqsEventSource(
                        function,
                        props["Queue"]["Fn::GetAtt"][0],
                        int(props.get("BatchSize", 10)),
                        "ReportBatchItemFailures" in props.get("FunctionResponseTypes", []),
                    )
                )
    return sources


def function_timeout(function: Function) -> int:
    """Seconds: the function's own Timeout, else the Globals' one."""
    return int(function.properties.get("Timeout", template()["Globals"]["Function"].get("Timeout", 3)))


@dataclass(frozen=True)
class GatewayResponse:
    """What API Gateway answers itself, by response type (UNAUTHORIZED, THROTTLED, ...), as the API's
    `GatewayResponses` set it. `status` is None where the template keeps API Gateway's own status."""

    status: int | None
    headers: dict[str, str]
    body: str


def gateway_responses() -> dict[str, GatewayResponse]:
    (api,) = resources("AWS::Serverless::Api").values()
    found = {}
    for kind, response in api["Properties"]["GatewayResponses"].items():
        headers = response.get("ResponseParameters", {}).get("Headers", {})
        found[kind] = GatewayResponse(
            int(response["StatusCode"]) if "StatusCode" in response else None,
            # A static header value is quoted in the template: "'1'".
            {name: str(value).strip("'") for name, value in headers.items()},
            response["ResponseTemplates"]["application/json"],
        )
    return found
