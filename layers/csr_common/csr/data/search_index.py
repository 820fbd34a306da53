"""Write side of the search index: one item per (folded word, customer, account), in the customer's
transaction. Customer-level words (names, email, person id) carry no account; account-level words
(account number, addresses) carry theirs. Readers query a word prefix with `begins_with`."""

from __future__ import annotations

from csr.data import keys
from csr.data.dynamo import Transaction
from csr.models.customers import Customer
from csr.text import words, words_and_whole

IndexKey = tuple[str, str | None]  # (word, account_number or None for customer-level words)


def index_keys(customer: Customer) -> set[IndexKey]:
    customer_words = (
        words(customer.first_name)
        | words(customer.last_name)
        | words_and_whole(customer.email)
        | words_and_whole(customer.person_id)
    )
    found: set[IndexKey] = {(word, None) for word in customer_words}
    for account in customer.accounts:
        account_words = (
            words_and_whole(account.account_number) | words(account.service_address) | words(account.billing_address)
        )
        found |= {(word, account.account_number) for word in account_words}
    return found


def add_index_changes(tx: Transaction, tenant_id: str, before: Customer | None, after: Customer) -> None:
    """Put the index items `after` has and `before` lacked; delete those it no longer has."""
    old = index_keys(before) if before else set()
    new = index_keys(after)
    for word, account_number in sorted(old - new, key=str):
        tx.delete({"pk": keys.search_pk(tenant_id, word), "sk": keys.search_sk(word, after.customer_id, account_number)})
    for word, account_number in sorted(new - old, key=str):
        item = {
            "pk": keys.search_pk(tenant_id, word),
            "sk": keys.search_sk(word, after.customer_id, account_number),
            "customer_id": after.customer_id,
        }
        if account_number:
            item["account_number"] = account_number
        tx.put(item)
