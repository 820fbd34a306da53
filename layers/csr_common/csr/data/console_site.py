"""The console's bucket and distribution (S3, CloudFront), and CloudFormation's answer for the custom
resource that publishes the console (csr.services.console_site)."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import ClientError

# DeleteObjects takes at most this many keys a call.
_DELETE_BATCH = 1000


@lru_cache(maxsize=1)
def _s3() -> Any:
    return boto3.client("s3")


@lru_cache(maxsize=1)
def _cloudfront() -> Any:
    return boto3.client("cloudfront")


def keys(bucket: str, prefix: str) -> set[str]:
    """The current objects' keys under `prefix`."""
    found: set[str] = set()
    for page in _s3().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        found.update(item["Key"] for item in page.get("Contents", []))
    return found


def put(bucket: str, key: str, body: bytes, content_type: str) -> None:
    """One file, revalidated by CloudFront on every read (the files are small)."""
    _s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, CacheControl="no-cache")


def _delete(bucket: str, objects: list[dict[str, str]]) -> None:
    for start in range(0, len(objects), _DELETE_BATCH):
        batch = objects[start : start + _DELETE_BATCH]
        answer = _s3().delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        if answer.get("Errors"):
            raise RuntimeError(f"S3 kept {len(answer['Errors'])} objects: {answer['Errors'][0].get('Message')}")


def delete(bucket: str, keys_: Iterable[str]) -> None:
    """Delete the current objects (the bucket keeps their earlier versions)."""
    _delete(bucket, [{"Key": key} for key in sorted(keys_)])


def purge(bucket: str, prefix: str) -> None:
    """Every version and delete marker under `prefix`: what a versioned bucket must lose before
    CloudFormation can delete it. A bucket that is already gone has nothing to purge."""
    versions: list[dict[str, str]] = []
    try:
        for page in _s3().get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                versions.append({"Key": item["Key"], "VersionId": item["VersionId"]})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return
        raise
    _delete(bucket, versions)


def invalidate(distribution_id: str, path: str) -> None:
    """CloudFront forgets its copies of `path` (a pattern such as `/console/*`)."""
    _cloudfront().create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": 1, "Items": [path]}, "CallerReference": str(time.time_ns())},
    )


def answer_cloudformation(response_url: str, answer: dict[str, Any]) -> None:
    """PUT the custom resource's answer to the pre-signed URL CloudFormation gave (no content type: the
    URL is signed without one)."""
    body = json.dumps(answer).encode()
    request = urllib.request.Request(  # noqa: S310 - CloudFormation's own https URL
        response_url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
