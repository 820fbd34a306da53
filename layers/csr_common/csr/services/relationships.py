"""The integration feeds of a provider's clients and employees. A client whose relationship is, or becomes,
expired (by its status, or an end date already passed) is taken out of its group by a `system` request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta

from csr import clock
from csr.auth import Caller
from csr.data import clients as client_store
from csr.data.clients import DueRelationship
from csr.data.dynamo import Transaction
from csr.models.groups import Client, ClientFeed, Employee, EmployeeFeed
from csr.rules.groups import relationship_active
from csr.services.customer_changes import retry_on_conflict
from csr.services.groups import remove_expired_clients

# Entries of the end-date index read at once: with the request they go in one transaction of at most 100.
DUE_PAGE = 98


def upsert_client(caller: Caller, client_id: str, body: ClientFeed) -> Client:
    """The profile is written on condition that it is still the one read (the index entries removed are
    that one's): a concurrent feed of the same client makes it read and decide again, so the index ends
    with the entries of the profile written last. 409 `concurrent_change` if it keeps losing."""
    return retry_on_conflict(lambda: _upsert_client(caller.tenant_id, client_id, body))


def _upsert_client(tenant_id: str, client_id: str, body: ClientFeed) -> Client:
    before = client_store.load_client(tenant_id, client_id)
    after = Client(client_id=client_id, **body.model_dump(), group_id=before.group_id if before else None)
    tx, undo = Transaction(), Transaction()
    client_store.add_client_write(tx, tenant_id, before, after)
    if before is not None and after.group_id is not None and not relationship_active(after, clock.now()):
        # Written with the request that takes the client out of its group: if it cannot be queued the
        # profile is put back, the feed gets a 503 and its retry (the same PUT) starts it all again.
        client_store.add_client_write(undo, tenant_id, after, before)
        if remove_expired_clients(tenant_id, after.group_id, [client_id], tx, undo) is not None:
            return after
    tx.commit()
    return after


def upsert_employee(caller: Caller, employee_id: str, body: EmployeeFeed) -> Employee:
    """The profile and its index entries, written on condition that the profile is still the one read (whose
    entries are removed): a concurrent feed of the same employee makes it read and decide again."""
    employee = Employee(employee_id=employee_id, **body.model_dump())

    def attempt() -> Employee:
        before = client_store.load_employees(caller.tenant_id, [employee_id]).get(employee_id)
        tx = Transaction()
        client_store.add_employee_write(tx, caller.tenant_id, before, employee)
        tx.commit()
        return employee

    return retry_on_conflict(attempt)


def take_out_expired(since: date, moment: datetime, keep_going: Callable[[], bool]) -> tuple[int, date]:
    """For the scheduled cleanup: relationships that ended (by date, with no feed saying so) from the day
    `since` up to `moment` take their clients out of their groups, one `system` request per group, oldest
    day first. Each end date handled leaves the end-date index in the request's transaction, so a second
    run finds nothing more. Stops when `keep_going()` says so; returns the relationships handled and the
    first day it did not handle to its end (`moment`'s own day at best: more may end later on it)."""
    handled = 0
    day = since
    while True:
        while True:
            if not keep_going():
                return handled, day
            due = client_store.due_relationships(day, moment, DUE_PAGE)
            if not due:
                break
            _take_out(due)
            handled += len(due)
        if day >= moment.date():
            return handled, day
        day += timedelta(days=1)


def _take_out(due: list[DueRelationship]) -> None:
    by_group: dict[tuple[str, str], list[DueRelationship]] = defaultdict(list)
    alone = Transaction()
    ended: list[tuple[str, Client]] = []
    for tenant_id in {entry.tenant_id for entry in due}:
        entries = [entry for entry in due if entry.tenant_id == tenant_id]
        found = client_store.load_clients(tenant_id, [entry.client_id for entry in entries])
        for entry in entries:
            client = found.get(entry.client_id)
            if client is not None and client.group_id is not None:
                by_group[(tenant_id, client.group_id)].append(entry)
            else:
                client_store.add_due_handled(alone, entry)
                if client is not None:
                    ended.append((tenant_id, client))
    # No longer available: out of the picker's index first (a run stopped before the due entries leave
    # their index does it again), in batches: with the due entries they would not fit one transaction.
    client_store.remove_available(ended)
    alone.commit()
    for (tenant_id, group_id), entries in by_group.items():
        tx, undo = Transaction(), Transaction()
        for entry in entries:
            client_store.add_due_handled(tx, entry)
            client_store.add_due_restore(undo, entry)
        if remove_expired_clients(tenant_id, group_id, [entry.client_id for entry in entries], tx, undo) is None:
            tx.commit()  # the group is gone: nothing to take the clients out of
