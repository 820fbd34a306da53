"""The search index: postings that carry what a page needs to decide and sort, and district counters.

Postings. One item per (folded word, customer), pk = tenant + the word's first character, sk =
`word#customer_id`, for every word of the customer's rows (csr.rules.search.index_words: names, email,
person id, account numbers, addresses, split on spaces and punctuation; a word another word of the same
customer extends is left out). Each posting carries the customer's *search card*: the folded last and
first names (the sort key), the customer's own words, and per service account its number, folded district
and words. So one `begins_with` Query over a term's postings says which rows match every term, in which
order, and in which district, with no read per candidate. The card holds neither the portal status nor
`last_access_at`: a status change, a login or a lockout writes no index item, and the rows of a page are
read from the profile and account items (BatchGetItem) for their live status and fields.

Writes. A change that alters the card (a name, an address, a new account) rewrites every posting of the
customer in its own transaction; one that adds or drops words only touches those; a status change or a
login touches none. A customer with more than CARD_ON_POSTINGS_MAX postings keeps its card once, in its
search item beside its profile, and its postings point there (a page reads those cards with one
BatchGetItem per 100): its changes then write their new words and that one item, so a customer gathering
accounts one at a time stays within a transaction (the switch itself rewrites at most 40 postings plus
the new account's words). The largest realistic customer (five accounts at long addresses in
three districts, 80 postings) is 99 items with its profile, guards, accounts, activity, district counters
and search item (tests/integration/test_search_transaction.py).

Districts. One counter item per (tenant, folded district): `customers` counts the customers with an
account there. The customer's search item lists the districts it is counted in, so that the backfill
(csr.data.search_backfill) and the write path never count a customer twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Key

from csr.data import keys
from csr.data.dynamo import Transaction, batch_get, call, query_all, table
from csr.models.customers import Account, Customer
from csr.rules.search import (
    account_words,
    customer_words,
    district_key,
    districts_of,
    index_words,
    sort_names,
    without_prefixes,
)


@dataclass(frozen=True)
class AccountCard:
    account_number: str
    district: str  # folded
    words: tuple[str, ...]


@dataclass(frozen=True)
class SearchCard:
    """What every posting of a customer carries: enough to decide which rows match, and their order."""

    customer_id: str
    last_name: str  # folded
    first_name: str  # folded
    words: tuple[str, ...]
    accounts: tuple[AccountCard, ...]


def search_card(customer: Customer) -> SearchCard:
    """The card of `customer`: its accounts in account-number order, the order a read of the customer gives
    them, so that the card is a function of the customer and not of the order its accounts were added."""
    own = customer_words(customer)
    last, first = sort_names(customer)
    return SearchCard(
        customer_id=customer.customer_id,
        last_name=last,
        first_name=first,
        words=tuple(sorted(without_prefixes(own))),
        accounts=tuple(
            AccountCard(
                account_number=account.account_number,
                district=district_key(account.district),
                # Words the customer's own words already cover need not be repeated per account.
                words=tuple(sorted(without_prefixes(account_words(account)) - own)),
            )
            for account in sorted(customer.accounts, key=lambda account: account.account_number)
        ),
    )


def _card_attributes(card: SearchCard) -> dict[str, Any]:
    return {
        "customer_id": card.customer_id,
        "ln": card.last_name,
        "fn": card.first_name,
        "w": " ".join(card.words),
        "a": [[account.account_number, account.district, " ".join(account.words)] for account in card.accounts],
    }


def _card(item: dict[str, Any]) -> SearchCard:
    return SearchCard(
        customer_id=str(item["customer_id"]),
        last_name=str(item["ln"]),
        first_name=str(item["fn"]),
        words=tuple(str(item["w"]).split()),
        accounts=tuple(
            AccountCard(account_number=str(number), district=str(district), words=tuple(str(found).split()))
            for number, district, found in item["a"]
        ),
    )


# A customer with more postings than this keeps its card once, in its search item beside its profile, and
# its postings point there: a change then writes its new words and that one item, however many accounts
# the customer gathers. Few customers have so many words (one or two accounts make 15 to 30).
CARD_ON_POSTINGS_MAX = 40


def cards_on_postings(words: set[str]) -> bool:
    return len(words) <= CARD_ON_POSTINGS_MAX


def posting_key(tenant_id: str, word: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.search_pk(tenant_id, word), "sk": keys.search_sk(word, customer_id)}


def search_item_key(tenant_id: str, customer_id: str) -> dict[str, str]:
    """The customer's search item: the districts it is counted in, and its card when postings lack it."""
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.SEARCH_CUSTOMER_SK}


def postings(tenant_id: str, customer: Customer) -> dict[str, dict[str, Any]]:
    """Every posting `customer` has, by word: each with the card, or a pointer to the search item."""
    found = index_words(customer)
    carried = _card_attributes(search_card(customer)) if cards_on_postings(found) else {"ref": True}
    return {
        word: {**posting_key(tenant_id, word, customer.customer_id), "customer_id": customer.customer_id, **carried}
        for word in sorted(found)
    }


def card_to_store(customer: Customer) -> dict[str, Any] | None:
    """The card the search item must hold: None when the postings carry it."""
    return None if cards_on_postings(index_words(customer)) else _card_attributes(search_card(customer))


def add_index_changes(tx: Transaction, tenant_id: str, before: Customer | None, after: Customer) -> None:
    """Add to `tx` what turns the index of `before` into that of `after`: postings, search item, districts."""
    old = index_words(before) if before else set()
    new = postings(tenant_id, after)
    for word in sorted(old - set(new)):
        tx.delete(posting_key(tenant_id, word, after.customer_id))
    card_changed = before is None or search_card(before) != search_card(after)
    was_carried = before is not None and cards_on_postings(old)
    carried = cards_on_postings(set(new))
    # Carried cards are rewritten when the card changes; pointers only when the postings switch form.
    rewrite_all = before is None or was_carried != carried or (carried and card_changed)
    for word, item in new.items():
        if rewrite_all or word not in old:
            tx.put(item)
    card = card_to_store(after) if card_changed or was_carried else None
    gained = districts_of(after) - (districts_of(before) if before else set())
    # A customer's districts only grow: accounts are added, never removed, and an account's district never
    # changes (API.md). The search item gains only what this change counts: a customer stored before the
    # backfill reached it is counted nowhere yet, and the backfill adds what its search item lacks.
    add_search_item_update(tx, tenant_id, after, card, gained)


def add_search_item_update(
    tx: Transaction,
    tenant_id: str,
    customer: Customer,
    card: dict[str, Any] | None,
    gained: set[str],
    *,
    version: int | None = None,
) -> None:
    """Store `card` in the customer's search item and count it in the districts `gained`, in one update
    (conditioned on the item's version `v` when `version` is given; 0 means no item yet)."""
    if card is None and not gained:
        return
    spelling: dict[str, str] = {}
    for account in customer.accounts:
        spelling.setdefault(district_key(account.district), account.district)
    for district in sorted(gained):
        tx.update(
            {"pk": keys.district_pk(tenant_id), "sk": district},
            "SET #name = if_not_exists(#name, :name) ADD customers :one",
            names={"#name": "district"},
            values={":name": spelling[district], ":one": 1},
        )
    names = {f"#{name}": name for name in card or {}}
    values: dict[str, Any] = {f":{name}": value for name, value in (card or {}).items()}
    clauses = ["SET " + ", ".join(f"#{name} = :{name}" for name in card)] if card else []
    if gained:
        clauses.append("ADD counted :gained, v :one")
        values |= {":gained": gained, ":one": 1}
    condition = None
    if version is not None:
        condition = "attribute_not_exists(v)" if version == 0 else "v = :v"
        values |= {":v": version} if version else {}
    tx.update(
        search_item_key(tenant_id, customer.customer_id),
        " ".join(clauses),
        condition=condition,
        names=names or None,
        values=values,
    )


# --- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostingPage:
    cards: list[SearchCard]
    # Customers whose postings point to their search item for the card (csr.data.search_index, top).
    pointers: list[str]
    # Where the next read of the same piece goes on; None once every posting of the piece is read.
    resume: dict[str, str] | None


def read_postings(tenant_id: str, piece: str, resume: dict[str, str] | None, limit: int) -> PostingPage:
    """At most `limit` postings of the words starting with `piece` (folded, non-empty), one Query."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.search_pk(tenant_id, piece))
        & Key("sk").begins_with(keys.key_prefix(piece)),
        "Limit": limit,
        "ConsistentRead": True,
    }
    if resume:
        kwargs["ExclusiveStartKey"] = resume
    page = call(table().query, **kwargs)
    items = page.get("Items", [])
    # A posting of the first index (neither card nor pointer) waits for the backfill (csr.data.search_backfill).
    return PostingPage(
        cards=[_card(item) for item in items if "ln" in item],
        pointers=[str(item["customer_id"]) for item in items if item.get("ref")],
        resume=page.get("LastEvaluatedKey"),
    )


def load_cards(tenant_id: str, customer_ids: Iterable[str]) -> list[SearchCard]:
    """The cards kept in these customers' search items (BatchGetItem, 100 a call)."""
    found = batch_get([search_item_key(tenant_id, customer_id) for customer_id in customer_ids])
    return [_card(item) for item in found if "ln" in item]


def load_live(
    tenant_id: str, customer_ids: Iterable[str], rows: Iterable[tuple[str, str]]
) -> tuple[dict[str, Customer], dict[tuple[str, str], Account]]:
    """The live profiles of these customers (status, names, last access; without their accounts) and the live
    account items of these (customer id, account number) rows, in one BatchGetItem of up to 100 keys."""
    request = [{"pk": keys.customer_pk(tenant_id, cid), "sk": keys.PROFILE_SK} for cid in customer_ids]
    request += [{"pk": keys.customer_pk(tenant_id, cid), "sk": keys.account_sk(number)} for cid, number in rows]
    profiles: dict[str, Customer] = {}
    accounts: dict[tuple[str, str], Account] = {}
    for item in batch_get(request):
        if item["sk"] == keys.PROFILE_SK:
            profiles[str(item["customer_id"])] = Customer.model_validate({**item, "accounts": []})
        else:
            accounts[(keys.tenant_and_customer(item["pk"])[1], str(item["account_number"]))] = Account.model_validate(
                item
            )
    return profiles, accounts


def district_counts(tenant_id: str) -> list[tuple[str, int]]:
    """(district as first written, customers) for every district with a customer, by folded name."""
    items = query_all(KeyConditionExpression=Key("pk").eq(keys.district_pk(tenant_id)), ConsistentRead=True)
    return [(str(item["district"]), int(item["customers"])) for item in items if int(item["customers"]) > 0]
