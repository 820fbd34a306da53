"""What IAM authorizes for the AWS calls a function makes, and what its policy in template.yaml allows.

moto checks no IAM, so the tests record every call each function makes (tests/iam_recording.py) and
hold the recorded needs to the policies here: a need no statement allows would be refused in AWS, and
an allowed action no test ever needed is a permission nobody has shown to be necessary.

Both sides are written as ARNs of one local account and region, with the names the local stack gives
resources (a table's or queue's name is its logical id, as in infra.local_aws).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra import template
from infra.local_aws import LOCAL_PARAMETERS, REGION

ACCOUNT = "000000000000"
PARTITION = "aws"
PSEUDO = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::URLSuffix": ""}


@dataclass(frozen=True, order=True)
class Need:
    """One action IAM authorizes for a call, on any one of `resources` (SES authorizes a send on the
    sender's address identity or on its domain's)."""

    action: str
    resources: tuple[str, ...]


@dataclass(frozen=True)
class Grant:
    """One Allow statement of a function's policy."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, need: Need) -> bool:
        return any(_matches(pattern, need.action, ignore_case=True) for pattern in self.actions) and any(
            _matches(pattern, resource) for pattern in self.resources for resource in need.resources
        )


def arn(service: str, resource: str, *, region: str = REGION) -> str:
    return f"arn:{PARTITION}:{service}:{region}:{ACCOUNT}:{resource}"


# --- calls -> needs ----------------------------------------------------------------------------------

_TRANSACT_WRITE = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_SQS_BATCH = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage"}
_SQS_BATCH["ChangeMessageVisibilityBatch"] = "ChangeMessageVisibility"


def _table(name: str, index: str | None = None) -> str:
    return arn("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))


def _dynamodb(operation: str, params: Mapping[str, Any]) -> list[Need]:
    if operation == "TransactWriteItems":
        found = []
        for item in params["TransactItems"]:
            (kind, body), *_ = item.items()
            found.append(Need(f"dynamodb:{_TRANSACT_WRITE[kind]}", (_table(body["TableName"]),)))
        return found
    if operation == "TransactGetItems":
        return [Need("dynamodb:GetItem", (_table(item["Get"]["TableName"]),)) for item in params["TransactItems"]]
    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Need(f"dynamodb:{operation}", (_table(name),)) for name in params["RequestItems"]]
    return [Need(f"dynamodb:{operation}", (_table(params["TableName"], params.get("IndexName")),))]


def _ssm(operation: str, params: Mapping[str, Any]) -> list[Need]:
    # A parameter's ARN drops the leading slash of its name once: parameter/csr-console/secret-key.
    names = params.get("Names") or [params.get("Name") or params.get("Path", "")]
    return [Need(f"ssm:{operation}", (arn("ssm", "parameter/" + str(name).removeprefix("/")),)) for name in names]


def _ses(operation: str, params: Mapping[str, Any]) -> list[Need]:
    if operation not in ("SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkEmail"):
        return [Need(f"ses:{operation}", ("*",))]
    sender = str(params.get("FromEmailAddress") or params.get("Source") or "")
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    domain = address.rsplit("@", 1)[-1]
    found = [Need("ses:SendEmail", (arn("ses", f"identity/{address}"), arn("ses", f"identity/{domain}")))]
    configuration_set = params.get("ConfigurationSetName")
    if configuration_set:
        found.append(Need("ses:SendEmail", (arn("ses", f"configuration-set/{configuration_set}"),)))
    return found


def _sqs(operation: str, params: Mapping[str, Any]) -> list[Need]:
    queue = str(params.get("QueueUrl") or params.get("QueueName") or "").rstrip("/").rsplit("/", 1)[-1]
    return [Need(f"sqs:{_SQS_BATCH.get(operation, operation)}", (arn("sqs", queue),))]


def _events(operation: str, params: Mapping[str, Any]) -> list[Need]:
    if operation != "PutEvents":
        return [Need(f"events:{operation}", ("*",))]
    buses = {str(entry.get("EventBusName") or "default") for entry in params["Entries"]}
    return [
        Need("events:PutEvents", (bus if bus.startswith("arn:") else arn("events", f"event-bus/{bus}"),))
        for bus in sorted(buses)
    ]


def _bucket(name: str) -> str:
    return f"arn:{PARTITION}:s3:::{name}"


# S3 authorizes a listing on the bucket, an object's call on the object (a version's with its own action).
_S3_BUCKET = {"ListObjectsV2": "ListBucket", "ListObjects": "ListBucket", "ListObjectVersions": "ListBucketVersions"}


def _s3(operation: str, params: Mapping[str, Any]) -> list[Need]:
    bucket = str(params.get("Bucket", ""))
    if operation in _S3_BUCKET:
        return [Need(f"s3:{_S3_BUCKET[operation]}", (_bucket(bucket),))]
    if operation == "DeleteObjects":
        return [
            Need(
                "s3:DeleteObjectVersion" if "VersionId" in item else "s3:DeleteObject",
                (_bucket(bucket + "/" + item["Key"]),),
            )
            for item in params["Delete"]["Objects"]
        ]
    if "Key" in params:
        return [Need(f"s3:{operation}", (_bucket(f"{bucket}/{params['Key']}"),))]
    return [Need(f"s3:{operation}", (_bucket(bucket),))]


def _cloudfront(operation: str, params: Mapping[str, Any]) -> list[Need]:
    # CloudFront is global: its ARNs have no region.
    distribution = params.get("DistributionId") or params.get("Id")
    if distribution is None:
        return [Need(f"cloudfront:{operation}", ("*",))]
    return [Need(f"cloudfront:{operation}", (arn("cloudfront", f"distribution/{distribution}", region=""),))]


_BY_SERVICE = {
    "dynamodb": _dynamodb,
    "ssm": _ssm,
    "ses": _ses,
    "sqs": _sqs,
    "events": _events,
    "s3": _s3,
    "cloudfront": _cloudfront,
}


def needs(service: str, operation: str, params: Mapping[str, Any]) -> list[Need]:
    """The IAM actions and resources AWS authorizes for one call. `service` is the client's signing name
    (`ses` for SES v2). A service this does not know needs its action on `*`: a policy that wants to be
    narrower teaches this module the service's resources first."""
    translate = _BY_SERVICE.get(service)
    if translate is None:
        return [Need(f"{service}:{operation}", ("*",))]
    return translate(operation, params)


# --- template.yaml -> grants ------------------------------------------------------------------------


def _parameter(name: str) -> str:
    parameters = template.template().get("Parameters", {})
    return str(LOCAL_PARAMETERS.get(name, parameters[name].get("Default", "")))


def _attribute(logical_id: str, attribute: str) -> str:
    resource = template.template()["Resources"][logical_id]
    kind = resource["Type"]
    name = str(resource.get("Properties", {}).get("QueueName") or logical_id)
    if (kind, attribute) == ("AWS::DynamoDB::Table", "Arn"):
        return _table(logical_id)
    if (kind, attribute) == ("AWS::SQS::Queue", "Arn"):
        return arn("sqs", name)
    if (kind, attribute) == ("AWS::SQS::Queue", "QueueName"):
        return name
    if (kind, attribute) == ("AWS::S3::Bucket", "Arn"):
        return _bucket(logical_id)
    raise ValueError(f"infra.iam cannot resolve !GetAtt {logical_id}.{attribute} ({kind}); teach it")


def _ref(name: str) -> str:
    if name in PSEUDO:
        return PSEUDO[name]
    if name in template.template().get("Parameters", {}):
        return _parameter(name)
    return name  # a resource's name in the local stack is its logical id


def _sub(text: str, variables: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in variables:
            return str(resolve(variables[key]))
        if "." in key:
            return _attribute(*key.split(".", 1))
        return _ref(key)

    return re.sub(r"\$\{([^}!]+)\}", replace, text)


_INTRINSICS: dict[str, Any] = {
    "Ref": _ref,
    "Fn::GetAtt": lambda argument: _attribute(*argument),
    "Fn::Sub": lambda argument: _sub(argument, {}) if isinstance(argument, str) else _sub(*argument),
    "Fn::Split": lambda argument: str(resolve(argument[1])).split(argument[0]),
    "Fn::Select": lambda argument: resolve(argument[1])[int(argument[0])],
    "Fn::Join": lambda argument: argument[0].join(str(resolve(part)) for part in argument[1]),
}


def resolve(value: Any) -> Any:
    """A CloudFormation value with its intrinsic functions evaluated for the local stack."""
    if isinstance(value, list):
        return [resolve(item) for item in value]
    if not isinstance(value, dict) or len(value) != 1:
        return value
    (function, argument), *_ = value.items()
    if function not in _INTRINSICS:
        raise ValueError(f"infra.iam cannot evaluate {function}; teach it")
    return _INTRINSICS[function](argument)


def _listed(value: Any) -> tuple[str, ...]:
    resolved = resolve(value)
    return tuple(str(item) for item in (resolved if isinstance(resolved, list) else [resolved]))


def grants(function: template.Function) -> list[Grant]:
    """The Allow statements of the function's inline policies. Anything else (a SAM policy template, a
    managed policy, a Deny) is refused here, so that the check never passes by not understanding."""
    found = []
    for policy in function.properties.get("Policies", []):
        if not isinstance(policy, dict) or set(policy) != {"Statement"}:
            raise ValueError(f"{function.logical_id}: write its policy as a Statement list, not {policy!r}")
        for statement in policy["Statement"]:
            if statement.get("Effect") != "Allow" or set(statement) != {"Effect", "Action", "Resource"}:
                raise ValueError(f"{function.logical_id}: only Effect/Action/Resource Allow statements: {statement}")
            found.append(Grant(_listed(statement["Action"]), _listed(statement["Resource"])))
    return found


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcards: `*` any run of characters (`/` and `:` too), `?` one character."""
    pattern = pattern.replace("[", "[[]")
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern)


# --- the check --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    function: str
    problem: str


def check(recorded: Mapping[str, Iterable[Need]], functions: Iterable[template.Function]) -> list[Finding]:
    """Every recorded need allowed by the function's policy, and every action a statement allows on each
    of its resources needed by some recorded call of that function."""
    findings = []
    for function in functions:
        needed = set(recorded.get(function.logical_id, ()))
        allowed = grants(function)
        for need in sorted(needed):
            if not any(grant.allows(need) for grant in allowed):
                findings.append(
                    Finding(function.logical_id, f"not allowed: {need.action} on {' or '.join(need.resources)}")
                )
        for grant in allowed:
            for action in grant.actions:
                for resource in grant.resources:
                    if not any(Grant((action,), (resource,)).allows(need) for need in needed):
                        findings.append(Finding(function.logical_id, f"allowed but never used: {action} on {resource}"))
    return findings


def actions_checked(recorded: Mapping[str, Iterable[Need]]) -> dict[str, int]:
    """How many distinct actions each function was seen to need (the README's figure)."""
    return {function: len({need.action for need in needs}) for function, needs in sorted(recorded.items())}
