"""Customer search (`GET /customers`).

How a page is found: the query's terms are folded (`csr.text.fold`); the longest one drives. One Query
lists the customers with a word starting with it (`csr.data.search_index`); each candidate is then loaded
with one consistent Query (profile and accounts, so the portal status is the live one) and each of its
service accounts becomes a row if every term is a prefix of one of the row's words, its district is the
one asked for and its customer's status is among those asked for. Rows are sorted (folded last name,
folded first name, customer id, account number) and the page starts after the cursor's position.

Cost of a page, honestly: DynamoDB reads in proportion to the index items whose word starts with the
driving term, plus the items of every candidate customer (profile, accounts, codes), in 1 + (number of
candidate customers) calls. That does not grow with the number of customers in the tenant, only with how
many of them the driving term matches: a long term costs little; a one-letter term in a large tenant
costs as much as the customers it matches. Every page re-reads the same candidates, since the index is
ordered by word and not by name. So that cost stays bounded, a query whose driving term matches more than
MAX_CANDIDATES customers hands the drive to the next-longest term, and when every term is that broad the
answer is 422 `query_too_broad`, asking the CSR for one more word.
"""

from __future__ import annotations

from typing import Any

from csr.auth import Caller
from csr.cursor import decode_cursor, encode_cursor
from csr.data import customers, search_index
from csr.errors import InvalidCursorError, ValidationFailedError
from csr.models.customers import Account, Customer, PortalStatus
from csr.models.filters import parse_comma_list
from csr.models.search import DEFAULT_STATUSES, SearchPage, SearchRow
from csr.text import fold

SortKey = tuple[str, str, str, str]

# Loading a candidate is one Query: 500 keep a page well inside the function's timeout.
MAX_CANDIDATES = 500


class QueryTooBroadError(ValidationFailedError):
    code = "query_too_broad"
    message = "Too many customers match; add another word (a street number, a name) to narrow the search."


def search_terms(q: str) -> list[str]:
    """The folded terms of `q`, each once, in a canonical order. A term that folds to nothing (a lone
    accent) is a prefix of every word, so it constrains nothing and is dropped."""
    terms = sorted({fold(term) for term in q.split()} - {""})
    if not terms:
        raise ValidationFailedError(fields=[{"field": "q", "message": "Type at least one word to search for."}])
    return terms


def driving_order(terms: list[str]) -> list[str]:
    """The terms in the order they are tried as the driving term: the longest first, as the one likely
    to read the fewest index items."""
    return sorted(terms, key=lambda term: (-len(term), term))


def candidate_customers(tenant_id: str, terms: list[str]) -> list[str]:
    """The customers of the first term (in driving order) that matches at most MAX_CANDIDATES of them."""
    for term in driving_order(terms):
        candidates = search_index.customers_with_word_prefix(tenant_id, term)
        if len(candidates) <= MAX_CANDIDATES:
            return candidates
    raise QueryTooBroadError(matching_customers_over=MAX_CANDIDATES)


def row_matches(terms: list[str], row_words: set[str]) -> bool:
    return all(any(word.startswith(term) for word in row_words) for term in terms)


def sort_key(customer: Customer, account: Account) -> SortKey:
    return (fold(customer.last_name), fold(customer.first_name), customer.customer_id, account.account_number)


def matching_rows(
    customer: Customer, terms: list[str], district: str | None, statuses: frozenset[PortalStatus]
) -> list[tuple[SortKey, SearchRow]]:
    """The rows (one per service account) of `customer` that the query selects."""
    if customer.portal.status not in statuses:
        return []
    own_words = search_index.customer_words(customer)
    return [
        (sort_key(customer, account), _row(customer, account))
        for account in customer.accounts
        if (district is None or account.district == district)
        and row_matches(terms, own_words | search_index.account_words(account))
    ]


def _row(customer: Customer, account: Account) -> SearchRow:
    return SearchRow(
        **customer.model_dump(include={"customer_id", "person_id", "first_name", "last_name", "email"}),
        **account.model_dump(include={"account_number", "service_address", "billing_address", "district"}),
        portal_status=customer.portal.status,
        last_access_at=customer.portal.last_access_at,
    )


def _position(tenant_id: str, query: dict[str, Any], cursor: str | None) -> SortKey | None:
    if cursor is None:
        return None
    after = decode_cursor(tenant_id, query, cursor).get("after")
    if not (isinstance(after, list) and len(after) == 4 and all(isinstance(part, str) for part in after)):
        raise InvalidCursorError()
    return (after[0], after[1], after[2], after[3])


def search_customers(
    caller: Caller,
    q: str,
    *,
    district: str | None = None,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> SearchPage:
    terms = search_terms(q)
    statuses = parse_comma_list(status, PortalStatus, "status") or DEFAULT_STATUSES
    # What the cursor is bound to: the normalised query, so `Jean  TREMBLAY` and `tremblay jean` share one.
    query = {"list": "customer_search", "terms": terms, "district": district, "status": sorted(statuses)}
    after = _position(caller.tenant_id, query, cursor)
    rows: list[tuple[SortKey, SearchRow]] = []
    for customer_id in candidate_customers(caller.tenant_id, terms):
        found = customers.load(caller.tenant_id, customer_id)
        if found is not None:
            rows.extend(matching_rows(found.customer, terms, district, statuses))
    rows.sort(key=lambda pair: pair[0])
    remaining = [pair for pair in rows if after is None or pair[0] > after]
    page = remaining[:limit]
    next_cursor = None
    if len(remaining) > limit:
        next_cursor = encode_cursor(caller.tenant_id, query, {"after": list(page[-1][0])})
    return SearchPage(items=[row for _, row in page], next_cursor=next_cursor)
