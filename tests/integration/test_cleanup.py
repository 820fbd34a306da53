"""The scheduled cleanup, run as EventBridge runs it (a scheduled event, a context counting down), with a
moved clock: each duty, a second run right after, and a run cut short by time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from bench.counting import DynamoDbCount, DynamoDbCounter
from csr import clock
from csr.data import deactivations, dynamo, expiry, payments
from csr.data import process_requests as request_store
from csr.data.dynamo import Transaction
from csr.models.customers import PaymentStatus
from csr.services import cleanup
from infra.schedules import run_once, schedule_of
from infra.sqs_delivery import CountdownContext, SqsDelivery, queue_url
from tests.support.api import Api
from tests.support.credentials import send_link
from tests.support.customers import ACK, TENANT, create_customer, customer_with_payments
from tests.support.faults import Killed, injected, interrupt_after
from tests.support.groups import (
    PROVIDER,
    bam,
    clients_per_transaction,
    create_group,
    deliver,
    group_of,
    put_clients,
    request_of,
)
from tests.support.tables import all_items

NOTHING = {
    "deleted": {"reset_tokens": 0, "recovery_codes": 0, "impersonation_sessions": 0},
    "relationships_expired": 0,
    "deactivations_finished": 0,
    "requests_requeued": 0,
    "requests_failed": 0,
    "finished": True,
}


@dataclass
class ShortContext:
    """A Lambda context with plenty of time for `calls` looks at the clock, then less than the margin."""

    calls: int
    seen: int = 0

    def get_remaining_time_in_millis(self) -> int:
        self.seen += 1
        return 60_000 if self.seen <= self.calls else cleanup.SAFETY_MARGIN_MS - 1

    # What Powertools' logger reads from a context.
    function_name: str = "CleanupFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:cleanup"
    aws_request_id: str = field(default="short-run")


def run(context: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = run_once(schedule_of("cleanup"), context)
    return answer


def expiring_items() -> list[dict[str, Any]]:
    return [item for item in all_items() if "expires_at" in item]


def issue_all(csr: Api, n: int) -> str:
    """A customer with a reset link, a recovery code and an impersonation session (all live)."""
    customer_id = str(create_customer(csr, n)["customer_id"])
    assert send_link(csr, customer_id)[0] == 202
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    assert csr.call("POST", f"/customers/{customer_id}/impersonation")[0] == 201
    return customer_id


def test_expired_credentials_of_every_tenant_leave_once_and_live_ones_stay(csr: Api) -> None:
    other_tenant = csr.as_(groups=["csr"], tenant_id="utility-b")
    renewed = issue_all(csr, 1)
    issue_all(other_tenant, 2)
    assert len(expiring_items()) == 8  # per customer: token, pointer, code, session
    # Nothing has expired yet: nothing is deleted
    assert run() == NOTHING
    assert len(expiring_items()) == 8
    # After 15 minutes the sessions have expired (TTL has not deleted them: moto, like DynamoDB, is late)
    clock.advance(15 * 60 + 1)
    assert run()["deleted"] == {"reset_tokens": 0, "recovery_codes": 0, "impersonation_sessions": 2}
    # After a day the links and codes too, but for a code issued again in the meantime
    assert csr.call("POST", f"/customers/{renewed}/recovery-code")[0] == 201
    clock.advance(24 * 3600 - 60)
    assert run()["deleted"] == {"reset_tokens": 2, "recovery_codes": 1, "impersonation_sessions": 0}
    (left,) = expiring_items()
    assert (left["sk"], clock.parse_iso(left["expires_at"]) > clock.now()) == ("CODE#RECOVERY", True)
    assert csr.call("GET", f"/customers/{renewed}/recovery-code")[1]["active"] is True
    # A second run right after does nothing more
    assert run() == NOTHING


def test_an_item_reissued_after_it_was_read_is_not_deleted(csr: Api) -> None:
    customer_id = str(create_customer(csr)["customer_id"])
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    clock.advance(25 * 3600)
    moment = clock.now()
    hours = expiry.hours(moment - timedelta(hours=48), moment)
    (entry,) = [e for hour in hours for e in expiry.due_entries(hour, moment, 100)[0]]
    # A CSR issues a new code between the job's read and its delete
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    assert expiry.delete_expired(entry, moment) is False
    assert csr.call("GET", f"/customers/{customer_id}/recovery-code")[1]["active"] is True


def test_relationships_past_their_end_date_leave_their_groups_through_a_system_request(api: Api) -> None:
    ending = put_clients(api, 2, prefix="S", days=1)
    lasting = put_clients(api, 1, prefix="L", days=30)
    group_id, _ = create_group(api, "Ending", [*ending, *lasting])
    deliver()
    assert run() == NOTHING
    clock.advance(2 * 86400)
    assert run() == {**NOTHING, "relationships_expired": 2}
    (request,) = bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"]
    assert (request["initiated_by"], request["operation"], request["items_total"]) == (
        "system",
        "remove_expired_clients",
        2,
    )
    deliver()
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == lasting
    assert run() == NOTHING


def drop_queued_messages() -> int:
    """A lost message: what the worker never receives."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = queue_url("GroupQueue")
    dropped = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        dropped += len(messages)
    return dropped


def test_a_stuck_request_is_queued_again_then_failed_with_a_reason(api: Api) -> None:
    clients = put_clients(api, 2)
    group_id, request_id = create_group(api, "Stuck", clients)
    assert drop_queued_messages() == 1
    clock.advance(14 * 60)
    assert run() == NOTHING  # not stuck yet
    for attempt in range(1, cleanup.MAX_REQUEUES + 1):
        clock.advance(16 * 60)
        assert run() == {**NOTHING, "requests_requeued": 1}, attempt
        assert run() == NOTHING  # a run right after leaves it alone
        assert drop_queued_messages() == 1
    clock.advance(16 * 60)
    assert run() == {**NOTHING, "requests_failed": 1}
    request = request_of(api, request_id)
    assert (request["status"], request["error"]) == ("failed", cleanup.STUCK_REASON)
    status, group = group_of(api, group_id)  # a create that failed fails its group
    assert (status, group["status"], group["clients"]) == (200, "failed", [])
    clock.advance(16 * 60)
    assert run() == NOTHING


def test_a_requeued_request_that_then_completes_is_left_alone(api: Api) -> None:
    _group_id, request_id = create_group(api, "Slow", put_clients(api, 2))
    assert drop_queued_messages() == 1
    clock.advance(16 * 60)
    assert run() == {**NOTHING, "requests_requeued": 1}
    deliver()  # the message queued again is applied
    assert request_of(api, request_id)["status"] == "completed"
    clock.advance(16 * 60)
    assert run() == NOTHING


def test_a_request_that_made_progress_is_not_counted_as_stuck(api: Api) -> None:
    _group_id, request_id = create_group(api, "Progressing", put_clients(api, 2))
    assert drop_queued_messages() == 1
    # The worker applied part of it (and then its message was lost)
    tx = Transaction()
    request_store.add_progress(tx, PROVIDER, request_id, 0, 1)
    tx.commit()
    clock.advance(16 * 60)
    assert run() == NOTHING
    clock.advance(16 * 60)  # no progress since the last look
    assert run() == {**NOTHING, "requests_requeued": 1}


def test_a_run_cut_short_by_time_stops_and_the_next_one_finishes(csr: Api, api: Api) -> None:
    for n in range(1, 4):
        issue_all(csr, n)
    put_clients(api, 1, prefix="S", days=1)
    group_id, _ = create_group(api, "Ending", ["S00000"])
    deliver()
    clock.advance(2 * 86400)
    first = run(ShortContext(calls=20))  # about 20 hours of the due index
    assert first["finished"] is False
    assert 0 < sum(first["deleted"].values()) < 9
    second = run()
    assert second["finished"] is True
    totals = {kind: first["deleted"][kind] + second["deleted"][kind] for kind in first["deleted"]}
    assert totals == {"reset_tokens": 3, "recovery_codes": 3, "impersonation_sessions": 3}
    assert first["relationships_expired"] + second["relationships_expired"] == 1
    assert expiring_items() == []
    assert run() == NOTHING
    # With no time at all a run does nothing and says so
    assert run(ShortContext(calls=0)) == {**NOTHING, "finished": False}
    assert group_of(api, group_id)[0] == 200


@dataclass
class FakeDeactivations:
    """The lock capability's side, as the cleanup sees it: markers left by deactivations cut short."""

    markers: dict[tuple[str, str], datetime]
    failing: set[tuple[str, str]] = field(default_factory=set)
    finished: list[tuple[str, str]] = field(default_factory=list)

    def interrupted(self, started_before: datetime, limit: int) -> list[tuple[str, str]]:
        found = sorted((at, key) for key, at in self.markers.items() if at < started_before)
        return [key for _, key in found[:limit]]

    def finish(self, tenant_id: str, customer_id: str) -> None:
        if (tenant_id, customer_id) in self.failing:
            raise RuntimeError("a dependency failed")
        del self.markers[(tenant_id, customer_id)]
        self.finished.append((tenant_id, customer_id))


def test_interrupted_deactivations_are_finished_and_a_failing_one_does_not_stop_the_others(aws: object) -> None:
    now = clock.now()
    markers = {("utility-a", f"c{n}"): now - timedelta(hours=1, minutes=n) for n in range(30)}
    markers[("utility-b", "recent")] = now - timedelta(minutes=1)  # its request may still be writing it
    deactivations = FakeDeactivations(dict(markers), failing={("utility-a", "c3")})
    report = cleanup.run(lambda: 60_000, deactivations)
    assert (report.deactivations_finished, report.finished) == (29, True)
    assert set(deactivations.markers) == {("utility-a", "c3"), ("utility-b", "recent")}
    assert deactivations.finished[0] == ("utility-a", "c29")  # oldest first
    deactivations.failing.clear()
    assert cleanup.run(lambda: 60_000, deactivations).deactivations_finished == 1


def test_every_duty_reads_indexes_never_a_scan(csr: Api, api: Api) -> None:
    issue_all(csr, 1)
    put_clients(api, 1, prefix="S", days=1)
    create_group(api, "Ending", ["S00000"])
    deliver()
    create_group(api, "Lost", put_clients(api, 1, prefix="L"))
    drop_queued_messages()
    clock.advance(2 * 86400)
    counter = DynamoDbCounter(dynamo.client())
    with counter.measure() as count:
        report = run()
    counter.close()
    assert (sum(report["deleted"].values()), report["relationships_expired"], report["requests_requeued"]) == (3, 1, 1)
    assert "Scan" not in count.by_operation
    assert count.by_operation["Query"] >= 1


@dataclass
class FirstChunkOnly(CountdownContext):
    """The worker's context: time until it has written a transaction (its first chunk), then too little."""

    written: DynamoDbCount = field(default_factory=DynamoDbCount)

    def get_remaining_time_in_millis(self) -> int:
        return 1_000 if self.written.by_operation["TransactWriteItems"] else 60_000


def test_a_stuck_request_that_had_added_clients_takes_them_out_when_it_fails(api: Api) -> None:
    clients = put_clients(api, 99)  # several chunks of the worker
    group_id, request_id = create_group(api, "Half", clients)
    counter = DynamoDbCounter(dynamo.client())
    with counter.measure() as written:
        delivery = SqsDelivery(
            visibility_timeout=0,
            context_factory=lambda source: FirstChunkOnly(source.function.logical_id, 60, written=written),
        )
        assert delivery.deliver_once() == 1
    counter.close()
    assert drop_queued_messages() == 1  # its follow-up message is lost
    assert request_of(api, request_id)["items_done"] == clients_per_transaction()
    clock.advance(16 * 60)
    assert run() == NOTHING  # it made progress since it was created
    for _ in range(cleanup.MAX_REQUEUES):
        clock.advance(16 * 60)
        assert run() == {**NOTHING, "requests_requeued": 1}
        assert drop_queued_messages() == 1
    clock.advance(16 * 60)
    assert run() == {**NOTHING, "requests_failed": 1}
    assert request_of(api, request_id)["status"] == "failed"
    status, group = group_of(api, group_id)
    assert (status, group["status"], group["clients"]) == (200, "failed", [])
    # the clients it had added are free again
    _group_id, again = create_group(api, "Again", clients[:2])
    deliver()
    assert request_of(api, again)["status"] == "completed"


def test_a_deactivation_cut_short_is_finished_by_the_cleanup(csr: Api) -> None:
    customer_id, _open_ids = customer_with_payments(csr, 150)
    with injected(interrupt_after(1)), pytest.raises(Killed):
        csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    open_statuses = frozenset({PaymentStatus.SCHEDULED, PaymentStatus.PENDING})
    assert payments.payments(TENANT, customer_id, open_statuses)  # some payments still scheduled
    assert run() == NOTHING  # within the grace period its own request may still be writing it
    clock.advance(cleanup.DEACTIVATION_GRACE.total_seconds() + 1)
    assert run() == {**NOTHING, "deactivations_finished": 1}
    assert payments.payments(TENANT, customer_id, open_statuses) == []
    assert deactivations.interrupted_deactivations(clock.now() + timedelta(days=1)) == []
    assert run() == NOTHING
