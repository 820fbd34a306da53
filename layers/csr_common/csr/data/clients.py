"""A provider's clients and employees, as the integration feeds push them, with the index the available-
clients list reads (folded name and business number) and each client's membership guard (its group)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from csr import clock
from csr.data import keys
from csr.data.dynamo import Transaction, batch_get, call, table
from csr.models.groups import Client, Employee
from csr.text import fold


def _profile_key(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"pk": keys.client_pk(tenant_id, client_id), "sk": keys.PROFILE_SK}


def membership_key(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"pk": keys.client_pk(tenant_id, client_id), "sk": keys.MEMBERSHIP_SK}


def _index_keys(tenant_id: str, client: Client) -> list[dict[str, str]]:
    pk = keys.client_index_pk(tenant_id)
    return [
        {"pk": pk, "sk": keys.client_index_sk(keys.CLIENT_NAME_PREFIX, fold(client.name), client.client_id)},
        {
            "pk": pk,
            "sk": keys.client_index_sk(keys.CLIENT_NUMBER_PREFIX, fold(client.business_number), client.client_id),
        },
    ]


def _expiry_keys(tenant_id: str, client: Client) -> list[dict[str, str]]:
    """Where an active relationship waits for its end date (none for others: they are in no group)."""
    if client.relationship.status != "active":
        return []
    expires_at = client.relationship.expires_at
    return [
        {
            "pk": keys.relationship_expiry_pk(expires_at[:10]),
            "sk": keys.relationship_expiry_sk(expires_at, tenant_id, client.client_id),
        }
    ]


def load_clients(tenant_id: str, client_ids: Iterable[str]) -> dict[str, Client]:
    """The clients that exist among `client_ids`, each with its group from its membership guard."""
    ids = list(dict.fromkeys(client_ids))
    found = batch_get([_profile_key(tenant_id, cid) for cid in ids] + [membership_key(tenant_id, cid) for cid in ids])
    profiles = {item["client_id"]: item for item in found if item["sk"] == keys.PROFILE_SK}
    groups = {item["client_id"]: item["group_id"] for item in found if item["sk"] == keys.MEMBERSHIP_SK}
    return {cid: Client.model_validate({**item, "group_id": groups.get(cid)}) for cid, item in profiles.items()}


def load_client(tenant_id: str, client_id: str) -> Client | None:
    return load_clients(tenant_id, [client_id]).get(client_id)


def _profile(client: Client) -> dict[str, Any]:
    return client.model_dump(mode="json", exclude={"group_id"})


def add_client_write(tx: Transaction, tenant_id: str, before: Client | None, after: Client) -> None:
    """The profile, its index entries and its relationship's end date; entries of a former name, number or
    end date are removed. On condition that the profile is still `before` (absent for None), whose entries
    are the ones removed: if a concurrent write changed it, the commit raises `ConditionFailed`."""
    item = {**_profile_key(tenant_id, after.client_id), **_profile(after)}
    if before is None:
        tx.put(item, condition="attribute_not_exists(pk)")
    else:
        read = _profile(before)
        tx.put(
            item,
            condition=" AND ".join(f"#a{n} = :a{n}" for n in range(len(read))),
            names={f"#a{n}": name for n, name in enumerate(read)},
            values={f":a{n}": value for n, value in enumerate(read.values())},
        )
    wanted = _index_keys(tenant_id, after) + _expiry_keys(tenant_id, after)
    for key in _index_keys(tenant_id, before) + _expiry_keys(tenant_id, before) if before else []:
        if key not in wanted:
            tx.delete(key)
    for key in wanted:
        tx.put({**key, "client_id": after.client_id, "tenant_id": tenant_id})


@dataclass(frozen=True)
class DueRelationship:
    """An active relationship whose end date has come: `position` is its entry in the end-date index."""

    tenant_id: str
    client_id: str
    position: dict[str, str]


def due_relationships(day: date, moment: datetime, limit: int) -> list[DueRelationship]:
    """Up to `limit` active relationships ending on `day`, no later than `moment` (across providers)."""
    page = call(
        table().query,
        KeyConditionExpression=Key("pk").eq(keys.relationship_expiry_pk(day.isoformat()))
        & Key("sk").lte(clock.iso(moment) + "~"),
        Limit=limit,
        ConsistentRead=True,
    )
    return [
        DueRelationship(str(item["tenant_id"]), str(item["client_id"]), {"pk": item["pk"], "sk": item["sk"]})
        for item in page.get("Items", [])
    ]


def add_due_handled(tx: Transaction, due: DueRelationship) -> None:
    """The relationship's end is dealt with: its entry leaves the end-date index."""
    tx.delete(due.position)


def add_due_restore(tx: Transaction, due: DueRelationship) -> None:
    """Undoes `add_due_handled` (the request that dealt with it could not be queued)."""
    tx.put({**due.position, "client_id": due.client_id, "tenant_id": due.tenant_id})


def index_page(
    tenant_id: str, by_number: bool, text: str, after: str | None, limit: int
) -> tuple[list[str], str | None]:
    """Ids of clients whose folded name (or business number) starts with `text`, in that order, from the
    position `after`; and the position of the last one read when more may follow (opaque to callers).
    Past keys.KEY_TEXT_BYTES of `text`, it finds those whose name starts alike there: the caller checks."""
    pk = keys.client_index_pk(tenant_id)
    prefix = (keys.CLIENT_NUMBER_PREFIX if by_number else keys.CLIENT_NAME_PREFIX) + keys.key_prefix(fold(text))
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(prefix),
        "Limit": limit,
        "ConsistentRead": True,
    }
    if after:
        query["ExclusiveStartKey"] = {"pk": pk, "sk": after}
    page = call(table().query, **query)
    last = page.get("LastEvaluatedKey")
    return [str(item["client_id"]) for item in page.get("Items", [])], (str(last["sk"]) if last else None)


def index_position(tenant_id: str, client: Client, by_number: bool) -> str:
    """Where a page that ended with `client` resumes, in the order `index_page` reads."""
    return _index_keys(tenant_id, client)[1 if by_number else 0]["sk"]


# --- employees --------------------------------------------------------------------------------------


def _employee_key(tenant_id: str, employee_id: str) -> dict[str, str]:
    return {"pk": keys.employee_pk(tenant_id, employee_id), "sk": keys.PROFILE_SK}


def load_employees(tenant_id: str, employee_ids: Iterable[str]) -> dict[str, Employee]:
    found = batch_get([_employee_key(tenant_id, eid) for eid in dict.fromkeys(employee_ids)])
    return {str(item["employee_id"]): Employee.model_validate(item) for item in found}


def add_employee_write(tx: Transaction, tenant_id: str, employee: Employee) -> None:
    tx.put({**_employee_key(tenant_id, employee.employee_id), **employee.model_dump(mode="json")})
