"""The console in the stack: a CloudFormation custom resource (ConsoleSite in template.yaml) publishes the
console's static files, shipped as a Lambda layer (ConsoleLayer: console/ mounted as-is at /opt), to the
console bucket with the config.json the stack's own values make, and invalidates CloudFront's copies.

Create and Update copy every file (with its content type), delete the files no longer shipped, write
config.json, invalidate `/console/*`; Delete removes every version of the console's files, so the
versioned bucket can be deleted with the stack. Whatever happens, CloudFormation gets its answer: SUCCESS,
or FAILED with the reason (a stack waits an hour for a custom resource that never answers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from csr.data import console_site

PREFIX = "console/"
CONFIG = "config.json"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Lambda mounts every layer of a function at /opt: the console's files are at its top, the common layer's
# Python packages under python/, which is not the console's.
NOT_CONSOLE = frozenset({"python"})
# The custom resource's properties (CloudFormation passes them as strings).
REQUIRED = ("BucketName", "DistributionId", "HostedUiDomain", "ClientId", "RedirectUri")


def files(root: Path) -> Iterator[tuple[str, Path]]:
    """(path under /console/, file) of every file the console serves: a known type, no hidden part, never
    the local config.json (the deploy writes its own)."""
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        hidden = any(part.startswith(".") for part in parts)
        if path.is_file() and path.suffix in CONTENT_TYPES and not hidden and parts[0] not in NOT_CONSOLE:
            relative = "/".join(parts)
            if relative != CONFIG:
                yield relative, path


def config(domain: str, client_id: str, redirect_uri: str) -> dict[str, Any]:
    """The deployed console's config.json (console/js/app.js and auth.js read it): sign-in through the
    hosted UI; `api_base` "" since CloudFront serves the API's people's routes on the console's domain."""
    return {
        "api_base": "",
        "auth": {"mode": "cognito", "domain": domain, "client_id": client_id, "redirect_uri": redirect_uri},
    }


def publish(root: Path, properties: Mapping[str, str]) -> dict[str, Any]:
    """Copy the console from `root` to the bucket, write its config.json, drop what is no longer shipped."""
    bucket = properties["BucketName"]
    shipping = list(files(root))
    if ("index.html", root / "index.html") not in shipping:
        # The layer is not mounted where it should be: publishing nothing would delete the live console.
        raise FileNotFoundError(f"no console at {root}")
    written = config(properties["HostedUiDomain"], properties["ClientId"], properties["RedirectUri"])
    shipped = {PREFIX + CONFIG}
    for relative, path in shipping:
        console_site.put(bucket, PREFIX + relative, path.read_bytes(), CONTENT_TYPES[path.suffix])
        shipped.add(PREFIX + relative)
    console_site.put(bucket, PREFIX + CONFIG, json.dumps(written, indent=2).encode(), CONTENT_TYPES[".json"])
    console_site.delete(bucket, console_site.keys(bucket, PREFIX) - shipped)
    console_site.invalidate(properties["DistributionId"], f"/{PREFIX}*")
    return written


def _answer(event: Mapping[str, Any], status: str, physical_id: str, reason: str = "") -> dict[str, Any]:
    answer = {
        "Status": status,
        "PhysicalResourceId": physical_id,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
    }
    if reason:
        answer["Reason"] = reason[:1000]
    return answer


def handle(event: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """Carry out one CloudFormation request and send its answer to the event's ResponseURL; returns it."""
    properties = event.get("ResourceProperties") or {}
    # One bucket, one resource: an Update that keeps the bucket keeps the id (no Delete of the old one).
    physical_id = event.get("PhysicalResourceId") or f"{properties.get('BucketName', 'console')}/{PREFIX}"
    try:
        missing = [name for name in REQUIRED if not properties.get(name)]
        if event.get("RequestType") == "Delete":
            if properties.get("BucketName"):
                console_site.purge(properties["BucketName"], PREFIX)
        elif missing:
            raise ValueError(f"missing properties: {', '.join(missing)}")
        else:
            publish(root, properties)
            physical_id = f"{properties['BucketName']}/{PREFIX}"
        answer = _answer(event, "SUCCESS", physical_id)
    except Exception as exc:  # every failure must reach CloudFormation: never hang the stack
        answer = _answer(event, "FAILED", physical_id, f"{type(exc).__name__}: {exc}")
    console_site.answer_cloudformation(str(event["ResponseURL"]), answer)
    return answer
