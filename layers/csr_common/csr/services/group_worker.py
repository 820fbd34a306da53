"""Applies one process request, in chunks, for the group worker.

- One request at a time per group: the worker first makes its request the group's `applying` one; a message
  for a busy group is queued again a little later.
- Clients join and leave in transactions of at most 100 items: the membership guards (a claim is
  conditional, so a client raced into another group fails this request instead of being in two), the
  request's progress (conditional on the progress read, so a redelivered message applies nothing twice) and
  the group's client count.
- Deletes and assignments are unconditional BatchWriteItem calls (25 items each, unprocessed items retried).
- Before its time runs out it queues a follow-up message and stops; the next delivery goes on from the
  progress stored.
- A request that cannot be applied (a client taken or expired meanwhile) ends `failed` with a reason a
  person can read, and what it had already added is taken out again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from csr import clock
from csr.data import clients as client_store
from csr.data import groups as group_store
from csr.data import process_requests as request_store
from csr.data import queue
from csr.data.dynamo import MAX_TRANSACTION_ITEMS, Transaction
from csr.data.process_requests import ProgressMovedError
from csr.models.groups import GroupStatus, Operation, ProcessRequest, RequestStatus
from csr.observability import logger
from csr.rules.groups import assignable, relationship_active

# Clients per transaction: each is 3 items (its guard and its two available-index entries); the other two
# items are the request's progress and the group's count.
CLIENT_CHUNK = (MAX_TRANSACTION_ITEMS - 2) // 3
# Confirmed guards deleted per BatchWriteItem when a group is deleted.
DELETE_CHUNK = 25
# Time kept in hand when deciding to start another chunk: one chunk is a few DynamoDB calls.
SAFETY_MARGIN_MS = 5_000
BUSY_GROUP_DELAY_SECONDS = 5
UNEXPECTED_FAILURE = "An unexpected error stopped this request; nothing more will be applied. Please try again."


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    CONTINUED = "continued"  # stopped for time; a follow-up message goes on
    DEFERRED = "deferred"  # another request is applying to the group; queued again
    SKIPPED = "skipped"  # already ended, or another delivery of the message is applying it


@dataclass(frozen=True)
class Budget:
    remaining_ms: Callable[[], int]

    def exhausted(self) -> bool:
        return self.remaining_ms() < SAFETY_MARGIN_MS


class RequestFailedError(Exception):
    """The request cannot be applied; `reason` is what the process-requests table shows."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _ClientTakenError(Exception):
    """The condition of a membership claim failed: `client_id` joined another group meanwhile."""

    def __init__(self, client_id: str) -> None:
        super().__init__(client_id)
        self.client_id = client_id


def apply_request(tenant_id: str, request_id: str, budget: Budget) -> Outcome:
    request = request_store.load_request(tenant_id, request_id)
    if request is None or request.status is not RequestStatus.PENDING:
        return Outcome.SKIPPED
    if not group_store.claim_group(tenant_id, request.group_id, request_id):
        queue.send_request(tenant_id, request_id, delay_seconds=BUSY_GROUP_DELAY_SECONDS)
        return Outcome.DEFERRED
    try:
        group = group_store.load_group(tenant_id, request.group_id)
        if group is None or group.status in (GroupStatus.DELETED, GroupStatus.FAILED):
            raise RequestFailedError("The group was deleted before this change could be applied.")
        return _STEPS.get(request.operation, _change_clients)(tenant_id, request, budget)
    except ProgressMovedError:
        return Outcome.SKIPPED
    except RequestFailedError as failure:
        fail_request(tenant_id, request_id, failure.reason)
        return Outcome.FAILED


def _continue_later(tenant_id: str, request: ProcessRequest) -> Outcome:
    queue.send_request(tenant_id, request.request_id)
    return Outcome.CONTINUED


def _change_clients(tenant_id: str, request: ProcessRequest, budget: Budget) -> Outcome:
    adds, removes = request.add_client_ids, request.remove_client_ids
    done = request.items_done
    while done < len(adds) + len(removes):
        if budget.exhausted():
            return _continue_later(tenant_id, request)
        if done < len(adds):
            done = _add_clients(tenant_id, request, done, adds[done : min(done + CLIENT_CHUNK, len(adds))])
        else:
            start = done - len(adds)
            done = _remove_clients(tenant_id, request, done, removes[start : start + CLIENT_CHUNK])
    created = request.operation is Operation.CREATE_GROUP
    _finish(tenant_id, request, done, group_status=GroupStatus.ACTIVE if created else None, name=request.new_name)
    return Outcome.COMPLETED


def _add_clients(tenant_id: str, request: ProcessRequest, done: int, chunk: list[str]) -> int:
    found = client_store.load_clients(tenant_id, chunk)
    moment = clock.now()
    tx = Transaction()
    claimed = 0
    for client_id in chunk:
        client = found.get(client_id)
        if client is None or not relationship_active(client, moment):
            raise RequestFailedError(f"Client {client_id} no longer has an active relationship with this provider.")
        if client.group_id == request.group_id:
            continue
        if client.group_id is not None:
            raise RequestFailedError(_taken(client_id))
        group_store.add_membership_claim(
            tx, tenant_id, client, request.group_id, request.request_id, _taken_error(client_id)
        )
        claimed += 1
    request_store.add_progress(tx, tenant_id, request.request_id, done, done + len(chunk))
    group_store.add_group_change(tx, tenant_id, request.group_id, request_id=request.request_id, client_delta=claimed)
    try:
        tx.commit()
    except _ClientTakenError as taken:
        raise RequestFailedError(_taken(taken.client_id)) from taken
    return done + len(chunk)


def _taken_error(client_id: str) -> Callable[[], Exception]:
    return lambda: _ClientTakenError(client_id)


def _taken(client_id: str) -> str:
    return f"Client {client_id} joined another group of this provider while this request waited."


def _remove_clients(tenant_id: str, request: ProcessRequest, done: int, chunk: list[str]) -> int:
    found = client_store.load_clients(tenant_id, chunk)
    moment = clock.now()
    expired_only = request.operation is Operation.REMOVE_EXPIRED_CLIENTS
    tx = Transaction()
    released = 0
    for client_id in chunk:
        client = found.get(client_id)
        if client is None or client.group_id != request.group_id:
            continue
        if expired_only and relationship_active(client, moment):
            continue  # renewed since the request was made
        group_store.add_membership_release(tx, tenant_id, client, request.group_id)
        released += 1
    request_store.add_progress(tx, tenant_id, request.request_id, done, done + len(chunk))
    group_store.add_group_change(tx, tenant_id, request.group_id, request_id=request.request_id, client_delta=-released)
    tx.commit()
    return done + len(chunk)


def _delete_group(tenant_id: str, request: ProcessRequest, budget: Budget) -> Outcome:
    """Every guard the group's GSI lists, confirmed by a consistent read, is deleted; passes over the GSI
    repeat until one confirms nothing (the GSI may lag behind the guards)."""
    done = request.items_done
    after: dict[str, str] | None = None
    released_in_pass = 0
    while True:
        if budget.exhausted():
            return _continue_later(tenant_id, request)
        page, after = group_store.member_page(tenant_id, request.group_id, after, DELETE_CHUNK)
        mine = [
            client_id
            for client_id, membership in group_store.memberships(tenant_id, page).items()
            if membership["group_id"] == request.group_id
        ]
        if mine:
            group_store.release_memberships(tenant_id, list(client_store.load_clients(tenant_id, mine).values()))
            tx = Transaction()
            request_store.add_progress(tx, tenant_id, request.request_id, done, done + len(mine))
            tx.commit()
            done += len(mine)
            released_in_pass += len(mine)
        if after is None:
            if not released_in_pass:
                break
            released_in_pass = 0
    current = [employee.employee_id for employee in group_store.assignments(tenant_id, request.group_id)]
    group_store.replace_assignments(tenant_id, request.group_id, [], current)
    _finish(tenant_id, request, done, group_status=GroupStatus.DELETED, client_count_delta=-done, employees=0)
    return Outcome.COMPLETED


def _assign_employees(tenant_id: str, request: ProcessRequest, _budget: Budget) -> Outcome:
    ids = [assignment.employee_id for assignment in request.assignments]
    found = client_store.load_employees(tenant_id, ids)
    gone = [employee_id for employee_id in ids if not assignable(found.get(employee_id))]
    if gone:
        raise RequestFailedError(
            f"Employee {gone[0]} can no longer be assigned (unknown, or a business account manager)."
        )
    current = [employee.employee_id for employee in group_store.assignments(tenant_id, request.group_id)]
    wanted = [(assignment, found[assignment.employee_id].name) for assignment in request.assignments]
    group_store.replace_assignments(tenant_id, request.group_id, wanted, current)
    _finish(tenant_id, request, request.items_done, items_done=len(ids), employees=len(ids))
    return Outcome.COMPLETED


_STEPS: dict[Operation, Callable[[str, ProcessRequest, Budget], Outcome]] = {
    Operation.DELETE_GROUP: _delete_group,
    Operation.ASSIGN_EMPLOYEES: _assign_employees,
}


def _finish(
    tenant_id: str,
    request: ProcessRequest,
    done: int,
    *,
    group_status: GroupStatus | None = None,
    name: str | None = None,
    items_done: int | None = None,
    client_count_delta: int = 0,
    employees: int | None = None,
) -> None:
    tx = Transaction()
    request_store.add_request_end(
        tx, tenant_id, request.request_id, done, RequestStatus.COMPLETED, clock.now(), items_done=items_done
    )
    group_store.add_group_change(
        tx,
        tenant_id,
        request.group_id,
        request_id=request.request_id,
        status=group_status,
        name=name,
        client_delta=client_count_delta,
        employee_count=employees,
        release=True,
    )
    tx.commit()


def fail_request(tenant_id: str, request_id: str, reason: str) -> None:
    """End the request `failed` with `reason`, taking out the clients it had added; a create's group fails
    and gives its name back (the group never existed for anyone)."""
    request = request_store.load_request(tenant_id, request_id)
    if request is None or request.status is not RequestStatus.PENDING:
        return
    created = request.operation is Operation.CREATE_GROUP
    tx = Transaction()
    moment = clock.now()
    request_store.add_request_end(tx, tenant_id, request_id, request.items_done, RequestStatus.FAILED, moment, reason)
    # Only while this request holds the group may it take its clients out again (it normally does; a
    # poisoned message may have failed before holding it).
    if group_store.claim_group(tenant_id, request.group_id, request_id):
        added = request.add_client_ids[: min(request.items_done, len(request.add_client_ids))]
        ours = [
            client_id
            for client_id, membership in group_store.memberships(tenant_id, added).items()
            if membership["request_id"] == request_id and membership["group_id"] == request.group_id
        ]
        group_store.release_memberships(tenant_id, list(client_store.load_clients(tenant_id, ours).values()))
        group_store.add_group_change(
            tx,
            tenant_id,
            request.group_id,
            request_id=request_id,
            status=GroupStatus.FAILED if created else None,
            client_delta=-len(ours),
            release=True,
        )
        if created:
            group_store.add_name_release(tx, tenant_id, request.group_name, request.group_id)
    tx.commit()
    logger.info("process request failed", extra={"request_id": request_id, "reason": reason})
