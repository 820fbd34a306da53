"""Fault injection with botocore event hooks: every client the product creates (DynamoDB, SES, SSM, SQS) gets
a `before-call` hook that can raise an AWS error, or stop the process, on a chosen call.

Clients are created lazily and each copies its session's event handlers when created, so the hook goes
into boto3's default session (the product's DynamoDB, SES and SQS clients) and into botocore's built-in
handlers (every new session: Powertools' SSM provider and idempotency store), and the cached clients are
dropped: the next client of each service carries it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.handlers
from botocore.exceptions import ClientError

from csr import email, idempotency
from csr.data import console_site, dynamo, machine_clients, queue


class Killed(BaseException):
    """The Lambda runtime ending an invocation (a timeout, a crash): no handler code runs after it."""


def aws_error(code: str, operation: str, status: int = 400, **extra: Any) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"injected {code}"}, **extra}, operation)


@dataclass
class Fault:
    """Raise `make_error()` on the calls of `service.operation` (`*` for any, `A|B` for either) after the
    first `after` of them went through, at most `times` times (None: every time); with `table`, only on the
    calls on that DynamoDB table (a request's `TableName`)."""

    service: str
    operation: str
    make_error: Callable[[str], BaseException]
    after: int = 0
    times: int | None = None
    seen: int = 0
    raised: int = 0
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (operation, request dict) seen
    table: str | None = None

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if self.operation != "*" and model.name not in self.operation.split("|"):
            return
        if self.table is not None and json.loads(params["body"]).get("TableName") != self.table:
            return
        self.seen += 1
        self.calls.append((model.name, params))
        if self.seen > self.after and (self.times is None or self.raised < self.times):
            self.raised += 1
            raise self.make_error(model.name)


def watching(service: str, operation: str = "*") -> Fault:
    """A fault that never fires: it only records the calls."""
    return Fault(service, operation, AssertionError, after=10**9)


def drop_clients() -> None:
    """Forget every cached client (and Powertools' cached parameters, which may hold an earlier test's
    secret, and machine callers' registrations read from an earlier test's table): the next call builds
    them afresh."""
    from aws_lambda_powertools.utilities.parameters.constants import DEFAULT_PROVIDERS

    dynamo._resource.cache_clear()
    queue._client.cache_clear()
    console_site._s3.cache_clear()
    console_site._cloudfront.cache_clear()
    email._client.cache_clear()
    idempotency._persistence.cache_clear()
    DEFAULT_PROVIDERS.clear()
    machine_clients.forget_cached()


@contextmanager
def injected(fault: Fault) -> Iterator[Fault]:
    event = f"before-call.{fault.service}"
    handler = (event, fault)
    default_events = boto3._get_default_session()._session.get_component("event_emitter")
    botocore.handlers.BUILTIN_HANDLERS.append(handler)
    default_events.register(event, fault, unique_id=f"fault-{id(fault)}")
    drop_clients()
    try:
        yield fault
    finally:
        botocore.handlers.BUILTIN_HANDLERS.remove(handler)
        default_events.unregister(event, unique_id=f"fault-{id(fault)}")
        drop_clients()


def interrupt_after(parts: int) -> Fault:
    """The invocation dies (a timeout) as it starts writing part `parts + 1` of a change made in parts."""
    return Fault("dynamodb", "TransactWriteItems", lambda _op: Killed(), after=parts, times=1)
