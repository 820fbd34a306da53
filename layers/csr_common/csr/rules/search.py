"""Which rows a search finds, without AWS: the words of a row, the pieces of a query, and the match.

API.md: a term matches a row when it is a prefix of one of the row's words (the whole email, person id
and account number count as words too), or, when it holds punctuation, when each of its pieces (split as
fields are) is a prefix of a word of the row. The second rule contains the first: if a term with
punctuation is a prefix of a whole email or id, each of its pieces is a prefix of one of that field's own
words, which are words of the row too; and a term without punctuation is its own single piece. So a query
matches a row exactly when every piece of every term is a prefix of some word of the row, and the whole
email and ids need no word of their own in the index (`jean.tr` is `jean` and `tr`).
"""

from __future__ import annotations

from collections.abc import Iterable

from csr.models.customers import Account, Customer
from csr.text import fold, words


def query_pieces(q: str) -> list[str]:
    """The pieces every row must have a word starting with, each once, sorted. A term of punctuation or
    lone accents only has no piece: it constrains nothing (each of its no pieces is a prefix of a word)."""
    return sorted({piece for term in q.split() for piece in words(term)})


def without_prefixes(found: Iterable[str]) -> set[str]:
    """The words no other word starts with: a piece that starts some word of the set starts one of these.
    In sorted order, a word that another extends is followed by such a word, so one look ahead decides."""
    ordered = sorted(set(found))
    return {
        word
        for word, following in zip(ordered, [*ordered[1:], None], strict=False)
        if following is None or not following.startswith(word)
    }


# The searchable fields (API.md, Find a customer): the customer's own, and those of each service account.
CUSTOMER_FIELDS = ("first_name", "last_name", "email", "person_id")
ACCOUNT_FIELDS = ("account_number", "service_address", "billing_address")


def customer_words(customer: Customer) -> set[str]:
    """Folded words of the customer's own searchable fields."""
    return {word for field in CUSTOMER_FIELDS for word in words(getattr(customer, field))}


def account_words(account: Account) -> set[str]:
    """Folded words of one service account's searchable fields."""
    return {word for field in ACCOUNT_FIELDS for word in words(getattr(account, field))}


def index_words(customer: Customer) -> set[str]:
    """The words under which the index lists `customer`: every word of every row, minus those another word
    of the customer extends (a prefix of the short word is a prefix of the long one)."""
    found = customer_words(customer)
    for account in customer.accounts:
        found |= account_words(account)
    return without_prefixes(found)


def matches(pieces: Iterable[str], row_words: Iterable[str]) -> bool:
    """Every piece is a prefix of some word of the row."""
    listed = list(row_words)
    return all(any(word.startswith(piece) for word in listed) for piece in pieces)


def district_key(district: str) -> str:
    """Districts compare ignoring case, accents and surrounding spaces (`Montréal ` is `montreal`)."""
    return fold(district).strip()


def districts_of(customer: Customer) -> set[str]:
    return {district_key(account.district) for account in customer.accounts}


def sort_names(customer: Customer) -> tuple[str, str]:
    """Rows sort by folded last name, then folded first name (then customer id, then account number)."""
    return fold(customer.last_name), fold(customer.first_name)
