"""A group of 10,000 clients created, then 5,000 of them removed (`make bench-groups`).

Seeds 10,000 clients with active relationships (in the item shape the client feed writes), then, as a
business account manager would through the API: POST /groups with as many clients as a 64 KiB body holds,
PATCH the rest in, PATCH 5,000 out. The queue is delivered to the worker as the event source mapping would.
Reports the API calls, the DynamoDB calls of the API and of the worker (write calls against the N/25 a
BatchWriteItem-only writer would need), and the most work one message did. Counted with botocore hooks
(bench/counting.py); moto's wall time is not DynamoDB's and is not reported.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bench.counting import DynamoDbCount, DynamoDbCounter
from infra import template
from infra.apigw import claims_for, invoke, rest_event, template_route
from infra.local_aws import LocalAws
from infra.sqs_delivery import SqsDelivery

CLIENTS = 10_000
REMOVED = 5_000
PROVIDER = "provider-bench"
MAX_BODY = 64 * 1024
CLAIMS = claims_for("bam-bench", "bam@provider-bench.example.com", ["business_account_manager"], PROVIDER)
WRITES = ("TransactWriteItems", "BatchWriteItem", "PutItem", "UpdateItem", "DeleteItem")


def call(
    method: str, path: str, body: Any = None, query: dict[str, str] | None = None, claims: dict[str, str] = CLAIMS
) -> tuple[int, Any]:
    route = template_route(method, path)
    text = json.dumps(body) if body is not None else None
    response = invoke(route.function, rest_event(route, path, query=query, body=text, claims=claims))
    return response["statusCode"], json.loads(response["body"])


def seed_clients(
    tenant_id: str = PROVIDER, count: int = CLIENTS, prefix: str = "CL", name: str = "Client"
) -> list[str]:
    """`count` clients with active relationships, written as the client feed writes them (its condition
    checks aside: the table starts empty)."""
    from csr import clock
    from csr.data import clients as client_store
    from csr.data.batch_write import batch_write
    from csr.data.dynamo import Transaction
    from csr.models.groups import Client, Relationship, RelationshipStatus

    expires = clock.iso(clock.now() + timedelta(days=365))
    ids = [f"{prefix}{n:06d}" for n in range(count)]
    tx = Transaction()
    for n, client_id in enumerate(ids):
        client = Client(
            client_id=client_id,
            name=f"{name} {n:06d}",
            business_number=f"{n:09d}",
            program_accounts=["RT0001"],
            relationship=Relationship(status=RelationshipStatus.ACTIVE, expires_at=expires),
        )
        client_store.add_client_write(tx, tenant_id, None, client)
    batch_write(puts=[operation["Put"]["Item"] for operation in tx.operations if "Put" in operation])
    return ids


def fitting(ids: list[str], envelope: dict[str, Any], key: str) -> int:
    """How many of `ids` one request body holds under 64 KiB."""
    low, high = 1, len(ids)
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps({**envelope, key: ids[:middle]}).encode()) <= MAX_BODY:
            low = middle
        else:
            high = middle - 1
    return low


def create_group(name: str, ids: list[str], claims: dict[str, str] = CLAIMS) -> tuple[str, int]:
    """As a business account manager would: one POST with as many clients as a body holds, PATCHes for the
    rest. Returns the group id and the API calls made; the queue is left to deliver."""
    first = fitting(ids, {"name": name}, "client_ids")
    status, created = call("POST", "/groups", {"name": name, "client_ids": ids[:first]}, claims=claims)
    assert status == 202, created
    calls, start = 1, first
    while start < len(ids):
        size = fitting(ids[start:], {"confirmation": "CONFIRM"}, "add_client_ids")
        body = {"add_client_ids": ids[start : start + size], "confirmation": "CONFIRM"}
        status, answer = call("PATCH", f"/groups/{created['group_id']}", body, claims=claims)
        assert status == 202, answer
        calls, start = calls + 1, start + size
    return str(created["group_id"]), calls


@dataclass
class Phase:
    name: str
    api_calls: int = 0
    api: DynamoDbCount = field(default_factory=DynamoDbCount)
    worker: DynamoDbCount = field(default_factory=DynamoDbCount)
    messages: int = 0
    most_calls_in_a_message: int = 0
    items_written: int = 0


class WorkerMeter:
    """Delivers the queue, counting the DynamoDB calls of each worker invocation."""

    def __init__(self, counter: DynamoDbCounter) -> None:
        self.counter = counter
        self.per_message: list[int] = []
        self.items: Counter[str] = Counter()

    def drain(self, phase: Phase) -> None:
        # One message per invocation, so that each count is one message's work.
        delivery = SqsDelivery(visibility_timeout=0, batch_size=1)
        while True:
            with self.counter.measure() as one:
                handed = delivery.deliver_once()
            if not handed:
                break
            self.per_message.append(one.calls)
            phase.messages += handed
            phase.most_calls_in_a_message = max(phase.most_calls_in_a_message, one.calls)
            for operation, count in one.by_operation.items():
                phase.worker.by_operation[operation] += count
            phase.worker.calls += one.calls
            phase.worker.items_read += one.items_read


def written_items(params: dict[str, Any], operation: str) -> int:
    if operation == "TransactWriteItems":
        return len(params["TransactItems"])
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in params["RequestItems"].values())
    return 1


def run() -> list[Phase]:
    LocalAws(password_hash_log2_n=10).start()
    from csr.data import dynamo

    ids = seed_clients()
    counter = DynamoDbCounter(dynamo.client())
    items = {"n": 0}

    def count_items(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in WRITES:
            items["n"] += written_items(params, model.name)

    dynamo.client().meta.events.register("before-parameter-build.dynamodb", count_items, unique_id="bench-items")
    worker = WorkerMeter(counter)
    phases = []

    # Create: one POST with as many clients as fit, PATCHes for the rest.
    create = Phase("create 10,000")
    with counter.measure() as api:
        group_id, create.api_calls = create_group("Bench group", ids)
    create.api = api
    before = items["n"]
    worker.drain(create)
    create.items_written = items["n"] - before
    phases.append(create)

    # Remove 5,000.
    remove = Phase("remove 5,000")
    with counter.measure() as api:
        start = 0
        while start < REMOVED:
            size = min(REMOVED - start, fitting(ids[start:REMOVED], {"confirmation": "CONFIRM"}, "remove_client_ids"))
            body = {"remove_client_ids": ids[start : start + size], "confirmation": "CONFIRM"}
            status, answer = call("PATCH", f"/groups/{group_id}", body)
            assert status == 202, answer
            remove.api_calls += 1
            start += size
    remove.api = api
    before = items["n"]
    worker.drain(remove)
    remove.items_written = items["n"] - before
    phases.append(remove)

    status, listed = call("GET", "/groups")
    assert listed["items"][0]["client_count"] == CLIENTS - REMOVED, listed
    status, requests = call("GET", "/process-requests", query={"limit": "100"})
    assert {r["status"] for r in requests["items"]} == {"completed"}, requests
    return phases


def report(phases: list[Phase]) -> None:
    from csr.services.group_worker import CLIENT_CHUNK, SAFETY_MARGIN_MS

    timeout = next(f for f in template.functions() if f.logical_id == "GroupWorkerFunction")
    seconds = template.function_timeout(timeout)
    print("| phase | API calls | API DynamoDB calls | worker messages | worker write calls (N/25) | items written |")
    print("|---|---:|---:|---:|---:|---:|")
    for phase in phases:
        n = CLIENTS if phase.name.startswith("create") else REMOVED
        writes = sum(phase.worker.by_operation[operation] for operation in WRITES)
        print(
            f"| {phase.name} | {phase.api_calls} | {phase.api.calls} | {phase.messages} | {writes} ({n // 25}) | "
            f"{phase.items_written:,} |"
        )
        print(f"|   worker calls by operation | | | | {dict(sorted(phase.worker.by_operation.items()))} | |")
    most = max(phase.most_calls_in_a_message for phase in phases)
    print(
        f"\nMost DynamoDB calls one message made: {most} (a chunk is {CLIENT_CHUNK} clients in one transaction); "
        f"the worker's timeout is {seconds} s and it stops with {SAFETY_MARGIN_MS / 1000:.0f} s left, so one "
        f"message may spend up to {(seconds * 1000 - SAFETY_MARGIN_MS) / max(most, 1):.0f} ms per call before "
        "it hands the rest to a follow-up message."
    )


if __name__ == "__main__":
    report(run())
