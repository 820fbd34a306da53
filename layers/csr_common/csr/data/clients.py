"""A provider's clients and employees, as the integration feeds push them, with the index the available-
clients list reads (folded name and business number) and each client's membership guard (its group)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
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
from csr.rules.search import matches, without_prefixes
from csr.text import fold, word_list, words


def _profile_key(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"pk": keys.client_pk(tenant_id, client_id), "sk": keys.PROFILE_SK}


def membership_key(tenant_id: str, client_id: str) -> dict[str, str]:
    return {"pk": keys.client_pk(tenant_id, client_id), "sk": keys.MEMBERSHIP_SK}


# A client is found by at most this many words (API.md: each word of `q` is a prefix of a word of the name or
# business number): its entries stay few enough that a feed rewriting all of them (old ones deleted, new
# ones put, with the profile, its end date and the guard check: 2 * (1 + 40) + 4 = 86) fits one transaction.
# A name of 100 characters may hold 50 one-letter words; past the first 40 (in the order they are written,
# name first), a client is still listed for a query whose longest word is one of its first 40 and the
# others any of its words.
MAX_INDEXED_WORDS = 40


def _client_words(client: Client) -> list[str]:
    """The folded words of the name then the business number, each once, minus those another word of the
    client extends (a prefix of the short word is a prefix of the long one)."""
    written = word_list(client.name) + word_list(client.business_number)
    kept = without_prefixes(written)
    return [word for word in dict.fromkeys(written) if word in kept]


def _available_keys(tenant_id: str, client: Client) -> list[dict[str, str]]:
    """The client's entries: one in name order (`N#`, what a page without `q` reads) and one per word
    (`W#<word>#<id>`, what a query reads)."""
    pk = keys.available_index_pk(tenant_id)
    by_word = [
        {"pk": pk, "sk": keys.client_index_sk(keys.CLIENT_WORD_PREFIX, word, client.client_id)}
        for word in _client_words(client)[:MAX_INDEXED_WORDS]
    ]
    return [{"pk": pk, "sk": _name_position(client)}, *by_word]


def _name_position(client: Client) -> str:
    return keys.client_index_sk(keys.CLIENT_NAME_PREFIX, fold(client.name), client.client_id)


def membership_change_items(client: Client) -> int:
    """Items a claim or a release of the client writes in a transaction: its guard and its entries."""
    return 1 + 1 + min(len(_client_words(client)), MAX_INDEXED_WORDS)


def available_items(tenant_id: str, client: Client) -> list[dict[str, Any]]:
    """The client's entries in the available index, each with what the picker shows, the words it is found by
    and its place in name order: none unless the relationship is active now and the client is in no group."""
    if client.group_id is not None or not relationship_active(client, clock.now()):
        return []
    card = {
        "client_id": client.client_id,
        "name": client.name,
        "business_number": client.business_number,
        "relationship_expires_at": client.relationship.expires_at,
        "words": _client_words(client),
        "position": _name_position(client),
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
    """An entry of the available index: the client as the picker shows it, the words it is found by, and its
    place in name order (where a page after it resumes)."""

    client_id: str
    name: str
    business_number: str
    relationship_expires_at: str
    words: tuple[str, ...]
    position: str


# A query reads every entry of its longest word's prefix, then lists the clients by name. Past this many
# entries it reads the name order instead, checking each entry's words (a page then costs about as many
# entries as the available clients it passes over before it holds `limit` of them), FILTERED_READ at a time.
MAX_WORD_MATCHES = 1000
FILTERED_READ = 200


def _entry(item: dict[str, Any]) -> AvailableEntry:
    return AvailableEntry(
        client_id=str(item["client_id"]),
        name=str(item["name"]),
        business_number=str(item["business_number"]),
        relationship_expires_at=str(item["relationship_expires_at"]),
        words=tuple(str(word) for word in item["words"]),
        position=str(item["position"]),
    )


def _index_page(pk: str, prefix: str, after: str | None, limit: int) -> tuple[list[dict[str, Any]], str | None]:
    """One page of an index partition's entries under `prefix`, after the sort key `after`, and the sort key
    of the last one read when the Query says more may follow."""
    query: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(pk) & Key("sk").begins_with(prefix),
        "Limit": limit,
        "ConsistentRead": True,
    }
    if after:
        query["ExclusiveStartKey"] = {"pk": pk, "sk": after}
    page = call(table().query, **query)
    last = page.get("LastEvaluatedKey")
    return list(page.get("Items", [])), (str(last["sk"]) if last else None)


def _read_index(tenant_id: str, prefix: str, after: str | None, limit: int) -> tuple[list[AvailableEntry], str | None]:
    items, last = _index_page(keys.available_index_pk(tenant_id), prefix, after, limit)
    return [_entry(item) for item in items], last


def _word_matches(tenant_id: str, pieces: list[str]) -> list[AvailableEntry] | None:
    """The clients with a word starting with each piece, by name, found through the longest piece's word
    entries (each client once); None past MAX_WORD_MATCHES entries."""
    driving = max(pieces, key=lambda piece: (len(piece), piece))
    prefix = keys.CLIENT_WORD_PREFIX + keys.key_prefix(driving)
    found: dict[str, AvailableEntry] = {}
    read, after = 0, None
    while True:
        entries, after = _read_index(tenant_id, prefix, after, MAX_WORD_MATCHES + 1 - read)
        read += len(entries)
        if read > MAX_WORD_MATCHES:
            return None
        found.update((entry.position, entry) for entry in entries if matches(pieces, entry.words))
        if after is None:
            return [found[position] for position in sorted(found)]


def available_batches(
    tenant_id: str, pieces: list[str], after: str | None, limit: int
) -> Iterator[tuple[list[AvailableEntry], bool]]:
    """Available clients with a word starting with each of `pieces` (all of them without pieces), by name,
    after the position `after`: batches of about `limit`, each with whether it is the last."""
    found = _word_matches(tenant_id, pieces) if pieces else None
    if found is not None:
        rest = [entry for entry in found if after is None or entry.position > after]
        for start in range(0, len(rest), limit):
            yield rest[start : start + limit], start + limit >= len(rest)
        return
    while True:
        entries, after = _read_index(
            tenant_id, keys.CLIENT_NAME_PREFIX, after, max(limit, FILTERED_READ) if pieces else limit
        )
        yield [entry for entry in entries if matches(pieces, entry.words)], after is None
        if after is None:
            return


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
        items, last = _index_page(pk, prefix, after, limit)
        for entry in items:
            if not terms or _first_match(entry, terms):
                found.append(Employee.model_validate(entry))
            if len(found) == limit:
                more = entry is not items[-1] or last is not None
                return found, str(entry["sk"]) if more else None
        if last is None:
            return found, None
        after = last


def _first_match(entry: dict[str, Any], terms: list[str]) -> bool:
    """Every term starts some word of the employee, and this entry is the first word the longest one starts."""
    held = [str(word) for word in entry["words"]]
    if not all(any(word.startswith(term) for word in held) for term in terms):
        return False
    return str(entry["word"]) == min(word for word in held if word.startswith(terms[0]))
