"""The invariants that tie the table's items together, written once, in the data layer's terms.

Each invariant is one function over a `Snapshot` (every item of the table, as read) that yields a
`Violation` naming the items (their keys) that break it. The checker (`infra/check_table.py`) runs them
over a deployed or local table, and the stateful test (`tests/integration/test_consistency_machine.py`)
after every step. `repairs` rewrites the derived items only (search postings and cards, district and
activity counters, due-index entries); never an item people wrote.

A snapshot read while writers run may catch a change half-read (a Scan is not a transaction): run the
checker on a quiet table, or read a violation twice before acting on it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from csr import clock
from csr.data import activity, cleanup_mark, due, keys, process_requests, search_index
from csr.data import clients as client_store
from csr.models.customers import Account, Customer, PortalStatus
from csr.models.groups import Client, Group, GroupStatus, ProcessRequest
from csr.rules.search import district_key, districts_of
from csr.text import fold, name_key

Key = tuple[str, str]
Item = dict[str, Any]
LISTED = frozenset({GroupStatus.PENDING, GroupStatus.ACTIVE})


@dataclass(frozen=True)
class Violation:
    invariant: str
    keys: tuple[Key, ...]  # (pk, sk) of each item that breaks it
    message: str

    def __str__(self) -> str:
        named = "; ".join(f"pk={pk!r} sk={sk!r}" for pk, sk in self.keys)
        return f"{self.invariant}: {self.message} [{named}]"


def key_of(item: Mapping[str, Any]) -> Key:
    return str(item["pk"]), str(item["sk"])


def _tenant_of(snapshot: Snapshot, pk: str, kind: str) -> str | None:
    """The tenant of a tenant-led key of `kind` with nothing after the kind, else None."""
    parsed = snapshot.tenant_kind(pk)
    return parsed[0] if parsed is not None and parsed[1] == kind and not parsed[2] else None


@dataclass
class Snapshot:
    """Every item of the table, by key, and what the invariants derive from them (each derived once)."""

    items: dict[Key, Item]
    now: datetime = field(default_factory=clock.now)

    @classmethod
    def of(cls, items: Iterable[Mapping[str, Any]], now: datetime | None = None) -> Snapshot:
        found = {key_of(item): dict(item) for item in items}
        return cls(found, now or clock.now())

    def get(self, pk: str, sk: str) -> Item | None:
        return self.items.get((pk, sk))

    @cached_property
    def by_pk(self) -> dict[str, dict[str, Item]]:
        grouped: dict[str, dict[str, Item]] = defaultdict(dict)
        for (pk, sk), item in self.items.items():
            grouped[pk][sk] = item
        return dict(grouped)

    def tenant_kind(self, pk: str) -> tuple[str, str, str] | None:
        """(tenant, kind, rest) of a tenant-led key `T#tenant#KIND#rest`, else None."""
        parts = pk.split("#", 3)
        if len(parts) < 3 or parts[0] != "T":
            return None
        return parts[1], parts[2], parts[3] if len(parts) > 3 else ""

    @cached_property
    def customers(self) -> dict[tuple[str, str], Customer]:
        """Every customer (profile and its accounts), by (tenant, customer id)."""
        found: dict[tuple[str, str], Customer] = {}
        for pk, partition in self.by_pk.items():
            profile = partition.get(keys.PROFILE_SK)
            parsed = self.tenant_kind(pk)
            if profile is None or parsed is None or parsed[1] != "C" or "#" in parsed[2]:
                continue
            accounts = [
                Account.model_validate(item) for sk, item in partition.items() if sk.startswith(keys.ACCOUNT_SK_PREFIX)
            ]
            found[(parsed[0], parsed[2])] = Customer.model_validate({**profile, "accounts": accounts})
        return found

    @cached_property
    def groups(self) -> dict[tuple[str, str], Group]:
        found: dict[tuple[str, str], Group] = {}
        for (pk, sk), item in self.items.items():
            parsed = self.tenant_kind(pk)
            if sk == keys.GROUP_SK and parsed is not None and parsed[1] == "G":
                found[(parsed[0], parsed[2])] = Group.model_validate(item)
        return found

    @cached_property
    def clients(self) -> dict[tuple[str, str], Client]:
        found: dict[tuple[str, str], Client] = {}
        for (pk, sk), item in self.items.items():
            parsed = self.tenant_kind(pk)
            if sk == keys.PROFILE_SK and parsed is not None and parsed[1] == "CLIENT":
                found[(parsed[0], parsed[2])] = Client.model_validate(item)
        return found

    @cached_property
    def memberships(self) -> dict[tuple[str, str], Item]:
        """Membership guards by (tenant, client id)."""
        found: dict[tuple[str, str], Item] = {}
        for (pk, sk), item in self.items.items():
            parsed = self.tenant_kind(pk)
            if sk == keys.MEMBERSHIP_SK and parsed is not None and parsed[1] == "CLIENT":
                found[(parsed[0], parsed[2])] = item
        return found

    @cached_property
    def requests(self) -> dict[tuple[str, str], ProcessRequest]:
        found: dict[tuple[str, str], ProcessRequest] = {}
        for (pk, sk), item in self.items.items():
            parsed = self.tenant_kind(pk)
            if parsed is not None and parsed[1] == "REQS" and not parsed[2] and sk.startswith("R#"):
                request = ProcessRequest.model_validate(item)
                found[(parsed[0], request.request_id)] = request
        return found

    @cached_property
    def activity_entries(self) -> dict[tuple[str, str], list[Item]]:
        """Each customer's activity entries, by (tenant, customer id)."""
        found: dict[tuple[str, str], list[Item]] = defaultdict(list)
        for (tenant_id, customer_id), _ in self.customers.items():
            found[(tenant_id, customer_id)] = []
        for pk, partition in self.by_pk.items():
            parsed = self.tenant_kind(pk)
            if parsed is None or parsed[1] != "C" or not parsed[2].endswith("#ACT"):
                continue
            customer_id = parsed[2].removesuffix("#ACT")
            if pk == keys.activity_pk(parsed[0], customer_id):
                found[(parsed[0], customer_id)].extend(partition.values())
        return dict(found)

    @cached_property
    def mark(self) -> cleanup_mark.CleanupMark | None:
        item = self.get(keys.CLEANUP_MARK_PK, keys.UNIQUE_SK)
        return cleanup_mark.from_item(item) if item else None


Invariant = Callable[[Snapshot], Iterator[Violation]]


# --- customers: the search index -----------------------------------------------------------------------


def _posting_attributes(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name not in ("pk", "sk")}


def expected_postings(snapshot: Snapshot) -> dict[Key, Item]:
    """Every posting the customers' profiles and accounts call for."""
    wanted: dict[Key, Item] = {}
    for (tenant_id, _), customer in snapshot.customers.items():
        for posting in search_index.postings(tenant_id, customer).values():
            wanted[key_of(posting)] = posting
    return wanted


def _is_posting(snapshot: Snapshot, pk: str) -> bool:
    parsed = snapshot.tenant_kind(pk)
    return parsed is not None and parsed[1] == "S"


def search_postings_match_profiles(snapshot: Snapshot) -> Iterator[Violation]:
    """Each customer has exactly the postings its words call for, each carrying its current card (or a
    pointer to its search item, which then holds that card); no posting outlives its word or customer."""
    name = "search_postings_match_profiles"
    wanted = expected_postings(snapshot)
    for key, posting in wanted.items():
        found = snapshot.items.get(key)
        if found is None:
            yield Violation(name, (key,), f"posting missing for customer {posting['customer_id']}")
        elif _posting_attributes(found) != _posting_attributes(posting):
            yield Violation(name, (key,), f"posting of customer {posting['customer_id']} carries a stale card")
    for key, item in snapshot.items.items():
        if _is_posting(snapshot, key[0]) and key not in wanted:
            yield Violation(name, (key,), f"posting of customer {item.get('customer_id')} matches no word of it")
    for (tenant_id, customer_id), customer in snapshot.customers.items():
        card = search_index.card_to_store(customer)
        if card is None:
            continue
        search_key = key_of(search_index.search_item_key(tenant_id, customer_id))
        held = snapshot.items.get(search_key, {})
        if {name_: held.get(name_) for name_ in card} != card:
            yield Violation(name, (search_key,), f"search item of customer {customer_id} lacks its current card")


def district_counters_match_accounts(snapshot: Snapshot) -> Iterator[Violation]:
    """Each district counter counts the customers with an account there; each customer's search item lists
    exactly the districts it is counted in."""
    name = "district_counters_match_accounts"
    expected: Counter[tuple[str, str]] = Counter()
    for (tenant_id, customer_id), customer in snapshot.customers.items():
        districts = districts_of(customer)
        for district in districts:
            expected[(tenant_id, district)] += 1
        search_key = key_of(search_index.search_item_key(tenant_id, customer_id))
        counted = set(snapshot.items.get(search_key, {}).get("counted", set()))
        if counted != districts:
            yield Violation(name, (search_key,), f"customer {customer_id} counted in {sorted(counted)}")
    counters = {
        (owner, sk): int(item.get("customers", 0))
        for (pk, sk), item in snapshot.items.items()
        if (owner := _tenant_of(snapshot, pk, "DISTRICTS"))
    }
    for tenant_district in set(expected) | set(counters):
        want, have = expected.get(tenant_district, 0), counters.get(tenant_district, 0)
        if want != have:
            tenant_id, district = tenant_district
            counter_key = (keys.district_pk(tenant_id), district)
            yield Violation(name, (counter_key,), f"district counts {have} customers, {want} have an account there")


def customer_guards_match_owners(snapshot: Snapshot) -> Iterator[Violation]:
    """Each email, person id, account number and payment id is held by one guard naming the customer that
    has it, and each guard names a customer that has it."""
    name = "customer_guards_match_owners"
    wanted: dict[Key, str] = {}
    for (tenant_id, customer_id), customer in snapshot.customers.items():
        pks = [keys.email_guard_pk(tenant_id, customer.email), keys.person_guard_pk(tenant_id, customer.person_id)]
        pks += [keys.account_guard_pk(tenant_id, account.account_number) for account in customer.accounts]
        for pk in pks:
            wanted[(pk, keys.UNIQUE_SK)] = customer_id
    for (pk, sk), _item in snapshot.items.items():
        parsed = snapshot.tenant_kind(pk)
        if parsed is None or parsed[1] != "C" or not sk.startswith(keys.PAYMENT_SK_PREFIX) or "#" in parsed[2]:
            continue
        wanted[(keys.payment_guard_pk(parsed[0], sk.removeprefix(keys.PAYMENT_SK_PREFIX)), keys.UNIQUE_SK)] = parsed[2]
    for key, customer_id in wanted.items():
        guard = snapshot.items.get(key)
        if guard is None or guard.get("customer_id") != customer_id:
            yield Violation(name, (key,), f"guard missing or not naming customer {customer_id}")
    for key, item in snapshot.items.items():
        parsed = snapshot.tenant_kind(key[0])
        if parsed is not None and parsed[1] in ("EMAIL", "PERSON", "ACCTNO", "PAYID") and key not in wanted:
            yield Violation(name, (key,), f"guard names customer {item.get('customer_id')}, who does not hold it")


# --- groups, memberships, clients ------------------------------------------------------------------------


def group_name_guards_match_groups(snapshot: Snapshot) -> Iterator[Violation]:
    """Each group (deleted ones included) holds the guard of its name; each name guard names a group; a
    group is listed by name exactly while it is pending or active."""
    name = "group_name_guards_match_groups"
    for (tenant_id, group_id), group in snapshot.groups.items():
        guard_key = (keys.group_name_guard_pk(tenant_id, name_key(group.name)), keys.UNIQUE_SK)
        guard = snapshot.items.get(guard_key)
        if guard is None or guard.get("group_id") != group_id:
            yield Violation(name, (guard_key,), f"name of group {group_id} not guarded for it")
        item = snapshot.items[(keys.group_pk(tenant_id, group_id), keys.GROUP_SK)]
        listed = group.status in LISTED
        listing = (keys.groups_by_name_pk(tenant_id), keys.name_order_sk(name_key(group.name), group_id))
        if listed != ("gsi1pk" in item) or (listed and (item.get("gsi1pk"), item.get("gsi1sk")) != listing):
            yield Violation(name, (key_of(item),), f"group {group_id} ({group.status}) listed wrongly")
    for key, item in snapshot.items.items():
        parsed = snapshot.tenant_kind(key[0])
        if (
            parsed is not None
            and parsed[1] == "GNAME"
            and (parsed[0], str(item.get("group_id"))) not in snapshot.groups
        ):
            yield Violation(name, (key,), f"name guard names group {item.get('group_id')}, which does not exist")


def memberships_match_groups(snapshot: Snapshot) -> Iterator[Violation]:
    """Each membership guard names a listed group and a client that exists, is listed under that group, and
    each group's client count is the number of its memberships."""
    name = "memberships_match_groups"
    counts: Counter[tuple[str, str]] = Counter()
    for (tenant_id, client_id), item in snapshot.memberships.items():
        group_id = str(item.get("group_id"))
        counts[(tenant_id, group_id)] += 1
        group = snapshot.groups.get((tenant_id, group_id))
        key = key_of(item)
        if group is None or group.status not in LISTED:
            yield Violation(name, (key,), f"client {client_id} is in group {group_id}, which is not listed")
        client = snapshot.clients.get((tenant_id, client_id))
        if client is None:
            yield Violation(name, (key,), f"membership of client {client_id}, who does not exist")
            continue
        listing = (keys.group_members_pk(tenant_id, group_id), keys.name_order_sk(fold(str(item["name"])), client_id))
        if (item.get("gsi1pk"), item.get("gsi1sk")) != listing:
            yield Violation(name, (key,), f"membership of client {client_id} listed wrongly")
    for (tenant_id, group_id), group in snapshot.groups.items():
        if group.client_count != counts.get((tenant_id, group_id), 0):
            key = (keys.group_pk(tenant_id, group_id), keys.GROUP_SK)
            yield Violation(
                name, (key,), f"group counts {group.client_count} clients, {counts[(tenant_id, group_id)]} are in it"
            )


def _end_date_key(tenant_id: str, client: Client) -> Key:
    expires_at = client.relationship.expires_at
    return keys.relationship_expiry_pk(expires_at[:10]), keys.relationship_expiry_sk(
        expires_at, tenant_id, client.client_id
    )


def client_index_matches_profiles(snapshot: Snapshot) -> Iterator[Violation]:
    """Each available client (active relationship, in no group) is in the available index under its folded
    name and business number, with what the picker shows; an entry names a client in no group, by its current
    name and number (one whose end date passed stays until the cleanup or a feed takes it out)."""
    name = "client_index_matches_profiles"
    listed: dict[Key, Item] = {}
    for (tenant_id, client_id), client in snapshot.clients.items():
        membership = snapshot.memberships.get((tenant_id, client_id))
        placed = client.model_copy(update={"group_id": membership["group_id"] if membership else None})
        for entry in client_store.available_items(tenant_id, placed):
            listed[key_of(entry)] = entry
            if _posting_attributes(snapshot.items.get(key_of(entry), {})) != _posting_attributes(entry):
                yield Violation(name, (key_of(entry),), f"available client {client_id} not listed as it is")
        if membership is None and client.relationship.status == "active":
            lasting = client.relationship.model_copy(update={"expires_at": "9999-12-31T00:00:00.000Z"})
            for entry in client_store.available_items(tenant_id, placed.model_copy(update={"relationship": lasting})):
                listed.setdefault(key_of(entry), entry)
    for key, item in snapshot.items.items():
        parsed = snapshot.tenant_kind(key[0])
        if parsed is not None and parsed[1] == "AVAILABLE" and key not in listed:
            yield Violation(name, (key,), f"available-index entry of client {item.get('client_id')} is not available")


def relationship_end_dates_match_clients(snapshot: Snapshot) -> Iterator[Violation]:
    """Each active relationship ending after now waits in the end-date index; each entry there is a
    client's active relationship with that end date; none of a client still in a group lies before the
    cleanup's mark (the cleanup would never read it)."""
    name = "relationship_end_dates_match_clients"
    entries: dict[Key, Item] = {
        key: item for key, item in snapshot.items.items() if key[0].startswith(keys.relationship_expiry_pk(""))
    }
    for (tenant_id, client_id), client in snapshot.clients.items():
        if client.relationship.status != "active" or clock.parse_iso(client.relationship.expires_at) <= snapshot.now:
            continue
        if _end_date_key(tenant_id, client) not in entries:
            yield Violation(name, (_end_date_key(tenant_id, client),), f"end date of client {client_id} not indexed")
    mark = snapshot.mark
    for key, item in entries.items():
        tenant_id, client_id = str(item.get("tenant_id")), str(item.get("client_id"))
        named = snapshot.clients.get((tenant_id, client_id))
        if named is None or named.relationship.status != "active" or _end_date_key(tenant_id, named) != key:
            yield Violation(name, (key,), f"end-date entry of client {client_id} matches no active relationship")
        elif (
            mark is not None
            and key[0] < keys.relationship_expiry_pk(mark.relationship_day.isoformat())
            and (tenant_id, client_id) in snapshot.memberships
        ):
            yield Violation(name, (key,), f"client {client_id} ended before the cleanup's mark, still in a group")


# --- customers: deactivations, credentials, the due index, activity ------------------------------------


def deactivation_markers_match_payments(snapshot: Snapshot) -> Iterator[Violation]:
    """A deactivation marker belongs to a permanently locked customer, is listed in gsi1's partition of
    deactivations in flight, and each payment it says it cancelled is the customer's, with its entry."""
    name = "deactivation_markers_match_payments"
    for (pk, sk), item in snapshot.items.items():
        if sk != keys.DEACTIVATION_SK:
            continue
        tenant_id, customer_id = keys.tenant_and_customer(pk)
        key = (pk, sk)
        customer = snapshot.customers.get((tenant_id, customer_id))
        if customer is None or customer.portal.status is not PortalStatus.PERMANENT_LOCK:
            yield Violation(name, (key,), f"customer {customer_id} is not deactivated")
        listing = (
            keys.DEACTIVATIONS_GSI_PK,
            keys.deactivation_gsi_sk(str(item.get("started_at")), tenant_id, customer_id),
        )
        if (item.get("gsi1pk"), item.get("gsi1sk")) != listing:
            yield Violation(name, (key,), f"marker of customer {customer_id} not listed among deactivations")
        logged = {
            str(entry.get("details", {}).get("payment_id"))
            for entry in snapshot.activity_entries.get((tenant_id, customer_id), [])
            if entry.get("type") == "payment_cancelled"
        }
        for payment_id in sorted(item.get("cancelled", set())):
            payment_key = (pk, keys.payment_sk(payment_id))
            if payment_key not in snapshot.items:
                yield Violation(name, (key, payment_key), f"cancelled payment {payment_id} is not the customer's")
            if payment_id not in logged:
                yield Violation(name, (key,), f"cancelled payment {payment_id} has no activity entry")


def credentials_only_while_enrolled(snapshot: Snapshot) -> Iterator[Violation]:
    """A recovery code and a reset pointer exist only for an enrolled customer, and a live pointer names
    a live token of that customer."""
    name = "credentials_only_while_enrolled"
    for (pk, sk), item in snapshot.items.items():
        if sk not in (keys.RECOVERY_CODE_SK, keys.RESET_TOKEN_SK):
            continue
        tenant_id, customer_id = keys.tenant_and_customer(pk)
        customer = snapshot.customers.get((tenant_id, customer_id))
        if customer is None or customer.portal.status is not PortalStatus.ENROLLED:
            yield Violation(name, ((pk, sk),), f"credential of customer {customer_id}, who is not enrolled")
        if sk == keys.RESET_TOKEN_SK and clock.parse_iso(str(item["expires_at"])) > snapshot.now:
            token_key = (keys.reset_token_pk(tenant_id, str(item["token_hash"])), keys.UNIQUE_SK)
            token = snapshot.items.get(token_key)
            if token is None or token.get("customer_id") != customer_id:
                yield Violation(name, ((pk, sk), token_key), f"reset pointer of {customer_id} names no live token")


def expected_due(snapshot: Snapshot, key: Key, item: Mapping[str, Any]) -> dict[str, str] | None:
    """The due-index attributes `item` must carry, or None if it falls due at no time. For a pending process
    request, its own (the cleanup moves it at each look) if it has them, of the right kind."""
    pk, sk = key
    parsed = snapshot.tenant_kind(pk)
    kind = None
    if sk == keys.RECOVERY_CODE_SK:
        kind = due.Kind.RECOVERY_CODE
    elif sk == keys.RESET_TOKEN_SK:
        kind = due.Kind.RESET_POINTER
    elif parsed is not None and parsed[1] == "RESET":
        kind = due.Kind.RESET_TOKEN
    elif parsed is not None and parsed[1] == "IMP":
        kind = due.Kind.IMPERSONATION_SESSION
    if kind is not None:
        return due.index_attributes(kind, clock.parse_iso(str(item["expires_at"])))
    if parsed is not None and parsed[1] == "REQS" and sk.startswith("R#") and item.get("status") == "pending":
        request_id = str(item["request_id"])
        position = str(item.get(due.SK, ""))
        at = position.split("#", 1)[0]
        if not position.endswith(f"#{due.Kind.PROCESS_REQUEST.value}#{parsed[0]}#{request_id}"):
            at = clock.iso(clock.parse_iso(str(item.get("created_at"))) + process_requests.STUCK_AFTER)
        return due.index_attributes(due.Kind.PROCESS_REQUEST, clock.parse_iso(at), parsed[0], request_id)
    return None


def due_entries_match_what_falls_due(snapshot: Snapshot) -> Iterator[Violation]:
    """Each expiring credential or session, and each pending process request, is in the due index at its
    time, and nothing else is; none lies before the cleanup's mark (the cleanup would never read it)."""
    name = "due_entries_match_what_falls_due"
    mark = snapshot.mark
    for key, item in snapshot.items.items():
        wanted = expected_due(snapshot, key, item)
        held = {attribute: item[attribute] for attribute in (due.PK, due.SK) if attribute in item}
        if wanted is None:
            if held:
                yield Violation(name, (key,), "in the due index, but falls due at no time")
            continue
        if held != wanted:
            yield Violation(name, (key,), f"due-index entry {held or None}, should be {wanted}")
        elif mark is not None and wanted[due.SK] < mark.due_hour.strftime("%Y-%m-%dT%H"):
            yield Violation(name, (key,), "fell due before the cleanup's mark, left behind")


def activity_matches_changes(snapshot: Snapshot) -> Iterator[Violation]:
    """Each customer's log holds its creation; each entry is listed under its type; each month's counters
    count the entries of that month, type by type."""
    name = "activity_matches_changes"
    for (tenant_id, customer_id), entries in snapshot.activity_entries.items():
        if (tenant_id, customer_id) in snapshot.customers and not any(
            entry.get("type") == "customer_created" for entry in entries
        ):
            yield Violation(name, ((keys.customer_pk(tenant_id, customer_id), keys.PROFILE_SK),), "no creation entry")
        counted: dict[str, Counter[str]] = defaultdict(Counter)
        for entry in entries:
            kind = str(entry.get("type"))
            if entry.get("gsi1pk") != keys.activity_type_pk(tenant_id, customer_id, kind):
                yield Violation(name, (key_of(entry),), f"entry of type {kind} not listed under it")
            counted[str(entry["sk"])[:7]][kind] += 1
        count_pk = keys.activity_count_pk(tenant_id, customer_id)
        counters = snapshot.by_pk.get(count_pk, {})
        for month in sorted(set(counted) | set(counters)):
            held = counters.get(month, {})
            have = {
                attribute.removeprefix("n_"): int(value)
                for attribute, value in held.items()
                if attribute.startswith("n_") and int(value)
            }
            if have != dict(counted.get(month, {})):
                yield Violation(name, ((count_pk, month),), f"month counts {have}, entries are {dict(counted[month])}")


INVARIANTS: tuple[Invariant, ...] = (
    search_postings_match_profiles,
    district_counters_match_accounts,
    customer_guards_match_owners,
    group_name_guards_match_groups,
    memberships_match_groups,
    client_index_matches_profiles,
    relationship_end_dates_match_clients,
    deactivation_markers_match_payments,
    credentials_only_while_enrolled,
    due_entries_match_what_falls_due,
    activity_matches_changes,
)


def violations(snapshot: Snapshot) -> list[Violation]:
    return [violation for invariant in INVARIANTS for violation in invariant(snapshot)]


# --- repair: derived items only ------------------------------------------------------------------------


@dataclass
class Repair:
    """Writes that make the derived items what the items people wrote call for."""

    puts: list[Item] = field(default_factory=list)
    deletes: list[Key] = field(default_factory=list)
    # (key, SET attributes, REMOVE attributes) on an item whose own attributes stay as they are
    updates: list[tuple[Key, dict[str, Any], list[str]]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.puts) + len(self.deletes) + len(self.updates)


def repairs(snapshot: Snapshot) -> Repair:
    """Postings and cards, district counters, activity counters and due-index entries as they must be."""
    repair = Repair()
    _repair_postings(snapshot, repair)
    _repair_districts(snapshot, repair)
    _repair_activity_counters(snapshot, repair)
    _repair_due(snapshot, repair)
    return repair


def _repair_postings(snapshot: Snapshot, repair: Repair) -> None:
    wanted = expected_postings(snapshot)
    for key, posting in wanted.items():
        if _posting_attributes(snapshot.items.get(key, {})) != _posting_attributes(posting):
            repair.puts.append(posting)
    repair.deletes += [key for key in snapshot.items if _is_posting(snapshot, key[0]) and key not in wanted]


def _repair_districts(snapshot: Snapshot, repair: Repair) -> None:
    """District counters, and each customer's search item: its card (if kept there) and its districts."""
    districts: Counter[tuple[str, str]] = Counter()
    spelling: dict[tuple[str, str], str] = {}
    for (tenant_id, customer_id), customer in snapshot.customers.items():
        for account in customer.accounts:
            spelling.setdefault((tenant_id, district_key(account.district)), account.district)
        counted = districts_of(customer)
        for district in counted:
            districts[(tenant_id, district)] += 1
        search_key = key_of(search_index.search_item_key(tenant_id, customer_id))
        held = snapshot.items.get(search_key, {})
        sets: dict[str, Any] = dict(search_index.card_to_store(customer) or {})
        if counted:
            sets["counted"] = counted
        changed = {name: value for name, value in sets.items() if held.get(name) != value}
        removes = ["counted"] if not counted and "counted" in held else []
        if changed or removes:
            repair.updates.append((search_key, changed, removes))
    for (pk, sk), item in snapshot.items.items():
        owner = _tenant_of(snapshot, pk, "DISTRICTS")
        if owner and int(item.get("customers", 0)) != districts[(owner, sk)]:
            repair.updates.append(((pk, sk), {"customers": districts[(owner, sk)]}, []))
    for (tenant_id, district), count in districts.items():
        if (keys.district_pk(tenant_id), district) not in snapshot.items:
            repair.puts.append(
                {
                    "pk": keys.district_pk(tenant_id),
                    "sk": district,
                    "district": spelling[(tenant_id, district)],
                    "customers": count,
                }
            )


def _repair_due(snapshot: Snapshot, repair: Repair) -> None:
    for key, item in snapshot.items.items():
        wanted = expected_due(snapshot, key, item)
        held = {attribute: item[attribute] for attribute in (due.PK, due.SK) if attribute in item}
        if wanted is None and held:
            repair.updates.append((key, {}, list(held)))
        elif wanted is not None and held != wanted:
            repair.updates.append((key, wanted, []))


def _repair_activity_counters(snapshot: Snapshot, repair: Repair) -> None:
    for (tenant_id, customer_id), entries in snapshot.activity_entries.items():
        months: dict[str, Counter[str]] = defaultdict(Counter)
        latest: dict[str, str] = {}
        for entry in entries:
            month = str(entry["sk"])[:7]
            months[month][str(entry.get("type"))] += 1
            latest[month] = max(latest.get(month, ""), str(entry.get("at", "")))
        count_pk = keys.activity_count_pk(tenant_id, customer_id)
        counters = snapshot.by_pk.get(count_pk, {})
        for month in set(months) | set(counters):
            held = counters.get(month, {})
            counts = months.get(month, Counter())
            stale = [name for name in held if name.startswith("n_") and name.removeprefix("n_") not in counts]
            sets: dict[str, Any] = {
                activity.count_attribute(kind): count
                for kind, count in counts.items()
                if int(held.get(activity.count_attribute(kind), 0)) != count
            }
            if (count_pk, month) not in snapshot.items and counts:
                moment = clock.parse_iso(latest[month]) if latest[month] else datetime(1970, 1, 1, tzinfo=UTC)
                sets["ttl"] = activity.counter_ttl(moment)
            if sets or stale:
                repair.updates.append(((count_pk, month), sets, stale))
