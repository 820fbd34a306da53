"""Backfill of the search index for customers stored before it: postings with their card, and district counts.

Run once after the deploy that brings the index (`make migrate-search`); customers written since are
indexed by their own writes (csr.data.search_index.add_index_changes), and the backfill leaves them as
they are. It walks every customer profile of the table with a Scan (a one-off job, never a request path),
a page at a time, and records after each page where it stands in a progress item, so that a run cut
short resumes where it stopped. Each customer is idempotent to redo:
- postings: every posting is put whole (a put of the same posting changes nothing); the postings of the
  first index (whole emails and ids as words of their own) that the index no longer has are deleted;
- districts: the customer's marker lists the districts it is counted in; the backfill counts it only in
  those its marker lacks, in one transaction with the marker, conditioned on the marker's version, so a
  concurrent write (which counts what it adds, in its own transaction) and a re-run never count twice.
A customer changed while its postings were being put is done again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr

from csr.data import customers, keys
from csr.data.dynamo import Transaction, call, get, table
from csr.data.errors import ConditionFailed
from csr.data.search_index import add_search_item_update, card_to_store, posting_key, postings, search_item_key
from csr.models.customers import Customer
from csr.rules.search import account_words, customer_words, districts_of, without_prefixes
from csr.text import fold

REDO_ATTEMPTS = 5
PROGRESS_KEY = {"pk": keys.SEARCH_MIGRATION_PK, "sk": "PROGRESS"}


@dataclass
class Progress:
    resume: dict[str, str] | None = None
    customers: int = 0
    finished: bool = False


def read_progress() -> Progress:
    item = get(PROGRESS_KEY)
    if item is None:
        return Progress()
    return Progress(resume=item.get("resume"), customers=int(item["customers"]), finished=bool(item["finished"]))


def save_progress(progress: Progress) -> None:
    item: dict[str, Any] = {**PROGRESS_KEY, "customers": progress.customers, "finished": progress.finished}
    if progress.resume:
        item["resume"] = progress.resume
    call(table().put_item, Item=item)


def profiles_page(resume: dict[str, str] | None, page_size: int) -> tuple[list[tuple[str, str]], dict[str, str] | None]:
    """(tenant, customer) of the profiles among the next `page_size` items of the table, and where to go on."""
    kwargs: dict[str, Any] = {"FilterExpression": Attr("sk").eq(keys.PROFILE_SK), "Limit": page_size}
    if resume:
        kwargs["ExclusiveStartKey"] = resume
    page = call(table().scan, **kwargs)
    found = [keys.tenant_and_customer(item["pk"]) for item in page.get("Items", [])]
    return found, page.get("LastEvaluatedKey")


def legacy_words(customer: Customer) -> set[str]:
    """The words of the first index: those of today plus the whole email, person id and account numbers."""
    found = customer_words(customer).union(*(account_words(account) for account in customer.accounts))
    wholes = [customer.email, customer.person_id, *(account.account_number for account in customer.accounts)]
    return without_prefixes(found | {fold(text).strip() for text in wholes})


def _put_postings(tenant_id: str, customer: Customer) -> None:
    found = postings(tenant_id, customer)
    with table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
        for item in found.values():
            batch.put_item(Item=item)
        for word in sorted(legacy_words(customer) - set(found)):
            batch.delete_item(Key=posting_key(tenant_id, word, customer.customer_id))


def _update_search_item(tenant_id: str, customer: Customer) -> None:
    """Store the card the postings point to, and count the customer in the districts its search item
    lacks: one transaction, conditioned on the search item's version."""
    stored = get(search_item_key(tenant_id, customer.customer_id)) or {}
    gained = districts_of(customer) - set(stored.get("counted", set()))
    tx = Transaction()
    add_search_item_update(tx, tenant_id, customer, card_to_store(customer), gained, version=int(stored.get("v", 0)))
    tx.commit()


def backfill_customer(tenant_id: str, customer_id: str) -> None:
    """Index one customer; a customer changed meanwhile is done again (its postings may be those of the
    version before), a few times at most: a customer written that often indexes itself anyway."""
    for _ in range(REDO_ATTEMPTS):
        found = customers.load(tenant_id, customer_id)
        if found is None:
            return
        _put_postings(tenant_id, found.customer)
        _update_search_item(tenant_id, found.customer)
        again = customers.load(tenant_id, customer_id)
        if again is None or again.customer.version == found.customer.version:
            return
    raise ConditionFailed()


def run(*, page_size: int = 1000, max_pages: int | None = None, restart: bool = False) -> Progress:
    """Backfill from where the last run stopped (or from the start), `max_pages` scan pages at most."""
    progress = Progress() if restart else read_progress()
    if progress.finished:
        return progress
    pages = 0
    while max_pages is None or pages < max_pages:
        found, progress.resume = profiles_page(progress.resume, page_size)
        for tenant_id, customer_id in found:
            backfill_customer(tenant_id, customer_id)
        progress.customers += len(found)
        progress.finished = progress.resume is None
        save_progress(progress)
        pages += 1
        if progress.finished:
            break
    return progress
