"""The console in the stack: CloudFront sends the local server's headers, serves the console's API calls on
its own domain, and `make console-deploy` writes the config.json the stack's outputs make."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from infra import console, console_deploy, template
from infra.local_aws import LocalAws

RESOURCES: dict[str, Any] = template.template()["Resources"]
# What CloudFormation would give the template's references in one deployed stack.
DEPLOYED = {
    "AWS::Region": "ca-central-1",
    "AWS::StackName": "csr-prod",
    "AuthDomainPrefix": template.template()["Parameters"]["AuthDomainPrefix"]["Default"],
    "ConsoleDistribution": "E2QWRUHAPOMQZL",
    "ConsoleDistribution.DomainName": "d111111abcdef8.cloudfront.net",
    "UserPoolClient": "4tmg3ah0d7ch1dqcsn0example",
    "ConsoleBucket": "csr-prod-consolebucket-1a2b3c",
    "ConsoleBucket.Arn": "arn:aws:s3:::csr-prod-consolebucket-1a2b3c",
    "Api": "a1b2c3d4e5",
    "Stage": "prod",
    "UserPool": "ca-central-1_AbCdEfGhI",
    "DataTable": "csr-prod-DataTable-1A2B3C",
    "AlarmTopic": "arn:aws:sns:ca-central-1:123456789012:csr-prod-AlarmTopic-1A2B3C",
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
}


def rendered(value: Any) -> str:
    """A `!Sub` or `!Ref` of the template as the deployed stack resolves it."""
    if "Ref" in value:
        return str(DEPLOYED[value["Ref"]])
    return re.sub(r"\$\{([^}]+)\}", lambda match: DEPLOYED[match.group(1)], value["Fn::Sub"])


def outputs() -> dict[str, str]:
    return {name: rendered(output["Value"]) for name, output in template.template()["Outputs"].items()}


def _directives(csp: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in csp.split(";"))


def test_cloudfront_sends_the_local_servers_console_headers() -> None:
    security = RESOURCES["ConsoleHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    custom = RESOURCES["ConsoleHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["CustomHeadersConfig"]
    deployed_csp = rendered(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    deployed = {
        "Content-Security-Policy": deployed_csp,
        "X-Content-Type-Options": "nosniff" if security["ContentTypeOptions"]["Override"] else None,
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        **{item["Header"]: item["Value"] for item in custom["Items"]},
    }
    assert set(deployed) == set(console.SECURITY_HEADERS)
    for header, value in console.SECURITY_HEADERS.items():
        if header != "Content-Security-Policy":
            assert deployed[header] == value, header
    # The same policy, plus where the page exchanges its sign-in code: the hosted UI's token endpoint.
    local, remote = _directives(console.SECURITY_HEADERS["Content-Security-Policy"]), _directives(deployed_csp)
    assert {name: remote[name] for name in local} == local
    assert set(remote) - set(local) == {"connect-src"}
    assert remote["connect-src"] == f"'self' https://{outputs()['HostedUiDomain']}"


def test_the_console_calls_the_api_on_its_own_domain_and_reads_only_its_bucket() -> None:
    config = RESOURCES["ConsoleDistribution"]["Properties"]["DistributionConfig"]
    api_patterns = [b["PathPattern"] for b in config["CacheBehaviors"] if b["TargetOriginId"] == "api"]
    people_routes = [route for route in template.api_routes() if not route.scopes]
    for route in people_routes:
        assert any(fnmatch(route.path, pattern) for pattern in api_patterns), route.path
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "console"
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "ConsoleHeadersPolicy"}
    bucket = RESOURCES["ConsoleBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(bucket.values())
    (allow, _deny) = RESOURCES["ConsoleBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert rendered(allow["Resource"]) == "arn:aws:s3:::csr-prod-consolebucket-1a2b3c/console/*"
    source = rendered(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source == "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL"


@pytest.fixture
def clients(aws: LocalAws) -> Iterator[tuple[Any, Any, Any]]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=DEPLOYED["ConsoleBucket"])
    cloudformation, cloudfront = boto3.client("cloudformation"), boto3.client("cloudfront")
    with Stubber(cloudformation) as stacks, Stubber(cloudfront) as distributions:
        described = {
            "StackName": "csr-prod",
            "CreationTime": "2026-12-07T00:00:00Z",
            "StackStatus": "CREATE_COMPLETE",
            "Outputs": [{"OutputKey": key, "OutputValue": value} for key, value in outputs().items()],
        }
        stacks.add_response("describe_stacks", {"Stacks": [described]}, {"StackName": "csr-prod"})
        batch = {"Paths": {"Quantity": 1, "Items": ["/console/*"]}, "CallerReference": ANY}
        invalidation = {
            "Id": "I1",
            "Status": "InProgress",
            "CreateTime": "2026-12-07T00:00:00Z",
            "InvalidationBatch": batch,
        }
        distributions.add_response(
            "create_invalidation",
            {
                "Location": "https://example.com/i1",
                "Invalidation": {**invalidation, "InvalidationBatch": {**batch, "CallerReference": "1"}},
            },
            {"DistributionId": DEPLOYED["ConsoleDistribution"], "InvalidationBatch": batch},
        )
        yield cloudformation, s3, cloudfront
        stacks.assert_no_pending_responses()
        distributions.assert_no_pending_responses()


def test_console_deploy_copies_the_console_and_writes_config_from_the_stack(clients: tuple[Any, Any, Any]) -> None:
    cloudformation, s3, cloudfront = clients
    console_deploy.deploy("csr-prod", cloudformation=cloudformation, s3=s3, cloudfront=cloudfront)
    bucket = DEPLOYED["ConsoleBucket"]
    stored = {item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert stored == {key for key, _ in console_deploy.console_files()} | {"console/config.json"}
    index = s3.get_object(Bucket=bucket, Key="console/index.html")
    assert (index["ContentType"], index["CacheControl"]) == ("text/html; charset=utf-8", "no-cache")
    config = json.loads(s3.get_object(Bucket=bucket, Key="console/config.json")["Body"].read())
    assert config == {
        "api_base": "",
        "auth": {
            "mode": "cognito",
            "domain": "csr-console-example.auth.ca-central-1.amazoncognito.com",
            "client_id": DEPLOYED["UserPoolClient"],
            "redirect_uri": "https://d111111abcdef8.cloudfront.net/console/",
        },
    }
    # The hosted UI sends the person back where the app client allows, to the page that holds the verifier.
    client = RESOURCES["UserPoolClient"]["Properties"]
    assert [rendered(url) for url in client["CallbackURLs"]] == [config["auth"]["redirect_uri"]]
    assert [rendered(url) for url in client["LogoutURLs"]] == [config["auth"]["redirect_uri"]]
