"""The console in the stack: CloudFront sends the local server's headers and serves the console's API calls
on its own domain; on every deploy the ConsoleSite custom resource publishes the console layer's files and
the config.json its properties (the stack's own values) make, and always answers CloudFormation."""

from __future__ import annotations

import json
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.cloudfront.models import cloudfront_backends

from infra import apigw, console, template
from infra.local_aws import LocalAws

RESOURCES: dict[str, Any] = template.template()["Resources"]
# What CloudFormation would give the template's references in one deployed stack.
DEPLOYED = {
    "AWS::Region": "ca-central-1",
    "AWS::StackName": "csr-prod",
    "AuthDomainPrefix": template.template()["Parameters"]["AuthDomainPrefix"]["Default"],
    "ConsoleDistribution": "E2QWRUHAPOMQZL",
    "ConsoleDistribution.DomainName": "d111111abcdef8.cloudfront.net",
    "ConsoleLayer": "arn:aws:lambda:ca-central-1:123456789012:layer:ConsoleLayer-a1b2c3:7",
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
# The local stack names the bucket and the distribution by their logical ids (as infra.iam does).
LOCAL = {"BucketName": "ConsoleBucket", "DistributionId": "ConsoleDistribution"}
SITE = next(function for function in template.functions() if function.logical_id == "ConsoleSiteFunction")


def rendered(value: Any) -> str:
    """A `!Sub` or `!Ref` of the template as the deployed stack resolves it."""
    if "Ref" in value:
        return str(DEPLOYED[value["Ref"]])
    return re.sub(r"\$\{([^}]+)\}", lambda match: DEPLOYED[match.group(1)], value["Fn::Sub"])


def outputs() -> dict[str, str]:
    return {name: rendered(output["Value"]) for name, output in template.template()["Outputs"].items()}


def deployed_properties() -> dict[str, str]:
    """ConsoleSite's properties as CloudFormation sends them to the function in the deployed stack."""
    properties = RESOURCES["ConsoleSite"]["Properties"]
    return {
        name: rendered(value) for name, value in properties.items() if name not in ("ServiceToken", "ServiceTimeout")
    }


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


def test_the_console_ships_as_a_layer_whose_version_redeploys_it() -> None:
    layer = RESOURCES["ConsoleLayer"]
    assert (layer["Type"], layer["Properties"]["ContentUri"]) == ("AWS::Serverless::LayerVersion", "console/")
    assert SITE.properties["Layers"] == [{"Ref": "ConsoleLayer"}]
    assert SITE.properties["Environment"]["Variables"]["CONSOLE_ROOT"] == "/opt"
    site = RESOURCES["ConsoleSite"]
    assert site["Properties"]["ServiceToken"] == {"Fn::GetAtt": ["ConsoleSiteFunction", "Arn"]}
    assert site["Properties"]["ConsoleLayerVersion"] == {"Ref": "ConsoleLayer"}
    # Its log group exists (with its retention) before the first run, or Lambda would make one of its own.
    assert site["DependsOn"] == "ConsoleSiteLogGroup"
    assert deployed_properties()["ConsoleLayerVersion"] == DEPLOYED["ConsoleLayer"]


# --- the custom resource, run in moto -----------------------------------------------------------------


@dataclass
class Site:
    s3: Any
    cloudfront: Any
    url: str
    answers: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)

    def request(self, kind: str, root: Path, **properties: str) -> dict[str, Any]:
        """One CloudFormation request to the function, as Lambda runs it; returns the answer CloudFormation got."""
        event = {
            "RequestType": kind,
            "ResponseURL": self.url,
            "StackId": "arn:aws:cloudformation:ca-central-1:123456789012:stack/csr-prod/1",
            "RequestId": f"request-{len(self.answers)}",
            "ResourceType": "Custom::ConsoleSite",
            "LogicalResourceId": "ConsoleSite",
            "ResourceProperties": {"ServiceToken": "arn:aws:lambda:fn", **deployed_properties(), **LOCAL, **properties},
        }
        if kind != "Create":
            event["PhysicalResourceId"] = "ConsoleBucket/console/"
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("CONSOLE_ROOT", str(root))
            returned = apigw.invoke(SITE, event)
        content_type, answer = self.answers[-1]
        assert content_type == ""  # CloudFormation's pre-signed URL is signed without one
        assert answer == returned
        assert (answer["RequestId"], answer["StackId"]) == (event["RequestId"], event["StackId"])
        assert answer["LogicalResourceId"] == "ConsoleSite"
        return answer

    def keys(self) -> set[str]:
        return {item["Key"] for item in self.s3.list_objects_v2(Bucket="ConsoleBucket").get("Contents", [])}

    def read(self, key: str) -> dict[str, Any]:
        found: dict[str, Any] = self.s3.get_object(Bucket="ConsoleBucket", Key=key)
        return found

    def invalidations(self) -> list[list[str]]:
        listed = self.cloudfront.list_invalidations(DistributionId="ConsoleDistribution")["InvalidationList"]
        return [
            self.cloudfront.get_invalidation(DistributionId="ConsoleDistribution", Id=item["Id"])["Invalidation"][
                "InvalidationBatch"
            ]["Paths"]["Items"]
            for item in listed.get("Items", [])
        ]


class _CloudFormation(BaseHTTPRequestHandler):
    """Stands in for the pre-signed S3 URL CloudFormation waits on."""

    answers: list[tuple[str | None, dict[str, Any]]]

    def do_PUT(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.answers.append((self.headers.get("Content-Type"), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def _console_distribution(cloudfront: Any) -> None:
    """A distribution moto knows, under the local stack's name for it."""
    made = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "console",
            "Comment": "console",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "console", "DomainName": "ConsoleBucket.s3.amazonaws.com"}]},
            "DefaultCacheBehavior": {"TargetOriginId": "console", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )["Distribution"]["Id"]
    for account in list(cloudfront_backends):
        backend = cloudfront_backends[account]["global"]
        if made in backend.distributions:
            distribution = backend.distributions.pop(made)
            distribution.distribution_id = "ConsoleDistribution"
            backend.distributions["ConsoleDistribution"] = distribution


@pytest.fixture
def site(aws: LocalAws) -> Iterator[Site]:
    s3, cloudfront = boto3.client("s3"), boto3.client("cloudfront")
    s3.create_bucket(Bucket="ConsoleBucket")
    s3.put_bucket_versioning(Bucket="ConsoleBucket", VersioningConfiguration={"Status": "Enabled"})
    _console_distribution(cloudfront)
    answers: list[tuple[str | None, dict[str, Any]]] = []
    handler = type("Answers", (_CloudFormation,), {"answers": answers})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(s3, cloudfront, f"http://127.0.0.1:{server.server_address[1]}/response?signed", answers)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def mounted(tmp_path: Path) -> Path:
    """/opt as Lambda mounts the function's layers: the console's files at the top (ConsoleLayer is
    console/ as-is), the common layer's packages under python/, a stray hidden file."""
    root = tmp_path / "opt"
    shutil.copytree(console.CONSOLE_ROOT, root)
    (root / "python" / "pkg").mkdir(parents=True)
    (root / "python" / "pkg" / "data.json").write_text("{}")
    (root / ".hidden.js").write_text("")
    return root


def _shipped() -> set[str]:
    return {
        "console/" + path.relative_to(console.CONSOLE_ROOT).as_posix()
        for path in console.CONSOLE_ROOT.rglob("*")
        if path.is_file() and path.suffix in (".html", ".js", ".css", ".json")
    }


def test_create_publishes_the_layer_with_the_config_the_stack_makes(site: Site, mounted: Path) -> None:
    answer = site.request("Create", mounted)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "ConsoleBucket/console/")
    assert site.keys() == _shipped()  # config.json written, not copied; neither python/ nor hidden files
    expected_types = {
        "console/index.html": "text/html; charset=utf-8",
        "console/js/app.js": "text/javascript; charset=utf-8",
        "console/css/console.css": "text/css; charset=utf-8",
        "console/locales/fr.json": "application/json; charset=utf-8",
    }
    for key, content_type in expected_types.items():
        stored = site.read(key)
        assert (stored["ContentType"], stored["CacheControl"]) == (content_type, "no-cache"), key
    assert site.read("console/js/app.js")["Body"].read() == (console.CONSOLE_ROOT / "js" / "app.js").read_bytes()
    config = json.loads(site.read("console/config.json")["Body"].read())
    assert config == {
        "api_base": "",
        "auth": {
            "mode": "cognito",
            "domain": "csr-console-example.auth.ca-central-1.amazoncognito.com",
            "client_id": DEPLOYED["UserPoolClient"],
            "redirect_uri": "https://d111111abcdef8.cloudfront.net/console/",
        },
    }
    # The stack's outputs say the same, and the hosted UI sends the person back where the app client allows.
    assert (config["auth"]["domain"], config["auth"]["client_id"]) == (
        outputs()["HostedUiDomain"],
        outputs()["UserPoolClientId"],
    )
    assert config["auth"]["redirect_uri"] == outputs()["ConsoleUrl"]
    client = RESOURCES["UserPoolClient"]["Properties"]
    assert [rendered(url) for url in client["CallbackURLs"]] == [config["auth"]["redirect_uri"]]
    assert [rendered(url) for url in client["LogoutURLs"]] == [config["auth"]["redirect_uri"]]
    assert site.invalidations() == [["/console/*"]]


def test_update_rewrites_config_and_removes_what_is_no_longer_shipped(site: Site, mounted: Path) -> None:
    site.request("Create", mounted)
    site.s3.put_object(Bucket="ConsoleBucket", Key="console/js/retired.js", Body=b"")
    (mounted / "css" / "console.css").unlink()
    answer = site.request("Update", mounted, ClientId="newclient123", ConsoleLayerVersion="arn:layer:8")
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "ConsoleBucket/console/")
    assert site.keys() == _shipped() - {"console/css/console.css"}
    assert json.loads(site.read("console/config.json")["Body"].read())["auth"]["client_id"] == "newclient123"
    assert site.invalidations() == [["/console/*"], ["/console/*"]]


def test_delete_removes_every_version_so_the_bucket_can_go(site: Site, mounted: Path) -> None:
    site.request("Create", mounted)
    site.request("Update", mounted, ClientId="newclient123")
    site.s3.put_object(Bucket="ConsoleBucket", Key="elsewhere.txt", Body=b"not the console's")
    answer = site.request("Delete", mounted)
    assert (answer["Status"], answer["PhysicalResourceId"]) == ("SUCCESS", "ConsoleBucket/console/")
    versions = site.s3.list_object_versions(Bucket="ConsoleBucket")
    left = [item["Key"] for item in versions.get("Versions", []) + versions.get("DeleteMarkers", [])]
    assert left == ["elsewhere.txt"]


def _remove_bucket(site: Site) -> None:
    versions = site.s3.list_object_versions(Bucket="ConsoleBucket")
    for item in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        site.s3.delete_object(Bucket="ConsoleBucket", Key=item["Key"], VersionId=item["VersionId"])
    site.s3.delete_bucket(Bucket="ConsoleBucket")


def test_delete_after_the_bucket_is_gone_still_succeeds(site: Site, mounted: Path) -> None:
    _remove_bucket(site)
    assert site.request("Delete", mounted)["Status"] == "SUCCESS"


def test_a_failure_answers_failed_with_its_reason(site: Site, mounted: Path) -> None:
    missing = site.request("Create", mounted, ClientId="")
    assert missing["Status"] == "FAILED"
    assert missing["Reason"] == "ValueError: missing properties: ClientId"
    assert site.keys() == set()
    # No console where the layer should be: nothing published, nothing of the live console deleted.
    site.request("Create", mounted)
    shipped = site.keys()
    empty = mounted.parent / "empty"
    empty.mkdir()
    unmounted = site.request("Update", empty)
    assert unmounted["Status"] == "FAILED"
    assert unmounted["Reason"] == f"FileNotFoundError: no console at {empty}"
    assert site.keys() == shipped
    assert site.invalidations() == [["/console/*"]]
    # S3 refuses (here: the bucket is gone): CloudFormation hears why, and the stack rolls back at once.
    _remove_bucket(site)
    refused = site.request("Update", mounted)
    assert refused["Status"] == "FAILED"
    assert "NoSuchBucket" in refused["Reason"]
    assert refused["PhysicalResourceId"] == "ConsoleBucket/console/"
