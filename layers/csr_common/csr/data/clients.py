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
from csr.data.batch_write import batch_write
from csr.data.dynamo import Transaction, batch_get, call, table
from csr.models.groups import Client, Employee
from csr.rules.groups import relationship_active
from csr.text import fold, words


def _profile_key(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"pk": keys.client_pk(tenant_id, client_id), "sk": keys.PROFILE_SK}


def membership_key(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"pk": keys.client_pk(tenant_id, client_id), "sk": keys.MEMBERSHIP_SK}


def _available_keys(tenant_id: str, client: Client) -> list[dict[str, str]]:
    pk = keys.available_index_pk(tenant_id)
    return [
        {"pk": pk, "sk": keys.client_index_sk(keys.CLIENT_NAME_PREFIX, fold(client.name), client.client_id)},
        {
            "pk": pk,
            "sk": keys.client_index_sk(keys.CLIENT_NUMBER_PREFIX, fold(client.business_number), client.client_id),
        },
    ]


def available_items(tenant_id: str, client: Client) -> list[dict[str, Any]]:
    """The client's entries in the available index, each with what the picker shows: none unless the
    relationship is active now and the client is in no group."""
    if client.group_id is not None or not relationship_active(client, clock.now()):
        return []
    card = {
        "client_id": client.client_id,
        "name": client.name,
        "business_number": client.business_number,
        "relationship_expires_at": client.relationship.expires_at,
    }
    return [{**key, **card} for key in _available_keys(tenant_id, client)]


def add_available_delete(tx: Transaction, tenant_id: str, client: Client) -> None:
    """The client leaves the available index (it joins a group, or its relationship ended)."""
    for key in _available_keys(tenant_id, client):
        tx.delete(key)


def remove_available(clients: Iterable[tuple[str, Client]]) -> int:
    """(tenant, client) pairs leave the available index, in batches; returns the calls made."""
    return batch_write(deletes=[key for tenant_id, client in clients for key in _available_keys(tenant_id, client)])


def add_available_put(tx: Transaction, tenant_id: str, client: Client) -> None:
    """The client, as it is now (`group_id` None once it left its group), enters the index if available."""
    for item in available_items(tenant_id, client):
        tx.put(item)


def _guard_check(tx: Transaction, tenant_id: str, client: Client) -> None:
    """The membership guard is still as read: a client claimed by a group meanwhile makes the write retry,
    so its available entries are never written for a grouped client."""
    if client.group_id is None:
        tx.check(membership_key(tenant_id, client.client_id), "attribute_not_exists(pk)")
    else:
        tx.check(membership_key(tenant_id, client.client_id), "group_id = :g", values={":g": client.group_id})


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


def _put_if_unchanged(tx: Transaction, item: dict[str, Any], read: dict[str, Any] | None) -> None:
    """Put `item` on condition that the stored one still holds `read` (absent, for None)."""
    if read is None:
        tx.put(item, condition="attribute_not_exists(pk)")
        return
    tx.put(
        item,
        condition=" AND ".join(f"#a{n} = :a{n}" for n in range(len(read))),
        names={f"#a{n}": name for n, name in enumerate(read)},
        values={f":a{n}": value for n, value in enumerate(read.values())},
    )


def add_client_write(tx: Transaction, tenant_id: str, before: Client | None, after: Client) -> None:
    """The profile, its available entries (while it is available) and its relationship's end date; entries of
    a former name, number or end date are removed. On condition that the profile is still `before` (absent
    for None), whose entries are the ones removed, and that the membership guard is as `after` says: if a
    concurrent write changed either, the commit raises `ConditionFailed`."""
    item = {**_profile_key(tenant_id, after.client_id), **_profile(after)}
    _put_if_unchanged(tx, item, _profile(before) if before else None)
    wanted = _expiry_keys(tenant_id, after)
    available = available_items(tenant_id, after)
    written = wanted + [{"pk": item["pk"], "sk": item["sk"]} for item in available]
    for key in _available_keys(tenant_id, before) + _expiry_keys(tenant_id, before) if before else []:
        if key not in written:
            tx.delete(key)
    for key in wanted:
        tx.put({**key, "client_id": after.client_id, "tenant_id": tenant_id})
    for item in available:
        tx.put(item)
    _guard_check(tx, tenant_id, after)


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


@dataclass(frozen=True)
class AvailableEntry:
    """An entry of the available index: the client as the picker shows it, and where a page after it resumes."""

    client_id: str
    name: str
    business_number: str
    relationship_expires_at: str
    position: str


def available_page(
    tenant_id: str, by_number: bool, text: str, after: str | None, limit: int
) -> tuple[list[AvailableEntry], str | None]:
    """Available clients whose folded name (or business number) starts with `text`, in that order, from the
    position `after`; and the position of the last one read when more may follow (opaque to callers).
    Past keys.KEY_TEXT_BYTES of `text`, it finds those whose name starts alike there: the caller checks."""
    pk = keys.available_index_pk(tenant_id)
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
    entries = [
        AvailableEntry(
            client_id=str(item["client_id"]),
            name=str(item["name"]),
            business_number=str(item["business_number"]),
            relationship_expires_at=str(item["relationship_expires_at"]),
            position=str(item["sk"]),
        )
        for item in page.get("Items", [])
    ]
    return entries, (str(last["sk"]) if last else None)


# --- employees --------------------------------------------------------------------------------------


def _employee_key(tenant_id: str, employee_id: str) -> dict[str, str]:
    return {"pk": keys.employee_pk(tenant_id, employee_id), "sk": keys.PROFILE_SK}


def _employee_words(employee: Employee) -> list[str]:
    return sorted(words(employee.name) | words(employee.email))


def _employee_index(tenant_id: str, employee: Employee) -> list[dict[str, Any]]:
    """The employee's entries in the provider's employee index, each carrying the employee (and the words
    it is found by), so that a page of the list is one Query."""
    pk, eid = keys.employee_index_pk(tenant_id), employee.employee_id
    card = {**employee.model_dump(mode="json"), "words": _employee_words(employee)}
    by_name = {"pk": pk, "sk": f"{keys.EMPLOYEE_NAME_PREFIX}{keys.name_order_sk(fold(employee.name), eid)}", **card}
    by_word = [
        {"pk": pk, "sk": f"{keys.EMPLOYEE_WORD_PREFIX}{keys.name_order_sk(word, eid)}", "word": word, **card}
        for word in card["words"]
    ]
    return [by_name, *by_word]


def load_employees(tenant_id: str, employee_ids: Iterable[str]) -> dict[str, Employee]:
    found = batch_get([_employee_key(tenant_id, eid) for eid in dict.fromkeys(employee_ids)])
    return {str(item["employee_id"]): Employee.model_validate(item) for item in found}


def add_employee_write(tx: Transaction, tenant_id: str, before: Employee | None, after: Employee) -> None:
    """The profile and its index entries (those of a former name or email removed), on condition that the
    profile is still `before`, whose entries are the ones removed."""
    item = {**_employee_key(tenant_id, after.employee_id), **after.model_dump(mode="json")}
    _put_if_unchanged(tx, item, before.model_dump(mode="json") if before else None)
    entries = _employee_index(tenant_id, after)
    written = [(entry["pk"], entry["sk"]) for entry in entries]
    for old in _employee_index(tenant_id, before) if before else []:
        if (old["pk"], old["sk"]) not in written:
            tx.delete({"pk": old["pk"], "sk": old["sk"]})
    for entry in entries:
        tx.put(entry)


def employee_page(tenant_id: str, q: str, after: str | None, limit: int) -> tuple[list[Employee], str | None]:
    """Employees by folded name; with `q`, those having, for each word of `q`, a word of their name or email
    that starts with it (found by the longest word of `q`, listed once, at the first of their words it
    starts). Returns the position of the last entry read when more may follow."""
    terms = sorted(words(q), key=len, reverse=True)
    pk = keys.employee_index_pk(tenant_id)
    prefix = f"{keys.EMPLOYEE_WORD_PREFIX}{keys.key_prefix(terms[0])}" if terms else keys.EMPLOYEE_NAME_PREFIX
    found: list[Employee] = []
    while True:
        query: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(prefix),
            "Limit": limit,
            "ConsistentRead": True,
        }
        if after:
            query["ExclusiveStartKey"] = {"pk": pk, "sk": after}
        page = call(table().query, **query)
        last = page.get("LastEvaluatedKey")
        for entry in page.get("Items", []):
            if not terms or _first_match(entry, terms):
                found.append(Employee.model_validate(entry))
            if len(found) == limit:
                more = entry is not page["Items"][-1] or last is not None
                return found, str(entry["sk"]) if more else None
        if last is None:
            return found, None
        after = str(last["sk"])


def _first_match(entry: dict[str, Any], terms: list[str]) -> bool:
    """Every term starts some word of the employee, and this entry is the first word the longest one starts."""
    held = [str(word) for word in entry["words"]]
    if not all(any(word.startswith(term) for word in held) for term in terms):
        return False
    return str(entry["word"]) == min(word for word in held if word.startswith(terms[0]))
