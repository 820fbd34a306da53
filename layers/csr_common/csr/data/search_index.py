"""The search index: one item per (folded word, customer), written in the customer's own transaction, and
read with one `begins_with` Query per search.

Layout: pk = tenant + the word's first character, sk = `word#customer_id`. The words are those of
API.md (names, email, person id, account numbers, addresses; the whole email, person id and account number
count as words too), from every account of the customer, each once. A word that is a proper prefix of
another word of the same customer is left out: any term that is a prefix of it is a prefix of the longer
word too, so `begins_with` still finds the customer. Items carry no account and no status: a search
loads the candidate customer (live status, every account) and checks each row itself, so a status
change, or an account added, needs no index write beyond the new words.

Size: a customer costs one item per distinct word, not per (word, account): five accounts at long,
distinct addresses stay well within DynamoDB's 100-item transaction with the profile, guards, accounts
and activity (tests/integration/test_search_transaction.py holds the largest realistic customer).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from boto3.dynamodb.conditions import Key

from csr.data import keys
from csr.data.dynamo import Transaction, query_all
from csr.models.customers import Account, Customer
from csr.text import words, words_and_whole


def customer_words(customer: Customer) -> set[str]:
    """Folded words of the customer's own fields: first and last name, email, person id."""
    return (
        words(customer.first_name)
        | words(customer.last_name)
        | words_and_whole(customer.email)
        | words_and_whole(customer.person_id)
    )


def account_words(account: Account) -> set[str]:
    """Folded words of one service account: its number, service address and billing address."""
    return words_and_whole(account.account_number) | words(account.service_address) | words(account.billing_address)


def without_prefixes(found: Iterable[str]) -> set[str]:
    """The words no other word starts with. In sorted order, a word that some other word extends is
    followed by such a word, so one look at the successor decides."""
    ordered = sorted(set(found))
    return {
        word
        for word, following in zip(ordered, [*ordered[1:], None], strict=False)
        if following is None or not following.startswith(word)
    }


def index_keys(customer: Customer) -> set[str]:
    """The words under which the index lists `customer`."""
    found = customer_words(customer)
    for account in customer.accounts:
        found |= account_words(account)
    return without_prefixes(found)


def index_item(tenant_id: str, customer_id: str, word: str) -> dict[str, Any]:
    return {"pk": keys.search_pk(tenant_id, word), "sk": keys.search_sk(word, customer_id), "customer_id": customer_id}


def add_index_changes(tx: Transaction, tenant_id: str, before: Customer | None, after: Customer) -> None:
    """Put the index items `after` has and `before` lacked; delete those it no longer has."""
    old = index_keys(before) if before else set()
    new = index_keys(after)
    for word in sorted(old - new):
        tx.delete({"pk": keys.search_pk(tenant_id, word), "sk": keys.search_sk(word, after.customer_id)})
    for word in sorted(new - old):
        tx.put(index_item(tenant_id, after.customer_id, word))


def customers_with_word_prefix(tenant_id: str, term: str) -> list[str]:
    """Ids of the customers with a word starting with `term` (folded, non-empty), in index order. Reads
    exactly the index items whose word starts with `term`: one partition, one key range, never a Scan."""
    items = query_all(
        KeyConditionExpression=Key("pk").eq(keys.search_pk(tenant_id, term)) & Key("sk").begins_with(term),
        ProjectionExpression="customer_id",
        ConsistentRead=True,
    )
    return list(dict.fromkeys(str(item["customer_id"]) for item in items))
