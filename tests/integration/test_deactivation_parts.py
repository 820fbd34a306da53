"""Deactivation at any volume: every open payment cancelled, in parts of at most 100 items each with its
own entries, and a deactivation cut short finished by the next attempt or by the cleanup job's call."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from bench.counting import DynamoDbCount, DynamoDbCounter
from csr import clock
from csr.data import customers as customer_store
from csr.data import deactivations, dynamo, keys, payments
from csr.data.dynamo import MAX_TRANSACTION_ITEMS, Transaction
from csr.models.customers import PaymentStatus, PortalStatus
from csr.services import deactivation
from infra import apigw, template
from infra.schedules import run_once, schedule_of
from tests.support.api import Api
from tests.support.customers import ACK, TENANT, activity, customer_with_payments, portal_of
from tests.support.faults import Fault, Killed, injected, interrupt_after, watching


def transaction_sizes(fault: Fault) -> list[int]:
    return [len(json.loads(params["body"])["TransactItems"]) for _, params in fault.calls]


def assert_fully_deactivated(customer_id: str, open_ids: list[str], answer: dict[str, Any]) -> None:
    assert answer["portal_status"] == "permanent_lock"
    assert sorted(p["payment_id"] for p in answer["cancelled_payments"]) == sorted(open_ids)
    assert {p["status"] for p in answer["cancelled_payments"]} <= {"cancelled"}
    dates = [(p["scheduled_for"], p["payment_id"]) for p in answer["cancelled_payments"]]
    assert dates == sorted(dates)
    stored = {p.payment_id: p.status for p in payments.payments(TENANT, customer_id)}
    assert [pid for pid, status in stored.items() if status in (PaymentStatus.SCHEDULED, PaymentStatus.PENDING)] == []
    assert all(stored[pid] is PaymentStatus.CANCELLED for pid in open_ids)
    assert Counter(s for s in stored.values())[PaymentStatus.COMPLETED] == 3
    assert portal_of(customer_id).status is PortalStatus.PERMANENT_LOCK
    entries = activity(customer_id)
    cancelled_entries = Counter(e["details"]["payment_id"] for e in entries if e["type"] == "payment_cancelled")
    assert cancelled_entries == Counter(open_ids), "each cancellation has exactly one entry"
    assert [e["type"] for e in entries].count("account_deactivated") == 1
    assert {e["actor"]["id"] for e in entries if e["type"] == "payment_cancelled"} == {"csr-1"}
    assert deactivations.interrupted_deactivations(clock.now() + timedelta(days=1)) == []


@pytest.mark.parametrize("count", [deactivation.CANCELLATIONS_PER_PART, 150, 1000])
def test_every_open_payment_is_cancelled_in_parts_that_each_fit_a_transaction(csr: Api, count: int) -> None:
    customer_id, open_ids = customer_with_payments(csr, count)
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    assert_fully_deactivated(customer_id, open_ids, answer)


def test_a_deactivation_reads_each_payment_once_not_once_per_part(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 1000)
    counter = DynamoDbCounter(dynamo.client())
    with counter.measure() as count:
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    counter.close()
    assert status == 200, answer
    print(f"1,000 payments: {count.items_read} items read, {dict(count.by_operation)}")
    # 1,003 payment items and the customer's own few: read once, not once for each of the 25 parts
    assert count.items_read < 1003 + 100, count
    assert count.by_operation["TransactWriteItems"] == 25
    assert_fully_deactivated(customer_id, open_ids, answer)


def test_each_part_stays_within_the_transaction_limit(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 150)
    with injected(watching("dynamodb", "TransactWriteItems")) as recorded:
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    sizes = transaction_sizes(recorded)
    # 150 payments: a first part with the status change and 40, then parts of 40, 40 and 30 (the last)
    assert len(sizes) == 4, sizes
    assert max(sizes) <= MAX_TRANSACTION_ITEMS
    assert_fully_deactivated(customer_id, open_ids, answer)


def test_the_first_part_logs_the_voided_link_and_code_within_the_limit(csr: Api) -> None:
    # Given a customer with 150 open payments, a live reset link and a live recovery code
    customer_id, open_ids = customer_with_payments(csr, 150)
    assert csr.call("POST", f"/customers/{customer_id}/password-reset-link")[0] == 202
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    # When it is deactivated
    with injected(watching("dynamodb", "TransactWriteItems")) as recorded:
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    # Then the first part holds the two voiding entries too, and no part passes the limit
    assert status == 200, answer
    sizes = transaction_sizes(recorded)
    assert sizes[0] == 2 * deactivation.CANCELLATIONS_PER_PART + 8, sizes
    assert max(sizes) <= MAX_TRANSACTION_ITEMS
    voided = [e["type"] for e in activity(customer_id) if e["details"].get("voided_by") == "account_deactivated"]
    assert sorted(voided) == ["password_reset_link_revoked", "recovery_code_revoked"]
    assert_fully_deactivated(customer_id, open_ids, answer)


def test_a_small_deactivation_is_one_transaction_with_no_marker(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 5)
    with injected(watching("dynamodb", "TransactWriteItems")) as recorded:
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    assert len(transaction_sizes(recorded)) == 1
    assert keys.DEACTIVATION_SK.encode() not in recorded.calls[0][1]["body"]
    assert_fully_deactivated(customer_id, open_ids, answer)


@pytest.mark.parametrize("parts_written", [1, 3])
def test_a_deactivation_cut_short_is_finished_by_the_next_attempt(csr: Api, parts_written: int) -> None:
    customer_id, open_ids = customer_with_payments(csr, 150)
    with injected(interrupt_after(parts_written)), pytest.raises(Killed):
        csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    # Half done, and findable: the status changed, some payments still open, the marker listed
    assert portal_of(customer_id).status is PortalStatus.PERMANENT_LOCK
    still_open = payments.payments(TENANT, customer_id, frozenset({PaymentStatus.SCHEDULED, PaymentStatus.PENDING}))
    assert len(still_open) == 150 - deactivation.CANCELLATIONS_PER_PART * parts_written
    found = deactivations.interrupted_deactivations(clock.now() + timedelta(seconds=1))
    assert [(d.tenant_id, d.customer_id) for d in found] == [(TENANT, customer_id)]
    # The CSR's retry finishes it (200, not 409 already_deactivated) and lists every payment it cancelled
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    assert_fully_deactivated(customer_id, open_ids, answer)
    # and once finished, a further deactivate is the table's 409
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert (status, answer["error"]["code"]) == (409, "already_deactivated")


def test_a_deactivation_cut_short_is_finished_by_the_cleanup_jobs_call(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 1000)
    with injected(interrupt_after(7)), pytest.raises(Killed):
        csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    # A deactivation started just now is not yet "interrupted" for a job that waits a grace period
    assert deactivations.interrupted_deactivations(clock.now() - timedelta(minutes=15)) == []
    (found,) = deactivations.interrupted_deactivations(clock.now() + timedelta(seconds=1))
    cancelled = deactivation.finish_deactivation(found.tenant_id, found.customer_id)
    assert_fully_deactivated(
        customer_id,
        open_ids,
        {"portal_status": "permanent_lock", "cancelled_payments": [p.model_dump(mode="json") for p in cancelled]},
    )
    assert deactivation.finish_deactivation(TENANT, customer_id) == []


def test_billing_moving_a_payment_on_between_parts_is_not_cancelled(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 150)
    with injected(interrupt_after(1)), pytest.raises(Killed):
        csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    completed = open_ids[-1]
    (moved,) = [p for p in payments.payments(TENANT, customer_id) if p.payment_id == completed]
    tx = Transaction()
    payments.add_payment_write(
        tx, TENANT, customer_id, moved.model_copy(update={"status": PaymentStatus.COMPLETED}), customer_id
    )
    tx.commit()
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    assert completed not in {p["payment_id"] for p in answer["cancelled_payments"]}
    assert len(answer["cancelled_payments"]) == 149


def test_an_unfinished_deactivation_then_unlocked_is_finished_before_a_new_one(csr: Api) -> None:
    customer_id, _open_ids = customer_with_payments(csr, 150)
    with injected(interrupt_after(1)), pytest.raises(Killed):
        csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert csr.call("POST", f"/customers/{customer_id}/unlock")[0] == 200
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    assert portal_of(customer_id).status is PortalStatus.PERMANENT_LOCK
    assert [e["type"] for e in activity(customer_id)].count("account_deactivated") == 2
    assert payments.payments(TENANT, customer_id, frozenset({PaymentStatus.SCHEDULED, PaymentStatus.PENDING})) == []


@dataclass
class TimeForParts(apigw.LambdaContext):
    """An invocation's context with time left until `parts` transactions are written, then less than a
    deactivation keeps in hand for another part."""

    parts: int = 0
    written: DynamoDbCount = field(default_factory=DynamoDbCount)

    def get_remaining_time_in_millis(self) -> int:
        return (
            60_000 if self.written.by_operation["TransactWriteItems"] < self.parts else deactivation.PART_MARGIN_MS - 1
        )


@contextmanager
def time_for_parts(monkeypatch: pytest.MonkeyPatch, parts: int) -> Iterator[None]:
    counter = DynamoDbCounter(dynamo.client())
    with counter.measure() as written, monkeypatch.context() as patch:
        patch.setattr(apigw, "LambdaContext", lambda **ids: TimeForParts(**ids, parts=parts, written=written))
        yield
    counter.close()


@pytest.mark.parametrize("finisher", ["deactivate", "cleanup"])
def test_a_deactivation_out_of_time_stops_between_parts_and_is_finished_later(
    csr: Api, monkeypatch: pytest.MonkeyPatch, finisher: str
) -> None:
    customer_id, open_ids = customer_with_payments(csr, 300)
    with time_for_parts(monkeypatch, 3):
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    # A contract answer, retry-safe, rather than the invocation killed by its timeout (a 502)
    assert status == 503, answer
    assert answer["error"]["code"] == "dependency_unavailable"
    assert answer["error"]["details"] == {"cancelled": 120, "remaining": 180}
    # Consistent as left: the status changed, three parts' cancellations each with exactly one entry,
    # the marker listing them and findable by the cleanup job
    assert portal_of(customer_id).status is PortalStatus.PERMANENT_LOCK
    cancelled = [p.payment_id for p in payments.payments(TENANT, customer_id) if p.status is PaymentStatus.CANCELLED]
    assert len(cancelled) == 3 * deactivation.CANCELLATIONS_PER_PART
    entries = [e for e in activity(customer_id) if e["type"] == "payment_cancelled"]
    assert Counter(e["details"]["payment_id"] for e in entries) == Counter(cancelled)
    found = customer_store.load(TENANT, customer_id)
    assert found is not None
    assert found.deactivation is not None
    assert found.deactivation.cancelled == set(cancelled)
    interrupted = deactivations.interrupted_deactivations(clock.now() + timedelta(seconds=1))
    assert [(d.tenant_id, d.customer_id) for d in interrupted] == [(TENANT, customer_id)]
    if finisher == "deactivate":
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
        assert status == 200, answer
    else:
        clock.advance(10 * 60)
        assert run_once(schedule_of("cleanup"))["deactivations_finished"] == 1
        stored = payments.payments(TENANT, customer_id)
        listed = [p.model_dump(mode="json") for p in stored if p.payment_id in open_ids]
        answer = {"portal_status": "permanent_lock", "cancelled_payments": listed}
    assert_fully_deactivated(customer_id, open_ids, answer)


@contextmanager
def before_transaction(number: int, writer: str, action: Callable[[], object]) -> Iterator[None]:
    """Runs `action` once as the function `writer` (another writer), just before the `number`-th
    transaction is sent."""
    events = dynamo.client().meta.events
    function = next(f for f in template.functions() if f.logical_id == writer)
    seen: list[int] = []

    def hook(**_: Any) -> None:
        seen.append(1)
        if len(seen) == number:
            with apigw.invoking(function):
                action()

    events.register("before-call.dynamodb.TransactWriteItems", hook, unique_id="before-transaction")
    try:
        yield
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="before-transaction")


def test_a_part_that_billing_overtook_reads_again_and_leaves_that_payment_alone(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 150)
    by_date = payments.payments(TENANT, customer_id, frozenset({PaymentStatus.SCHEDULED, PaymentStatus.PENDING}))
    moved = by_date[2 * deactivation.CANCELLATIONS_PER_PART + 5]  # in the third part, read before it was moved

    def billing_completes_it() -> None:
        tx = Transaction()
        completed = moved.model_copy(update={"status": PaymentStatus.COMPLETED})
        payments.add_payment_write(tx, TENANT, customer_id, completed, customer_id)
        tx.commit()

    with before_transaction(3, "IntegrationFunction", billing_completes_it):
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    rest = [pid for pid in open_ids if pid != moved.payment_id]
    assert sorted(p["payment_id"] for p in answer["cancelled_payments"]) == sorted(rest)
    stored = {p.payment_id: p.status for p in payments.payments(TENANT, customer_id)}
    assert stored[moved.payment_id] is PaymentStatus.COMPLETED
    assert all(stored[pid] is PaymentStatus.CANCELLED for pid in rest)
    entries = [e for e in activity(customer_id) if e["type"] == "payment_cancelled"]
    assert Counter(e["details"]["payment_id"] for e in entries) == Counter(rest)
    assert deactivations.interrupted_deactivations(clock.now() + timedelta(days=1)) == []


def test_a_deactivation_finished_meanwhile_by_another_run_is_written_once(csr: Api) -> None:
    customer_id, open_ids = customer_with_payments(csr, 150)
    with before_transaction(3, "CleanupFunction", lambda: deactivation.finish_deactivation(TENANT, customer_id)):
        status, answer, _ = csr.call("POST", f"/customers/{customer_id}/deactivate", ACK)
    assert status == 200, answer
    assert {p["payment_id"] for p in answer["cancelled_payments"]} <= set(open_ids)
    assert_fully_deactivated(
        customer_id,
        open_ids,
        {
            "portal_status": "permanent_lock",
            "cancelled_payments": [
                p.model_dump(mode="json") for p in payments.payments(TENANT, customer_id) if p.payment_id in open_ids
            ],
        },
    )
