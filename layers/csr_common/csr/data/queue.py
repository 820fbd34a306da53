"""The process-request queue (SQS): a message names a request that is already stored, nothing more."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from csr.data.errors import DataUnavailable
from csr.settings import get_settings


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("sqs")


def send_request(tenant_id: str, request_id: str, delay_seconds: int = 0) -> None:
    """Queue the stored request `request_id`; a failure is `DataUnavailable` for the caller to undo around."""
    body = json.dumps({"tenant_id": tenant_id, "request_id": request_id})
    try:
        _client().send_message(QueueUrl=get_settings().group_queue_url, MessageBody=body, DelaySeconds=delay_seconds)
    except (ClientError, BotoCoreError) as exc:
        raise DataUnavailable() from exc
