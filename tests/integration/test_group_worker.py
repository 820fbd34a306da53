"""The group worker's robustness: chunks, unprocessed items, redelivery, races, timeouts, the DLQ."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from csr.data import dynamo, keys
from csr.services import group_worker
from infra.sqs_delivery import CountdownContext, SqsDelivery, queue_url
from tests.support.api import Api
from tests.support.groups import (
    PROVIDER,
    bam,
    create_group,
    deliver,
    group_of,
    put_clients,
    request_of,
)

MAX_RECEIVES = 5


class Calls:
    """Records the DynamoDB calls of the table's client, with their parameters (botocore events)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, params))

    def of(self, operation: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == operation]


@pytest.fixture
def calls(api: Api) -> Iterator[Calls]:
    recorder = Calls()
    events = dynamo.client().meta.events
    events.register("before-parameter-build.dynamodb", recorder, unique_id="test-calls")
    yield recorder
    events.unregister("before-parameter-build.dynamodb", unique_id="test-calls")


def messages_in(queue: str) -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=queue_url(queue),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def send_raw(body: str) -> None:
    boto3.client("sqs").send_message(QueueUrl=queue_url("GroupQueue"), MessageBody=body)


def test_a_large_group_is_written_in_transactions_of_at_most_100_items(api: Api, calls: Calls) -> None:
    ids = put_clients(api, 250)
    group_id, request_id = create_group(api, "Large", ids)
    calls.calls.clear()
    deliver()
    transactions = [len(params["TransactItems"]) for params in calls.of("TransactWriteItems")]
    # chunks of 32 clients (a guard and two available-index entries each, + progress + count), then the end
    assert transactions == [98] * 7 + [26 * 3 + 2, 2]
    done = request_of(api, request_id)
    assert (done["status"], done["items_done"], done["items_total"]) == ("completed", 250, 250)
    assert bam(api).call("GET", "/groups")[1]["items"][0]["client_count"] == 250
    assert len(group_of(api, group_id)[1]["clients"]) == 250


def test_deleting_a_group_writes_batches_of_at_most_25_and_retries_unprocessed_items(api: Api, calls: Calls) -> None:
    ids = put_clients(api, 60)
    group_id, _ = create_group(api, "To delete", ids)
    deliver()
    # Given DynamoDB hands back some items of the first two batches unprocessed (moto never does)
    table_calls = {"n": 0}

    def unprocess(parsed: dict[str, Any], model: Any, **_: Any) -> None:
        table_calls["n"] += 1
        if table_calls["n"] <= 2:
            requests = calls.of("BatchWriteItem")[-1]["RequestItems"]
            (name,) = requests
            parsed["UnprocessedItems"] = {name: requests[name][:3]}

    events = dynamo.client().meta.events
    events.register("after-call.dynamodb.BatchWriteItem", unprocess, unique_id="unprocess")
    try:
        calls.calls.clear()
        status, deleted, _ = bam(api).call("DELETE", f"/groups/{group_id}", query={"confirmation": "DELETE"})
        assert status == 202
        deliver()
    finally:
        events.unregister("after-call.dynamodb.BatchWriteItem", unique_id="unprocess")
    batches = [sum(len(items) for items in p["RequestItems"].values()) for p in calls.of("BatchWriteItem")]
    assert max(batches) <= 25
    # per page of 25 guards: their 50 available-index entries first (25 + 25), then the 25 guards; the last
    # page's 10 in 20 and 10. The first batch's 3 unprocessed items come back unprocessed once more, and are
    # retried until written
    assert batches == [25, 3, 3, 25, 25] * 1 + [25, 25, 25] + [20, 10]
    assert request_of(api, deleted["request_id"])["items_done"] == 60
    status, page, _ = bam(api).call("GET", "/groups/available-clients", query={"limit": "100"})
    assert len(page["items"]) == 60


def test_a_redelivered_message_applies_nothing_twice(api: Api) -> None:
    ids = put_clients(api, 3)
    _group_id, request_id = create_group(api, "Once", ids)
    deliver()
    # When the same message is delivered again (SQS delivers at least once)
    send_raw(json.dumps({"tenant_id": PROVIDER, "request_id": request_id}))
    deliver()
    done = request_of(api, request_id)
    assert (done["status"], done["items_done"]) == ("completed", 3)
    assert bam(api).call("GET", "/groups")[1]["items"][0]["client_count"] == 3


def test_a_worker_that_crashes_mid_request_is_finished_by_the_redelivery(api: Api, calls: Calls) -> None:
    ids = put_clients(api, 200)
    _, request_id = create_group(api, "Crashy", ids)
    calls.calls.clear()
    crashes = {"n": 0}

    def crash_second_chunk(params: dict[str, Any], **_: Any) -> None:
        if len(calls.of("TransactWriteItems")) == 2 and not crashes["n"]:
            crashes["n"] += 1
            raise RuntimeError("the Lambda instance died")

    events = dynamo.client().meta.events
    events.register("before-call.dynamodb.TransactWriteItems", crash_second_chunk, unique_id="crash")
    try:
        deliver()
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="crash")
    assert crashes["n"] == 1
    done = request_of(api, request_id)
    assert (done["status"], done["items_done"]) == ("completed", 200)
    assert bam(api).call("GET", "/groups")[1]["items"][0]["client_count"] == 200


def test_a_worker_near_its_timeout_stops_and_a_follow_up_message_goes_on(api: Api, calls: Calls) -> None:
    ids = put_clients(api, 250)
    _, request_id = create_group(api, "Slow", ids)
    invocations: list[int] = []

    class ShortLived(CountdownContext):
        """Time runs out once the first chunk is written."""

        def get_remaining_time_in_millis(self) -> int:
            return 60_000 if len(calls.of("TransactWriteItems")) < invocations[-1] + 1 else 1_000

    def context(source: Any) -> ShortLived:
        invocations.append(len(calls.of("TransactWriteItems")))
        return ShortLived(source.function.logical_id, 60)

    delivery = SqsDelivery(visibility_timeout=0, context_factory=context)
    assert delivery.deliver_once() == 1
    stopped = request_of(api, request_id)
    assert (stopped["status"], stopped["items_done"]) == ("pending", group_worker.CLIENT_CHUNK)
    assert messages_in("GroupQueue") == 1  # the follow-up
    delivery.drain()
    assert len(invocations) == -(-250 // group_worker.CLIENT_CHUNK)  # a chunk each; the last one also ends it
    done = request_of(api, request_id)
    assert (done["status"], done["items_done"]) == ("completed", 250)
    assert bam(api).call("GET", "/groups")[1]["items"][0]["client_count"] == 250


def test_a_poisoned_message_reaches_the_dlq_with_its_request_failed(api: Api) -> None:
    ids = put_clients(api, 2)
    group_id, request_id = create_group(api, "Poisoned", ids)
    # Given a record the worker cannot read (a bug, corrupt data): every attempt raises
    from tests.support.tables import table

    table().update_item(
        Key={"pk": keys.client_pk(PROVIDER, ids[1]), "sk": keys.PROFILE_SK}, UpdateExpression="REMOVE relationship"
    )
    delivery = SqsDelivery(visibility_timeout=0)
    for attempt in range(1, MAX_RECEIVES + 1):
        assert delivery.deliver_once() == 1
        assert messages_in("GroupQueue") == 1
        expected = "pending" if attempt < MAX_RECEIVES else "failed"
        assert request_of(api, request_id)["status"] == expected
    # the next receive finds the message moved to the dead-letter queue
    assert delivery.deliver_once() == 0
    assert messages_in("GroupQueue") == 0
    assert messages_in("GroupDeadLetterQueue") == 1
    failed = request_of(api, request_id)
    assert (failed["status"], failed["error"]) == ("failed", group_worker.UNEXPECTED_FAILURE)
    assert group_of(api, group_id)[1]["status"] == "failed"
    # the failed group gave its name back, and took nothing
    create_group(api, "Poisoned", ids[:1])


def test_a_message_that_is_not_a_request_goes_to_the_dlq(api: Api) -> None:
    send_raw("not json")
    delivery = SqsDelivery(visibility_timeout=0)
    for _ in range(MAX_RECEIVES):
        delivery.deliver_once()
    assert delivery.deliver_once() == 0
    assert messages_in("GroupDeadLetterQueue") == 1


def test_two_requests_racing_for_one_client_have_one_winner(api: Api) -> None:
    ids = put_clients(api, 3)
    # Both pass the API's check: neither is applied yet
    winner_group, first = create_group(api, "First", [ids[0], ids[1]])
    loser_group, second = create_group(api, "Second", [ids[2], ids[1]])
    deliver()
    outcomes = {request_of(api, first)["status"], request_of(api, second)["status"]}
    assert outcomes == {"completed", "failed"}
    failed = request_of(api, second if request_of(api, second)["status"] == "failed" else first)
    assert failed["error"] == f"Client {ids[1]} joined another group of this provider while this request waited."
    # the loser's other client is free again, its group failed and its name free
    loser = failed["group_id"]
    assert group_of(api, loser)[1]["status"] == "failed"
    assert group_of(api, loser)[1]["clients"] == []
    winner = winner_group if loser == loser_group else loser_group
    assert ids[1] in [c["client_id"] for c in group_of(api, winner)[1]["clients"]]
    create_group(api, failed["group_name"], [ids[2]] if loser == loser_group else [ids[0]])


@pytest.mark.usefixtures("separate_environments")
def test_workers_racing_in_parallel_for_one_client_have_one_winner(api: Api) -> None:
    # Service calls stand in for parallel Lambda instances, one request each.
    ids = put_clients(api, 1)
    requests = [create_group(api, f"Parallel {n}", ids)[1] for n in range(6)]
    start = threading.Barrier(len(requests))
    outcomes: list[str] = []

    def apply(request_id: str) -> None:
        start.wait()
        outcomes.append(group_worker.apply_request(PROVIDER, request_id, group_worker.Budget(lambda: 60_000)).value)

    threads = [threading.Thread(target=apply, args=(rid,)) for rid in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["completed"] + ["failed"] * 5
    statuses = [request_of(api, rid)["status"] for rid in requests]
    assert statuses.count("completed") == 1
    assert sum(g["client_count"] for g in bam(api).call("GET", "/groups")[1]["items"]) == 1


def test_a_request_waits_while_another_applies_to_its_group(api: Api) -> None:
    ids = put_clients(api, 2)
    group_id, create = create_group(api, "Busy", ids[:1])
    _status, patched, _ = bam(api).call(
        "PATCH", f"/groups/{group_id}", {"add_client_ids": ids[1:], "confirmation": "CONFIRM"}
    )
    # the create holds the group (as if its worker were still running)
    from csr.data import groups as group_store

    assert group_store.claim_group(PROVIDER, group_id, create)
    outcome = group_worker.apply_request(PROVIDER, patched["request_id"], group_worker.Budget(lambda: 60_000))
    assert outcome is group_worker.Outcome.DEFERRED
    assert request_of(api, patched["request_id"])["status"] == "pending"
    deliver()
    assert request_of(api, patched["request_id"])["status"] == "completed"
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == ids


def test_one_bad_message_in_a_batch_fails_alone(api: Api) -> None:
    ids = put_clients(api, 1)
    _, request_id = create_group(api, "Batched", ids)
    send_raw("{}")
    # Given both messages handed to the worker in one batch
    assert SqsDelivery(visibility_timeout=0).deliver_once() == 2
    # Then the good one was applied and deleted; only the bad one is back in the queue
    assert request_of(api, request_id)["status"] == "completed"
    assert messages_in("GroupQueue") == 1
    assert boto3.client("sqs").receive_message(QueueUrl=queue_url("GroupQueue"))["Messages"][0]["Body"] == "{}"


def test_the_worker_fails_a_request_on_the_receive_the_redrive_policy_makes_its_last() -> None:
    from infra import template

    queue = template.resources("AWS::SQS::Queue")["GroupQueue"]["Properties"]
    worker = next(f for f in template.functions() if f.logical_id == "GroupWorkerFunction")
    assert (
        int(worker.properties["Environment"]["Variables"]["GROUP_QUEUE_MAX_RECEIVES"])
        == int(queue["RedrivePolicy"]["maxReceiveCount"])
        == MAX_RECEIVES
    )


@pytest.mark.parametrize(
    "change",
    [
        # clients that are not members: one available, one unknown
        {"remove_client_ids": ["C00001", "NOPE"]},
        # a client that is a member already
        {"add_client_ids": ["C00000"]},
    ],
    ids=["remove non-members", "add a member"],
)
def test_a_change_that_moves_no_client_completes_and_leaves_the_group_free(api: Api, change: dict[str, Any]) -> None:
    ids = put_clients(api, 2)
    assert ids == ["C00000", "C00001"]
    group_id, _ = create_group(api, "Steady", ids[:1])
    deliver()
    # Given an accepted change that moves no client once the worker runs
    status, accepted, _ = bam(api).call("PATCH", f"/groups/{group_id}", {**change, "confirmation": "CONFIRM"})
    assert status == 202, accepted
    deliver()
    # Then the request completes, the group keeps its one client, and the group takes the next change
    assert request_of(api, accepted["request_id"])["status"] == "completed"
    assert [client["client_id"] for client in group_of(api, group_id)[1]["clients"]] == ["C00000"]
    status, renamed, _ = bam(api).call("PATCH", f"/groups/{group_id}", {"name": "Renamed", "confirmation": "CONFIRM"})
    assert status == 202, renamed
    deliver()
    assert request_of(api, renamed["request_id"])["status"] == "completed"
    assert group_of(api, group_id)[1]["name"] == "Renamed"
