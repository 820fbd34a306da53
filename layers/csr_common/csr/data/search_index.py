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
login touches none. The largest realistic customer (five accounts at long addresses) has ~75 postings,
inside DynamoDB's 100-item transaction with its profile, guards, accounts, activity and district counters
(tests/integration/test_search_transaction.py). A customer whose words outgrow one transaction gets 422
`change_too_large` on the change that would exceed it.

Districts. One counter item per (tenant, folded district): `customers` counts the customers with an
account there. A marker beside the customer's profile lists the districts it is counted in, so that the
backfill (csr.data.search_backfill) and the write path never count a customer twice.
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
            for account in customer.accounts
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


def posting_key(tenant_id: str, word: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.search_pk(tenant_id, word), "sk": keys.search_sk(word, customer_id)}


def postings(tenant_id: str, customer: Customer) -> list[dict[str, Any]]:
    """Every posting `customer` has, card included."""
    attributes = _card_attributes(search_card(customer))
    return [
        {**posting_key(tenant_id, word, customer.customer_id), **attributes} for word in sorted(index_words(customer))
    ]


def add_index_changes(tx: Transaction, tenant_id: str, before: Customer | None, after: Customer) -> None:
    """Add to `tx` what turns the index of `before` into that of `after`: postings and district counters."""
    old = index_words(before) if before else set()
    new = index_words(after)
    for word in sorted(old - new):
        tx.delete(posting_key(tenant_id, word, after.customer_id))
    rewrite_all = before is None or search_card(before) != search_card(after)
    for item in postings(tenant_id, after):
        if rewrite_all or item["sk"].rsplit("#", 1)[0] not in old:
            tx.put(item)
    _count_districts(tx, tenant_id, after, districts_of(before) if before else set())


def _count_districts(tx: Transaction, tenant_id: str, customer: Customer, counted: set[str]) -> None:
    """Count `customer` in the districts it has gained. A customer's districts only grow: accounts are
    added, never removed, and an account's district never changes (API.md)."""
    gained = districts_of(customer) - counted
    if not gained:
        return
    spelling: dict[str, str] = {}
    for account in customer.accounts:
        spelling.setdefault(district_key(account.district), account.district)
    for district in sorted(gained):
        add_district_count(tx, tenant_id, district, spelling[district], 1)
    # The marker gains only what this change counted: a customer stored before the backfill reached it
    # is counted nowhere yet, and the backfill adds what its marker lacks.
    tx.update(
        district_marker_key(tenant_id, customer.customer_id),
        "ADD counted :gained, v :one",
        values={":gained": gained, ":one": 1},
    )


def add_district_count(tx: Transaction, tenant_id: str, district: str, spelling: str, delta: int) -> None:
    tx.update(
        {"pk": keys.district_pk(tenant_id), "sk": district},
        "SET #name = if_not_exists(#name, :name) ADD customers :delta",
        names={"#name": "district"},
        values={":name": spelling, ":delta": delta},
    )


def district_marker_key(tenant_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.SEARCH_DISTRICTS_SK}


# --- reading -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostingPage:
    cards: list[SearchCard]
    # Where the next read of the same piece goes on; None once every posting of the piece is read.
    resume: dict[str, str] | None


def read_postings(tenant_id: str, piece: str, resume: dict[str, str] | None, limit: int) -> PostingPage:
    """At most `limit` postings of the words starting with `piece` (folded, non-empty), one Query."""
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": Key("pk").eq(keys.search_pk(tenant_id, piece)) & Key("sk").begins_with(piece),
        "Limit": limit,
        "ConsistentRead": True,
    }
    if resume:
        kwargs["ExclusiveStartKey"] = resume
    page = call(table().query, **kwargs)
    # A posting of the first index (no card) waits for the backfill (csr.data.search_backfill).
    cards = [_card(item) for item in page.get("Items", []) if "ln" in item]
    return PostingPage(cards=cards, resume=page.get("LastEvaluatedKey"))


def load_profiles(tenant_id: str, customer_ids: Iterable[str]) -> dict[str, Customer]:
    """The live profiles (status, names, last access) of these customers, without their accounts."""
    found = batch_get([{"pk": keys.customer_pk(tenant_id, cid), "sk": keys.PROFILE_SK} for cid in customer_ids])
    return {str(item["customer_id"]): Customer.model_validate({**item, "accounts": []}) for item in found}


def load_accounts(tenant_id: str, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Account]:
    """The live account items of these (customer id, account number) pairs."""
    request = [{"pk": keys.customer_pk(tenant_id, cid), "sk": keys.account_sk(number)} for cid, number in wanted]
    return {
        (keys.tenant_and_customer(item["pk"])[1], str(item["account_number"])): Account.model_validate(item)
        for item in batch_get(request)
    }


def district_counts(tenant_id: str) -> list[tuple[str, int]]:
    """(district as first written, customers) for every district with a customer, by folded name."""
    items = query_all(KeyConditionExpression=Key("pk").eq(keys.district_pk(tenant_id)), ConsistentRead=True)
    return [(str(item["district"]), int(item["customers"])) for item in items if int(item["customers"]) > 0]
