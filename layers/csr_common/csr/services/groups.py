"""Client-group use cases of a provider's business account manager: what can be checked at once is checked
here (confirmation, name, availability); the change itself is a pending process request, then its message.

Stored first, queued second: a message never names a request that is not stored. If queueing fails, the
request (and what it reserved) is deleted again and the caller gets a retry-safe 503, so no request is
left pending without a message.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from csr import clock
from csr.auth import Caller
from csr.cursor import decode_cursor, encode_cursor
from csr.data import clients as client_store
from csr.data import groups as group_store
from csr.data import process_requests as request_store
from csr.data import queue
from csr.data.dynamo import Transaction
from csr.data.errors import ConditionFailed, DataUnavailable, UniqueTaken
from csr.errors import NotFoundError
from csr.ids import new_id
from csr.models.groups import (
    AssignEmployeesRequest,
    AvailableClient,
    AvailableClientList,
    Client,
    CreateGroupRequest,
    EmployeeGroup,
    EmployeeList,
    EmployeeRow,
    Group,
    GroupAccepted,
    GroupList,
    GroupStatus,
    GroupSummary,
    GroupView,
    Operation,
    ProcessRequest,
    ProcessRequestList,
    ProcessRequestView,
    RequestAccepted,
    RequestStatus,
    UpdateGroupRequest,
    require_confirmation,
)
from csr.rules import groups as rules
from csr.services.customer_changes import retry_on_conflict
from csr.text import fold

SYSTEM = "system"


def group_not_found() -> NotFoundError:
    return NotFoundError("No group with this id.")


def _changeable_group(caller: Caller, group_id: str) -> Group:
    group = group_store.load_group(caller.tenant_id, group_id)
    if group is None or group.status not in group_store.LISTED:
        raise group_not_found()
    return group


def new_request(
    operation: Operation, group: Group, initiated_by: str, moment: datetime, **plan: object
) -> ProcessRequest:
    request = ProcessRequest.model_validate(
        {
            "request_id": request_store.new_request_id(moment),
            "operation": operation,
            "group_id": group.group_id,
            "group_name": group.name,
            "initiated_by": initiated_by,
            "status": RequestStatus.PENDING,
            "created_at": clock.iso(moment),
            "completed_at": None,
            "items_done": 0,
            "error": None,
            "items_total": 0,
            **plan,
        }
    )
    if not request.items_total:
        total = len(request.add_client_ids) + len(request.remove_client_ids) + len(request.assignments)
        request = request.model_copy(update={"items_total": total})
    return request


def submit(tenant_id: str, request: ProcessRequest, tx: Transaction, undo: Transaction) -> None:
    """Store the request (with what `tx` reserves), then queue it; undo both if it cannot be queued."""
    request_store.add_request_create(tx, tenant_id, request)
    try:
        tx.commit()
    except UniqueTaken as taken:
        raise rules.NameTakenError() from taken
    try:
        queue.send_request(tenant_id, request.request_id)
    except DataUnavailable:
        request_store.add_request_delete(undo, tenant_id, request.request_id)
        # An undo that a concurrent change defeats leaves the request stored (the cleanup job queues it
        # later), as an undo that fails outright does: either way the answer is this retry-safe 503,
        # never a ConditionFailed that a caller would take for a write that did not land.
        with suppress(ConditionFailed):
            undo.commit()
        raise


def _unavailable(
    tenant_id: str, client_ids: list[str], found: dict[str, Client], group_id: str | None, moment: datetime
) -> dict[str, rules.Unavailable]:
    """The clients that cannot join, each with its reason: a client in another group is `change_pending`
    while the request that put it there is (read only when some client is refused)."""
    reasons = rules.unavailable_clients(client_ids, found, group_id, moment)
    grouped = [cid for cid, reason in reasons.items() if reason is rules.Unavailable.IN_GROUP]
    if grouped:
        held = group_store.memberships(tenant_id, grouped)
        pending = request_store.pending_among(tenant_id, [membership["request_id"] for membership in held.values()])
        for cid in grouped:
            if cid in held and held[cid]["request_id"] in pending:
                reasons[cid] = rules.Unavailable.CHANGE_PENDING
    return reasons


def create_group(caller: Caller, body: CreateGroupRequest) -> GroupAccepted:
    """A name claimed by a concurrent request cancels the transaction (a transaction conflict, not yet a
    failed condition): checked again, the name is `name_taken`, or free. So is a rename's."""
    return retry_on_conflict(lambda: _create_group(caller, body))


def _create_group(caller: Caller, body: CreateGroupRequest) -> GroupAccepted:
    moment = clock.now()
    found = client_store.load_clients(caller.tenant_id, body.client_ids)
    rules.refuse_clients(_unavailable(caller.tenant_id, body.client_ids, found, None, moment))
    group = Group(group_id=new_id("grp"), name=body.name, status=GroupStatus.PENDING, created_at=clock.iso(moment))
    request = new_request(
        Operation.CREATE_GROUP,
        group,
        caller.email,
        moment,
        add_client_ids=list(dict.fromkeys(body.client_ids)),
    )
    tx, undo = Transaction(), Transaction()
    group_store.add_group_create(tx, caller.tenant_id, group)
    group_store.add_name_claim(tx, caller.tenant_id, group.name, group.group_id)
    group_store.add_group_delete(undo, caller.tenant_id, group.group_id)
    group_store.add_name_release(undo, caller.tenant_id, group.name, group.group_id)
    submit(caller.tenant_id, request, tx, undo)
    return GroupAccepted(group_id=group.group_id, request_id=request.request_id)


def update_group(caller: Caller, group_id: str, body: UpdateGroupRequest) -> RequestAccepted:
    return retry_on_conflict(lambda: _update_group(caller, group_id, body))


def _update_group(caller: Caller, group_id: str, body: UpdateGroupRequest) -> RequestAccepted:
    moment = clock.now()
    group = _changeable_group(caller, group_id)
    adds = list(dict.fromkeys(body.add_client_ids or ()))
    found = client_store.load_clients(caller.tenant_id, adds)
    rules.refuse_clients(_unavailable(caller.tenant_id, adds, found, group_id, moment))
    request = new_request(
        Operation.UPDATE_GROUP,
        group,
        caller.email,
        moment,
        add_client_ids=[cid for cid in adds if found[cid].group_id != group_id],
        remove_client_ids=list(dict.fromkeys(body.remove_client_ids or ())),
        new_name=body.name,
    )
    tx, undo = Transaction(), Transaction()
    if body.name is not None:
        # Taken now, for good: the name is this group's whether or not the rest of the request succeeds,
        # but not if the request cannot be queued (it was never accepted), unless the group held it before.
        held = group_store.holds_name(caller.tenant_id, body.name, group_id)
        group_store.add_name_claim(tx, caller.tenant_id, body.name, group_id)
        if not held:
            group_store.add_name_release(undo, caller.tenant_id, body.name, group_id)
    submit(caller.tenant_id, request, tx, undo)
    return RequestAccepted(request_id=request.request_id)


def delete_group(caller: Caller, group_id: str, confirmation: str | list[str] | None) -> RequestAccepted:
    require_confirmation(confirmation, "DELETE")
    group = _changeable_group(caller, group_id)
    request = new_request(Operation.DELETE_GROUP, group, caller.email, clock.now(), items_total=group.client_count)
    submit(caller.tenant_id, request, Transaction(), Transaction())
    return RequestAccepted(request_id=request.request_id)


def assign_employees(caller: Caller, group_id: str, body: AssignEmployeesRequest) -> RequestAccepted:
    group = _changeable_group(caller, group_id)
    ids = [assignment.employee_id for assignment in body.assignments]
    found = client_store.load_employees(caller.tenant_id, ids)
    rules.refuse_employees([eid for eid in ids if not rules.assignable(found.get(eid))])
    request = new_request(Operation.ASSIGN_EMPLOYEES, group, caller.email, clock.now(), assignments=body.assignments)
    submit(caller.tenant_id, request, Transaction(), Transaction())
    return RequestAccepted(request_id=request.request_id)


def remove_expired_clients(
    tenant_id: str, group_id: str, client_ids: list[str], tx: Transaction | None = None, undo: Transaction | None = None
) -> str | None:
    """A `system` request taking clients whose relationship ended out of their group (the worker checks
    again, when it applies it, that each is still in the group and still expired). `tx` holds what is
    written with the request, `undo` what takes it back if the request cannot be queued."""
    group = group_store.load_group(tenant_id, group_id)
    if group is None or group.status not in group_store.LISTED:
        return None
    request = new_request(Operation.REMOVE_EXPIRED_CLIENTS, group, SYSTEM, clock.now(), remove_client_ids=client_ids)
    submit(tenant_id, request, tx or Transaction(), undo or Transaction())
    return request.request_id


# --- reads ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClientsPage:
    """Which of the group's clients a view shows: all of them (`limit` None), or a page of those whose name
    starts with `q`, from `cursor`."""

    q: str = ""
    limit: int | None = None
    cursor: str | None = None


def get_group(caller: Caller, group_id: str, page: ClientsPage | None = None) -> GroupView:
    group = group_store.load_group(caller.tenant_id, group_id)
    if group is None or group.status == GroupStatus.DELETED:
        raise group_not_found()
    employees = group_store.assignments(caller.tenant_id, group_id)
    if page is None or page.limit is None:
        clients, next_cursor = group_store.members(caller.tenant_id, group_id), None
    else:
        query = {"list": "group-clients", "group_id": group_id, "q": page.q}
        after = decode_cursor(caller.tenant_id, query, page.cursor) if page.cursor else None
        found, last = group_store.members_named(caller.tenant_id, group_id, page.q, after, page.limit)
        clients = [client for client in found if fold(client.name).startswith(fold(page.q))]
        next_cursor = encode_cursor(caller.tenant_id, query, last) if last else None
    return GroupView(
        group_id=group.group_id,
        name=group.name,
        status=group.status,
        clients=clients,
        employees=employees,
        client_count=group.client_count,
        clients_next_cursor=next_cursor,
    )


def list_groups(caller: Caller, limit: int, cursor: str | None) -> GroupList:
    query = {"list": "groups"}
    after = decode_cursor(caller.tenant_id, query, cursor) if cursor else None
    found, last = group_store.list_groups(caller.tenant_id, after, limit)
    return GroupList(
        items=[GroupSummary.model_validate(group.model_dump()) for group in found],
        next_cursor=encode_cursor(caller.tenant_id, query, last) if last else None,
    )


def list_requests(caller: Caller, status: RequestStatus | None, limit: int, cursor: str | None) -> ProcessRequestList:
    query = {"list": "process-requests", "status": status.value if status else None}
    after = decode_cursor(caller.tenant_id, query, cursor) if cursor else None
    found, last = request_store.list_requests(caller.tenant_id, status, after, limit)
    return ProcessRequestList(
        items=[request.view() for request in found],
        next_cursor=encode_cursor(caller.tenant_id, query, last) if last else None,
    )


def get_request(caller: Caller, request_id: str) -> ProcessRequestView:
    request = request_store.load_request(caller.tenant_id, request_id)
    if request is None:
        raise NotFoundError("No process request with this id.")
    return request.view()


def available_clients(caller: Caller, q: str | None, limit: int, cursor: str | None) -> AvailableClientList:
    """Clients by name (then, for a query, those found by business number only), read from the available
    index until the page holds `limit` of them. The index holds only available clients, so a page reads about
    `limit` entries however many clients are grouped; each is confirmed against its membership guard (one
    BatchGetItem), which a client that joined a group meanwhile still has."""
    moment = clock.now()
    query = {"list": "available-clients", "q": q}
    position = decode_cursor(caller.tenant_id, query, cursor) if cursor else {"by_number": False, "after": None}
    by_number = bool(position.get("by_number"))
    stored = position.get("after")
    after: str | None = stored if isinstance(stored, str) else None
    items: list[AvailableClient] = []
    prefix = fold(q or "")
    while True:
        entries, last = client_store.available_page(caller.tenant_id, by_number, q or "", after, limit)
        grouped = group_store.memberships(caller.tenant_id, [entry.client_id for entry in entries])
        for entry in entries:
            named = fold(entry.name).startswith(prefix)
            # By name, the name is checked (the index matches a very long one by its first bytes only,
            # csr.data.keys.key_prefix); by business number, a client its name already found is not listed again.
            wanted = not named if by_number else named
            current = entry.client_id not in grouped and clock.parse_iso(entry.relationship_expires_at) > moment
            if wanted and current:
                items.append(AvailableClient.model_validate(entry, from_attributes=True))
            if len(items) == limit:
                more = entry is not entries[-1] or last is not None or (not by_number and bool(q))
                next_position = {"by_number": by_number, "after": entry.position}
                return AvailableClientList(
                    items=items, next_cursor=encode_cursor(caller.tenant_id, query, next_position) if more else None
                )
        if last is not None:
            after = last
        elif q and not by_number:
            by_number, after = True, None
        else:
            return AvailableClientList(items=items, next_cursor=None)


def list_employees(caller: Caller, q: str | None, limit: int, cursor: str | None) -> EmployeeList:
    """The provider's employees by name, or those with a word of their name or email starting with each word
    of `q`; each with the groups it is assigned to (one Query per employee listed, then their groups)."""
    query = {"list": "employees", "q": q}
    position = decode_cursor(caller.tenant_id, query, cursor).get("after") if cursor else None
    after = position if isinstance(position, str) else None
    found, last = client_store.employee_page(caller.tenant_id, q or "", after, limit)
    held = {e.employee_id: group_store.groups_of_employee(caller.tenant_id, e.employee_id) for e in found}
    listed = group_store.load_groups(caller.tenant_id, {gid for assigned in held.values() for gid, _ in assigned})
    return EmployeeList(
        items=[
            EmployeeRow(
                employee_id=employee.employee_id,
                name=employee.name,
                email=employee.email,
                role=employee.role,
                assignable=rules.assignable(employee),
                groups=[
                    EmployeeGroup(group_id=gid, group_name=listed[gid].name, role=role)
                    for gid, role in held[employee.employee_id]
                    if gid in listed
                ],
            )
            for employee in found
        ],
        next_cursor=encode_cursor(caller.tenant_id, query, {"after": last}) if last else None,
    )
