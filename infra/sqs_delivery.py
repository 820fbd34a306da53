"""SQS for the local server and the tests: the queues of template.yaml created in moto, and what Lambda's
event source mapping does with them (moto has none).

A poller receives a batch, hands the worker the event Lambda would (`sam local generate-event sqs
receive-message` shape) with a context whose remaining time counts down from the function's Timeout, and
deletes only the messages its `batchItemFailures` does not name; a failed message becomes visible again
after the visibility timeout, and moto's redrive policy moves it to the dead-letter queue after
`maxReceiveCount` receives.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any

import boto3

from infra import template
from infra.apigw import invoking
from infra.template import SqsEventSource

REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
POLL_INTERVAL_SECONDS = 0.5


def _sqs() -> Any:
    return boto3.client("sqs", region_name=REGION)


def queue_url(logical_id: str) -> str:
    return str(_sqs().get_queue_url(QueueName=logical_id)["QueueUrl"])


def queue_arn(logical_id: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{logical_id}"


def create_queues() -> None:
    """Every AWS::SQS::Queue of the template (named by logical id, dead-letter queues first), then every
    function-level environment variable, a queue `Ref` becoming that queue's URL (one process runs every
    function locally, so they share one environment)."""
    queues = template.resources("AWS::SQS::Queue")
    ordered = sorted(queues, key=lambda name: "RedrivePolicy" in queues[name].get("Properties", {}))
    sqs, urls = _sqs(), {}
    for name in ordered:
        props = queues[name].get("Properties", {})
        attributes = {
            key: str(props[key])
            for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
            if key in props
        }
        if "RedrivePolicy" in props:
            redrive = props["RedrivePolicy"]
            target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            attributes["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": queue_arn(target), "maxReceiveCount": int(redrive["maxReceiveCount"])}
            )
        urls[name] = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    for function in template.functions():
        for variable, value in function.properties.get("Environment", {}).get("Variables", {}).items():
            if isinstance(value, dict) and value.get("Ref") in queues:
                os.environ[variable] = urls[value["Ref"]]
            elif not isinstance(value, dict):
                os.environ[variable] = str(value)


@dataclass
class CountdownContext:
    """The Lambda context of one invocation: its remaining time runs down from the function's timeout."""

    function_name: str
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


def sqs_event(messages: list[dict[str, Any]], queue: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": message.get("MessageAttributes", {}),
                "md5OfBody": hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324 - what SQS sends
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn(queue),
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


class SqsDelivery:
    """Delivers the template's SQS event sources. `visibility_timeout` overrides the queue's (tests make a
    failed message come back at once); `context_factory` lets a test cut an invocation short; `batch_size`
    overrides the mapping's (a benchmark measures one message per invocation)."""

    def __init__(
        self, visibility_timeout: int | None = None, context_factory: Any = None, batch_size: int | None = None
    ) -> None:
        self.sources = template.sqs_event_sources()
        self.visibility_timeout = visibility_timeout
        self.batch_size = batch_size
        self.context_factory = context_factory or (
            lambda source: CountdownContext(source.function.logical_id, template.function_timeout(source.function))
        )
        self.sqs = _sqs()  # one client, made here: boto3's default session is not thread-safe
        self.urls = {source.queue: queue_url(source.queue) for source in self.sources}
        # Imported here, on the caller's thread: importing a handler on the poller's thread while the HTTP
        # thread imports another races inside Powertools' circular imports (an ImportError, a 503).
        self.handlers = {
            source.queue: getattr(importlib.import_module(source.function.module), source.function.attribute)
            for source in self.sources
        }
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver_once(self) -> int:
        """One receive and invocation per event source; returns how many messages were handed over."""
        handed = 0
        for source in self.sources:
            handed += self._deliver(source)
        return handed

    def drain(self, max_rounds: int = 1000) -> int:
        """Deliver until the queues hand nothing over; returns the messages handed over."""
        total = 0
        for _ in range(max_rounds):
            handed = self.deliver_once()
            if not handed:
                return total
            total += handed
        raise RuntimeError("the queues never drained")

    def _deliver(self, source: SqsEventSource) -> int:
        url = self.urls[source.queue]
        receive: dict[str, Any] = {
            "QueueUrl": url,
            "MaxNumberOfMessages": min(self.batch_size or source.batch_size, 10),
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self.visibility_timeout is not None:
            receive["VisibilityTimeout"] = self.visibility_timeout
        messages = self.sqs.receive_message(**receive).get("Messages", [])
        if not messages:
            return 0
        try:
            with invoking(source.function):
                result = (
                    self.handlers[source.queue](sqs_event(messages, source.queue), self.context_factory(source)) or {}
                )
        except Exception:  # a failed invocation: the whole batch comes back after the visibility timeout
            traceback.print_exc()
            return len(messages)
        failed = {item["itemIdentifier"] for item in result.get("batchItemFailures", [])}
        if not source.report_batch_item_failures and failed:
            return len(messages)
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)]
            )
        return len(messages)

    def start(self) -> SqsDelivery:
        """Poll in a background thread until `stop()`."""
        self._thread = threading.Thread(target=self._run, name="sqs-delivery", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                handed = self.deliver_once()
            except Exception:
                traceback.print_exc()
                handed = 0
            if not handed:
                self._stop.wait(POLL_INTERVAL_SECONDS)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
