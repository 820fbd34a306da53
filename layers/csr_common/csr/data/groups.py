"""Client groups: the group item and its employee assignments, the name guard (a name is never given back
once a group has it), and the membership guards (one per provider and client, naming its group).

A membership guard is the one record of a client being in a group: claiming it is conditional, so two
requests racing for one client end with one winner. Its GSI entry lists a group's clients by name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from boto3.dynamodb.conditions import Key

from csr.data import keys
from csr.data.batch_write import batch_write
from csr.data.clients import add_available_delete, add_available_put, available_items, membership_key
from csr.data.dynamo import Transaction, batch_get, call, call_if, get, query_all, table
from csr.data.errors import UniqueTaken
from csr.models.groups import Assignment, Client, Group, GroupClient, GroupEmployee, GroupRole, GroupStatus
from csr.text import fold, name_key

LISTED = frozenset({GroupStatus.PENDING, GroupStatus.ACTIVE})


def _group_key(tenant_id: str, group_id: str) -> dict[str, str]:
    return {"pk": keys.group_pk(tenant_id, group_id), "sk": keys.GROUP_SK}


def _listing(tenant_id: str, group_id: str, name: str) -> dict[str, str]:
    return {"gsi1pk": keys.groups_by_name_pk(tenant_id), "gsi1sk": keys.name_order_sk(name_key(name), group_id)}


def add_group_create(tx: Transaction, tenant_id: str, group: Group) -> None:
    item = {
        **_group_key(tenant_id, group.group_id),
        **group.model_dump(mode="json", exclude_none=True),
        **_listing(tenant_id, group.group_id, group.name),
    }
    tx.put(item, condition="attribute_not_exists(pk)")


def add_group_delete(tx: Transaction, tenant_id: str, group_id: str) -> None:
    """Undoes `add_group_create` (the request could not be queued)."""
    tx.delete(_group_key(tenant_id, group_id))


def load_group(tenant_id: str, group_id: str) -> Group | None:
    item = get(_group_key(tenant_id, group_id))
    return Group.model_validate(item) if item else None


def load_groups(tenant_id: str, group_ids: Iterable[str]) -> dict[str, Group]:
    """The listed (pending or active) groups among `group_ids`."""
    found = batch_get([_group_key(tenant_id, gid) for gid in dict.fromkeys(group_ids)])
    groups = (Group.model_validate(item) for item in found)
    return {group.group_id: group for group in groups if group.status in LISTED}


def list_groups(tenant_id: str, after: dict[str, str] | None, limit: int) -> tuple[list[Group], dict[str, str] | None]:
    """Pending and active groups by folded name; `after` is the position a previous page ended at."""
    query: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(keys.groups_by_name_pk(tenant_id)),
        "Limit": limit,
    }
    if after:
        query["ExclusiveStartKey"] = after
    page = call(table().query, **query)
    return [Group.model_validate(item) for item in page.get("Items", [])], page.get("LastEvaluatedKey")


def add_group_change(
    tx: Transaction,
    tenant_id: str,
    group_id: str,
    *,
    request_id: str,
    status: GroupStatus | None = None,
    name: str | None = None,
    client_delta: int = 0,
    employee_count: int | None = None,
    release: bool = False,
) -> None:
    """Change a group on behalf of the request that is applying to it (the condition says it still is)."""
    sets, removes = [], []
    names: dict[str, str] = {"#applying": "applying"}
    values: dict[str, Any] = {":r": request_id}
    if status is not None:
        sets.append("#status = :status")
        names["#status"] = "status"
        values[":status"] = status.value
        if status not in LISTED:
            removes += ["gsi1pk", "gsi1sk"]
    if name is not None:
        sets += ["#name = :name", "gsi1sk = :gsi1sk"]
        names["#name"] = "name"
        values |= {":name": name, ":gsi1sk": _listing(tenant_id, group_id, name)["gsi1sk"]}
    if client_delta:
        sets.append("client_count = client_count + :delta")
        values[":delta"] = client_delta
    if employee_count is not None:
        sets.append("employee_count = :employees")
        values[":employees"] = employee_count
    if release:
        removes.append("#applying")
    expression = " ".join(
        part
        for part in (
            f"SET {', '.join(sets)}" if sets else "",
            f"REMOVE {', '.join(removes)}" if removes else "",
        )
        if part
    )
    if not expression:  # a step that changed nothing about the group (no client moved): only the check
        tx.check(_group_key(tenant_id, group_id), "#applying = :r", names=names, values=values)
        return
    tx.update(_group_key(tenant_id, group_id), expression, condition="#applying = :r", names=names, values=values)


def claim_group(tenant_id: str, group_id: str, request_id: str) -> bool:
    """Make `request_id` the one request applying to the group; False while another one is."""
    return call_if(
        table().update_item,
        Key=_group_key(tenant_id, group_id),
        UpdateExpression="SET #applying = :r",
        ConditionExpression="attribute_exists(pk) AND (attribute_not_exists(#applying) OR #applying = :r)",
        ExpressionAttributeNames={"#applying": "applying"},
        ExpressionAttributeValues={":r": request_id},
    )


# --- names ------------------------------------------------------------------------------------------


def _name_guard_key(tenant_id: str, name: str) -> dict[str, str]:
    return {"pk": keys.group_name_guard_pk(tenant_id, name_key(name)), "sk": keys.UNIQUE_SK}


def add_name_claim(tx: Transaction, tenant_id: str, name: str, group_id: str) -> None:
    """Take `name` for the group (case- and accent-insensitively); a name already the group's own is fine."""
    tx.put(
        {**_name_guard_key(tenant_id, name), "group_id": group_id},
        condition="attribute_not_exists(pk) OR group_id = :g",
        values={":g": group_id},
        error=lambda: UniqueTaken("name", name),
    )


def holds_name(tenant_id: str, name: str, group_id: str) -> bool:
    """The group took `name` before (it is, or was, the group's name: taken for good)."""
    item = get(_name_guard_key(tenant_id, name))
    return item is not None and item.get("group_id") == group_id


def add_name_release(tx: Transaction, tenant_id: str, name: str, group_id: str) -> None:
    """Only for a name claimed by a request never accepted (its creation or change could not be queued)."""
    tx.delete(
        _name_guard_key(tenant_id, name),
        condition="group_id = :g",
        values={":g": group_id},
    )


# --- memberships ------------------------------------------------------------------------------------


def add_membership_claim(
    tx: Transaction, tenant_id: str, client: Client, group_id: str, request_id: str, error: Callable[[], Exception]
) -> None:
    """Put the client in the group, on condition that it is in no group: the loser of a race gets `error`.
    The client leaves the available index in the same transaction (3 items)."""
    add_available_delete(tx, tenant_id, client)
    tx.put(
        {
            **membership_key(tenant_id, client.client_id),
            "client_id": client.client_id,
            "group_id": group_id,
            "request_id": request_id,
            "name": client.name,
            "gsi1pk": keys.group_members_pk(tenant_id, group_id),
            "gsi1sk": keys.name_order_sk(fold(client.name), client.client_id),
        },
        condition="attribute_not_exists(pk)",
        error=error,
    )


def add_membership_release(tx: Transaction, tenant_id: str, client: Client, group_id: str) -> None:
    """Take the client out of the group; available again (3 items) unless its relationship has ended."""
    tx.delete(membership_key(tenant_id, client.client_id), condition="group_id = :g", values={":g": group_id})
    add_available_put(tx, tenant_id, client.model_copy(update={"group_id": None}))


def memberships(tenant_id: str, client_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """Strongly consistent: each client's `group_id` and the `request_id` that put it there."""
    found = batch_get([membership_key(tenant_id, cid) for cid in dict.fromkeys(client_ids)])
    return {str(i["client_id"]): {"group_id": str(i["group_id"]), "request_id": str(i["request_id"])} for i in found}


def release_memberships(tenant_id: str, clients: Sequence[Client]) -> int:
    """Unconditional deletes of guards known to be the applying request's own group's; returns calls made.
    The clients' available entries are written first: a worker stopped between the two leaves entries
    whose guards still exist (the picker confirms each against its guard), never a released client missing
    from the index; its next delivery deletes the guards."""
    released = [client.model_copy(update={"group_id": None}) for client in clients]
    calls = batch_write(puts=[item for client in released for item in available_items(tenant_id, client)])
    return calls + batch_write(deletes=[membership_key(tenant_id, client.client_id) for client in clients])


def member_page(
    tenant_id: str, group_id: str, after: dict[str, str] | None, limit: int
) -> tuple[list[str], dict[str, str] | None]:
    """A page of the group's clients as its GSI lists them. The GSI is eventually consistent: confirm each
    with `memberships` before acting on it."""
    query: dict[str, Any] = {
        "IndexName": "gsi1",
        "KeyConditionExpression": Key("gsi1pk").eq(keys.group_members_pk(tenant_id, group_id)),
        "Limit": limit,
    }
    if after:
        query["ExclusiveStartKey"] = after
    page = call(table().query, **query)
    return [str(item["client_id"]) for item in page.get("Items", [])], page.get("LastEvaluatedKey")


def members(tenant_id: str, group_id: str) -> list[GroupClient]:
    return [
        GroupClient(client_id=str(item["client_id"]), name=str(item["name"]))
        for item in query_all(
            IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(keys.group_members_pk(tenant_id, group_id))
        )
    ]


def members_named(
    tenant_id: str, group_id: str, text: str, after: dict[str, str] | None, limit: int
) -> tuple[list[GroupClient], dict[str, str] | None]:
    """A page of the group's clients whose folded name starts with `text`, by name; past
    keys.KEY_TEXT_BYTES of `text` the caller checks the whole name."""
    condition = Key("gsi1pk").eq(keys.group_members_pk(tenant_id, group_id))
    prefix = keys.key_prefix(fold(text))
    if prefix:  # text that folds to nothing (a lone accent) looks for every client
        condition &= Key("gsi1sk").begins_with(prefix)
    query: dict[str, Any] = {"IndexName": "gsi1", "KeyConditionExpression": condition, "Limit": limit}
    if after:
        query["ExclusiveStartKey"] = after
    page = call(table().query, **query)
    found = [GroupClient(client_id=str(item["client_id"]), name=str(item["name"])) for item in page.get("Items", [])]
    return found, page.get("LastEvaluatedKey")


# --- employee assignments -----------------------------------------------------------------------------


def assignments(tenant_id: str, group_id: str) -> list[GroupEmployee]:
    return [
        GroupEmployee.model_validate(item)
        for item in query_all(
            KeyConditionExpression=Key("pk").eq(keys.group_pk(tenant_id, group_id))
            & Key("sk").begins_with(keys.ASSIGNMENT_SK_PREFIX),
            ConsistentRead=True,
        )
    ]


def groups_of_employee(tenant_id: str, employee_id: str) -> list[tuple[str, GroupRole]]:
    """(group id, role) of each assignment of the employee (gsi1: eventually consistent)."""
    return [
        (str(item["group_id"]), GroupRole(str(item["role"])))
        for item in query_all(
            IndexName="gsi1", KeyConditionExpression=Key("gsi1pk").eq(keys.employee_groups_pk(tenant_id, employee_id))
        )
    ]


def replace_assignments(
    tenant_id: str, group_id: str, wanted: Sequence[tuple[Assignment, str]], current: Iterable[str]
) -> int:
    """Write each (assignment, employee name) and delete the current ones not wanted; returns calls made."""
    pk = keys.group_pk(tenant_id, group_id)
    keep = {assignment.employee_id for assignment, _ in wanted}
    puts = [
        {
            "pk": pk,
            "sk": keys.assignment_sk(a.employee_id),
            "employee_id": a.employee_id,
            "role": a.role.value,
            "name": name,
            "group_id": group_id,
            "gsi1pk": keys.employee_groups_pk(tenant_id, a.employee_id),
            "gsi1sk": group_id,
        }
        for a, name in wanted
    ]
    deletes = [{"pk": pk, "sk": keys.assignment_sk(eid)} for eid in current if eid not in keep]
    return batch_write(puts=puts, deletes=deletes)
