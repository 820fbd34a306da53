"""Copy the console to the stack's bucket and write its config.json from the stack's outputs:
`make console-deploy`, right after `sam deploy` (docs/deploy.md).

    STACK=<stack name> AWS_REGION=<region> make console-deploy

Every file of console/ goes to `console/<path>` in ConsoleBucket with its content type and
`Cache-Control: no-cache` (CloudFront revalidates; the files are small); config.json is not copied but
written from the outputs (the hosted UI's domain, the app client, the console's own URL; `api_base` ""
since CloudFront serves the API's people's routes on the same domain); then CloudFront's copies are
invalidated. Run it again after any change to console/ or to the stack.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3

from infra.console import CONSOLE_ROOT, CONTENT_TYPES, PREFIX

CONFIG = "config.json"


def config_from_outputs(outputs: Mapping[str, str]) -> dict[str, Any]:
    """The deployed console's config.json (console/js/app.js and auth.js read it)."""
    return {
        "api_base": "",
        "auth": {
            "mode": "cognito",
            "domain": outputs["HostedUiDomain"],
            "client_id": outputs["UserPoolClientId"],
            "redirect_uri": outputs["ConsoleUrl"],
        },
    }


def console_files() -> Iterator[tuple[str, Path]]:
    """(bucket key, file) of every file the local server would serve, but the local config.json."""
    for path in sorted(CONSOLE_ROOT.rglob("*")):
        relative = path.relative_to(CONSOLE_ROOT).as_posix()
        hidden = any(part.startswith(".") for part in relative.split("/"))
        if path.is_file() and path.suffix in CONTENT_TYPES and not hidden and relative != CONFIG:
            yield PREFIX.lstrip("/") + relative, path


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    (described,) = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def deploy(stack: str, *, cloudformation: Any, s3: Any, cloudfront: Any) -> dict[str, Any]:
    outputs = stack_outputs(cloudformation, stack)
    bucket = outputs["ConsoleBucketName"]
    for key, path in console_files():
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=path.read_bytes(),
            ContentType=CONTENT_TYPES[path.suffix],
            CacheControl="no-cache",
        )
    config = config_from_outputs(outputs)
    s3.put_object(
        Bucket=bucket,
        Key=PREFIX.lstrip("/") + CONFIG,
        Body=json.dumps(config, indent=2).encode(),
        ContentType=CONTENT_TYPES[".json"],
        CacheControl="no-cache",
    )
    cloudfront.create_invalidation(
        DistributionId=outputs["ConsoleDistributionId"],
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": [f"{PREFIX}*"]}, "CallerReference": str(time.time_ns())},
    )
    return config


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--stack", required=True, help="the stack `sam deploy` made")
    args = parser.parse_args(argv)
    config = deploy(
        args.stack,
        cloudformation=boto3.client("cloudformation"),
        s3=boto3.client("s3"),
        cloudfront=boto3.client("cloudfront"),
    )
    print(f"console deployed: {config['auth']['redirect_uri']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
