"""Client groups and their feeds under concurrent writes: a write that a concurrent one defeats is read,
decided and written again (or answered 409 `concurrent_change`, or the route's own code), never leaving an
index entry of a profile that is gone, nor half a request."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from csr import clock
from csr.auth import Caller
from csr.data import clients as client_store
from csr.data import dynamo
from csr.models.groups import ClientFeed, CreateGroupRequest
from csr.services import customer_changes, groups, relationships
from tests.support.api import Api
from tests.support.faults import Fault, aws_error, injected
from tests.support.groups import (
    PROVIDER,
    bam,
    client_body,
    create_group,
    deliver,
    feed,
    put_clients,
)
from tests.support.tables import all_items

FEED = Caller(sub="feed-2", email="feed-2@p.example.com", tenant_id=PROVIDER, roles=frozenset({"integration"}))
BAM = Caller(
    sub="bam-2", email="bam-2@p.example.com", tenant_id=PROVIDER, roles=frozenset({"business_account_manager"})
)


def cancelled(reason: str) -> Callable[[str], Exception]:
    """What DynamoDB answers a transaction that a failed condition or a concurrent transaction cancelled."""
    return lambda operation: aws_error(
        "TransactionCanceledException", operation, CancellationReasons=[{"Code": reason}]
    )


@contextmanager
def before_next_write(other_write: Callable[[], Any], then_raise: Exception | None = None) -> Iterator[list[int]]:
    """Run `other_write` (another Lambda environment's request) once, just before the next transaction of
    this one is sent; then send it, or answer it `then_raise`. Yields the count of times it ran."""
    ran: list[int] = []

    def hook(**_: Any) -> None:
        if ran:
            return
        ran.append(1)
        other_write()
        if then_raise is not None:
            raise then_raise

    events = dynamo.client().meta.events
    events.register("before-call.dynamodb.TransactWriteItems", hook, unique_id="concurrent-write")
    try:
        yield ran
    finally:
        events.unregister("before-call.dynamodb.TransactWriteItems", unique_id="concurrent-write")


def items_of_client(client_id: str) -> list[dict[str, Any]]:
    return [item for item in all_items() if item.get("client_id") == client_id]


def ending_on(days: int) -> list[str]:
    """Clients whose relationship ends `days` from now, as the end-date index lists them."""
    day = (clock.now() + timedelta(days=days)).date()
    return [due.client_id for due in client_store.due_relationships(day, clock.now() + timedelta(days=400), 100)]


def available(q: str) -> list[str]:
    return [row.client_id for row in groups.available_clients(BAM, q, 100, None).items]


# --- the client feed --------------------------------------------------------------------------------


def test_a_client_feed_that_lost_a_race_leaves_only_the_final_profiles_index_entries(api: Api) -> None:
    assert (
        feed(api).call("PUT", "/integration/clients/K1", client_body("Alpha Corp", number="BN 111", days=10))[0] == 200
    )
    beta = ClientFeed.model_validate(client_body("Beta Corp", number="BN 222", days=20))
    # Given another feed of K1 lands between this feed's read and its write (both read Alpha)
    with before_next_write(lambda: relationships.upsert_client(FEED, "K1", beta)) as ran:
        status, answer, _ = feed(api).call(
            "PUT", "/integration/clients/K1", client_body("Gamma Corp", number="BN 333", days=30)
        )
    assert ran == [1]
    # Then this feed, written last, is the profile, and the index holds its entries only
    assert (status, answer["name"]) == (200, "Gamma Corp")
    stored = client_store.load_client(PROVIDER, "K1")
    assert stored is not None
    assert (stored.name, stored.business_number) == ("Gamma Corp", "BN 333")
    assert len(items_of_client("K1")) == 4  # the profile, its name and number entries, its end date
    assert available("Gamma") == available("BN 333") == ["K1"]
    assert available("Beta") == available("BN 222") == available("Alpha") == available("BN 111") == []
    assert (ending_on(10), ending_on(20), ending_on(30)) == ([], [], ["K1"])


def test_two_new_clients_racing_end_with_one_profile_and_its_entries(api: Api) -> None:
    beta = ClientFeed.model_validate(client_body("Beta Corp", number="BN 222", days=20))
    with before_next_write(lambda: relationships.upsert_client(FEED, "K2", beta)):
        status, _, _ = feed(api).call("PUT", "/integration/clients/K2", client_body("Gamma Corp", number="BN 333"))
    assert status == 200
    assert len(items_of_client("K2")) == 4
    assert available("Beta") == available("BN 222") == ending_on(20) == []


def test_a_client_feed_that_keeps_losing_answers_409_and_writes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given every read returns the client as it was before another feed landed
    feed(api).call("PUT", "/integration/clients/K1", client_body("Alpha Corp", number="BN 111"))
    stale = client_store.load_client(PROVIDER, "K1")
    feed(api).call("PUT", "/integration/clients/K1", client_body("Beta Corp", number="BN 222"))
    monkeypatch.setattr(client_store, "load_client", lambda tenant_id, client_id: stale)
    monkeypatch.setattr(customer_changes, "WRITE_ATTEMPTS", 3)
    before = all_items()
    status, error, _ = feed(api).call("PUT", "/integration/clients/K1", client_body("Gamma Corp", number="BN 333"))
    assert (status, error["error"]["code"]) == (409, "concurrent_change")
    assert all_items() == before


def test_an_expired_client_whose_undo_a_concurrent_feed_defeats_answers_503_once(api: Api) -> None:
    ids = put_clients(api, 1)
    group_id, _ = create_group(api, "Expiring", ids)
    deliver()
    # Given the removal request cannot be queued, and a concurrent feed changed the profile meanwhile
    # (the undo, which puts the former profile back on condition, is cancelled)
    unqueued = Fault("sqs", "SendMessage", lambda operation: aws_error("ServiceUnavailable", operation, 503), times=1)
    undo_defeated = Fault("dynamodb", "TransactWriteItems", cancelled("ConditionalCheckFailed"), after=1, times=1)
    with injected(unqueued), injected(undo_defeated):
        status, error, _ = feed(api).call(
            "PUT", f"/integration/clients/{ids[0]}", client_body("Client C 00000", status="expired")
        )
    assert (unqueued.raised, undo_defeated.raised) == (1, 1)
    # Then the feed gets the retry-safe 503, and its request was made once, not again
    assert status == 503, error
    assert error["error"]["code"] == "dependency_unavailable"
    pending = bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"]
    assert [(r["operation"], r["group_id"]) for r in pending] == [("remove_expired_clients", group_id)]


# --- the employee feed ------------------------------------------------------------------------------


EMPLOYEE = {"name": "Erin", "email": "erin@provider.example.com", "role": "editor"}


def test_an_employee_write_cancelled_by_a_concurrent_transaction_is_written_again(api: Api) -> None:
    conflict = Fault("dynamodb", "TransactWriteItems", cancelled("TransactionConflict"), times=1)
    with injected(conflict):
        status, answer, _ = feed(api).call("PUT", "/integration/employees/E1", EMPLOYEE)
    assert conflict.raised == 1
    assert (status, answer["name"]) == (200, "Erin")
    assert client_store.load_employees(PROVIDER, ["E1"])["E1"].name == "Erin"


def test_an_employee_write_that_keeps_conflicting_answers_409_and_writes_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_changes, "WRITE_ATTEMPTS", 3)
    with injected(Fault("dynamodb", "TransactWriteItems", cancelled("TransactionConflict"))) as conflict:
        status, error, _ = feed(api).call("PUT", "/integration/employees/E1", EMPLOYEE)
    assert conflict.raised == 3
    assert (status, error["error"]["code"]) == (409, "concurrent_change")
    assert client_store.load_employees(PROVIDER, ["E1"]) == {}


# --- group names ------------------------------------------------------------------------------------


def test_a_name_claimed_by_a_concurrent_create_is_name_taken_and_nothing_is_written(api: Api) -> None:
    ids = put_clients(api, 2)
    # Given a concurrent request claims the name while this one's transaction is in flight (DynamoDB
    # cancels this one for the conflict, not for its condition)
    other = CreateGroupRequest(name="Contested", client_ids=ids[:1])
    with before_next_write(
        lambda: groups.create_group(BAM, other), cancelled("TransactionConflict")("TransactWriteItems")
    ) as ran:
        status, error, _ = bam(api).call("POST", "/groups", {"name": "CONTESTED", "client_ids": ids[1:]})
    assert ran == [1]
    # Then, checked again, the name is taken: the answer API.md gives, and only the other group exists
    assert (status, error["error"]["code"]) == (409, "name_taken")
    assert [g["name"] for g in bam(api).call("GET", "/groups")[1]["items"]] == ["Contested"]
    assert len(bam(api).call("GET", "/process-requests")[1]["items"]) == 1


def test_a_rename_that_a_transaction_conflict_cancels_is_made_on_the_retry(api: Api) -> None:
    ids = put_clients(api, 1)
    group_id, _ = create_group(api, "Before", ids)
    deliver()
    conflict = Fault("dynamodb", "TransactWriteItems", cancelled("TransactionConflict"), times=1)
    with injected(conflict):
        status, _, _ = bam(api).call("PATCH", f"/groups/{group_id}", {"name": "After", "confirmation": "CONFIRM"})
    assert (conflict.raised, status) == (1, 202)
    assert len(bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"]) == 1
    deliver()
    assert bam(api).call("GET", f"/groups/{group_id}")[1]["name"] == "After"
