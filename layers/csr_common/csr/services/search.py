"""Customer search (`GET /customers`) and the district list (`GET /districts`).

How a page is found (the index is described in csr.data.search_index):
1. The query becomes pieces (csr.rules.search.query_pieces): every piece of every term must be a prefix of
   a word of the row.
2. The driving piece. The pieces' postings are read side by side, longest piece first, in Queries whose
   `Limit` grows fourfold each round (100, 400, 1,600, ...); the first piece whose postings are all read
   drives. A rare piece is read whole in its first Query and the others are never read; when every piece
   is common, reading stops once the smallest posting list is whole, so a page reads in proportion to
   that list (times the number of pieces), never to the tenant. A piece stops being read the moment its
   postings name more than MAX_CUSTOMERS customers (API.md's bound); when every piece does, the answer
   is 422 `query_too_broad`. This is the intersection: the driving postings carry each customer's words,
   so the other pieces are checked against them without reading their own postings.
3. The rows. Each driving posting's card (or, for the few customers too large to carry it on every
   posting, the card of their search item, one BatchGetItem per 100) yields the service accounts whose
   words hold every piece and whose district is the one asked for, in (last name, first name, customer
   id, account number) order, after the cursor's position.
4. Live status and fields. The profiles and account items of the first candidates (a page and one more
   row) are read in one BatchGetItem, each row checked again against the live customer (its status among
   those asked for, its words still matching). With the default status filter that is the whole page in
   1 call; a status filter that few candidates pass costs one call per 100 further candidates it skips,
   and one more for the account items of the rows they add.
5. The cursor holds the last row's position and the driving piece, so a further page reads that piece's
   postings alone, with no race: it costs at most what the first page did.

Status changes stay cheap because no posting holds the status; search stays exact because every row is
checked against the live profile before it is served.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from csr.auth import Caller
from csr.cursor import decode_cursor, encode_cursor
from csr.data import search_index
from csr.data.search_index import SearchCard
from csr.errors import InvalidCursorError, ValidationFailedError, field_error
from csr.models.customers import Account, Customer, PortalStatus
from csr.models.filters import parse_comma_list
from csr.models.search import DEFAULT_STATUSES, DistrictCount, DistrictList, SearchPage, SearchRow
from csr.rules.search import account_words, customer_words, district_key, matches, query_pieces

SortKey = tuple[str, str, str, str]

# API.md: a query answers as long as one of its terms matches at most this many customers.
MAX_CUSTOMERS = 20_000
# Postings read by a piece's first Query, and the growth of each further one.
FIRST_READ = 100
READ_GROWTH = 4
# BatchGetItem reads at most 100 keys a call: the profiles read once a status filter has failed some rows.
PROFILES_PER_CALL = 100


class QueryTooBroadError(ValidationFailedError):
    code = "query_too_broad"
    message = "Too many customers match; add another word (a street number, a name) to narrow the search."


@dataclass
class _Reading:
    """One piece's postings as read so far."""

    piece: str
    # By customer: its card, or None while it is only a pointer to the customer's search item.
    cards: dict[str, SearchCard | None]
    resume: dict[str, str] | None = None
    done: bool = False
    reads: int = 0

    def read_next(self, tenant_id: str) -> None:
        limit = min(FIRST_READ * READ_GROWTH**self.reads, MAX_CUSTOMERS + 1 - len(self.cards))
        page = search_index.read_postings(tenant_id, self.piece, self.resume, limit)
        self.reads += 1
        self.cards.update((card.customer_id, card) for card in page.cards)
        self.cards.update((customer_id, None) for customer_id in page.pointers)
        self.resume = page.resume
        self.done = page.resume is None

    @property
    def too_broad(self) -> bool:
        return len(self.cards) > MAX_CUSTOMERS

    def all_cards(self, tenant_id: str) -> list[SearchCard]:
        """Every card, those behind pointers read from the customers' search items."""
        pointed = [customer_id for customer_id, card in self.cards.items() if card is None]
        carried = [card for card in self.cards.values() if card is not None]
        return carried + (search_index.load_cards(tenant_id, pointed) if pointed else [])


def driving_order(pieces: list[str]) -> list[str]:
    """The longest piece first: the one likely to have the fewest postings."""
    return sorted(pieces, key=lambda piece: (-len(piece), piece))


def drive(tenant_id: str, pieces: list[str]) -> _Reading:
    """The first piece whose postings are read whole, reading each piece a little more every round."""
    readings = [_Reading(piece, {}) for piece in driving_order(pieces)]
    while True:
        open_readings = [reading for reading in readings if not reading.too_broad]
        if not open_readings:
            raise QueryTooBroadError(matching_customers_over=MAX_CUSTOMERS)
        for reading in open_readings:
            reading.read_next(tenant_id)
            if reading.done and not reading.too_broad:
                return reading


def read_whole(tenant_id: str, piece: str) -> _Reading:
    reading = _Reading(piece, {})
    while not reading.done:
        reading.read_next(tenant_id)
        if reading.too_broad:
            raise QueryTooBroadError(matching_customers_over=MAX_CUSTOMERS)
    return reading


def candidate_rows(cards: list[SearchCard], pieces: list[str], district: str | None) -> list[SortKey]:
    """The rows the cards say match, in order."""
    rows = [
        (card.last_name, card.first_name, card.customer_id, account.account_number)
        for card in cards
        for account in card.accounts
        if (district is None or account.district == district) and matches(pieces, card.words + account.words)
    ]
    return sorted(rows)


def row_matches(
    customer: Customer,
    account: Account,
    pieces: list[str],
    district: str | None,
    statuses: frozenset[PortalStatus],
) -> bool:
    """The row as stored now still answers the query."""
    return (
        customer.portal.status in statuses
        and (district is None or district_key(account.district) == district)
        and matches(pieces, customer_words(customer) | account_words(account))
    )


def _batch_end(candidates: list[SortKey], start: int, rows: int, customers: int) -> int:
    """Where a batch from `start` ends: after whole customers, once it holds `rows` rows or `customers` customers."""
    end, taken = start, 0
    while end < len(candidates) and end - start < rows and taken < customers:
        customer_id = candidates[end][2]
        taken += 1
        while end < len(candidates) and candidates[end][2] == customer_id:
            end += 1  # every row of a customer read goes with it
    return end


def _passing(
    rows: list[SortKey], profiles: dict[str, Customer], statuses: frozenset[PortalStatus]
) -> list[tuple[SortKey, Customer]]:
    return [
        (row, customer)
        for row in rows
        if (customer := profiles.get(row[2])) is not None and customer.portal.status in statuses
    ]


def live_rows(
    tenant_id: str, candidates: list[SortKey], wanted: int, statuses: frozenset[PortalStatus]
) -> tuple[list[tuple[SortKey, Customer]], dict[tuple[str, str], Account]]:
    """The first `wanted` candidates whose customer's live status is among `statuses`, and their account items.

    The first BatchGetItem reads the profiles and the account items of the first `wanted` candidates: with the
    default status filter that is the whole page in one call. Once some fail the filter, the profiles of further
    candidates are read 100 a call, and the account items of the rows they add in one more call.
    """
    end = _batch_end(candidates, 0, wanted, wanted)
    first = candidates[:end]
    profiles, accounts = search_index.load_live(
        tenant_id, dict.fromkeys(row[2] for row in first), [(row[2], row[3]) for row in first]
    )
    kept = _passing(first, profiles, statuses)
    while end < len(candidates) and len(kept) < wanted:
        start, end = end, _batch_end(candidates, end, len(candidates), PROFILES_PER_CALL)
        batch = candidates[start:end]
        profiles, _ = search_index.load_live(tenant_id, dict.fromkeys(row[2] for row in batch), [])
        kept += _passing(batch, profiles, statuses)
    kept = kept[:wanted]
    missing = [(row[2], row[3]) for row, _ in kept if (row[2], row[3]) not in accounts]
    if missing:
        accounts.update(search_index.load_live(tenant_id, [], missing)[1])
    return kept, accounts


def to_row(customer: Customer, account: Account) -> SearchRow:
    return SearchRow(
        **customer.model_dump(include={"customer_id", "person_id", "first_name", "last_name", "email"}),
        **account.model_dump(include={"account_number", "service_address", "billing_address", "district"}),
        portal_status=customer.portal.status,
        last_access_at=customer.portal.last_access_at,
    )


def _position(tenant_id: str, query: dict[str, Any], cursor: str | None) -> tuple[SortKey, str] | None:
    if cursor is None:
        return None
    position = decode_cursor(tenant_id, query, cursor)
    after, piece = position.get("after"), position.get("drive")
    if (
        not (isinstance(after, list) and len(after) == 4 and all(isinstance(part, str) for part in after))
        or piece not in query["pieces"]
    ):
        raise InvalidCursorError()
    return (after[0], after[1], after[2], after[3]), str(piece)


def search_customers(
    caller: Caller,
    q: str,
    *,
    district: str | None = None,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> SearchPage:
    tenant_id = caller.tenant_id
    pieces = query_pieces(q)
    if not pieces:
        raise ValidationFailedError(fields=[field_error("q", "Type at least one word to search for.")])
    statuses = parse_comma_list(status, PortalStatus, "status") or DEFAULT_STATUSES
    wanted_district = district_key(district) if district is not None else None
    # What the cursor is bound to: the normalised query, so `Jean  TREMBLAY` and `tremblay jean` share one.
    query = {"list": "customer_search", "pieces": pieces, "district": wanted_district, "status": sorted(statuses)}
    position = _position(tenant_id, query, cursor)
    reading = read_whole(tenant_id, position[1]) if position else drive(tenant_id, pieces)
    candidates = candidate_rows(reading.all_cards(tenant_id), pieces, wanted_district)
    if position:
        candidates = [row for row in candidates if row > position[0]]
    found, accounts = live_rows(tenant_id, candidates, limit + 1, statuses)
    page: list[tuple[SortKey, SearchRow]] = []
    for row, customer in found:
        account = accounts.get((row[2], row[3]))
        if account is not None and row_matches(customer, account, pieces, wanted_district, statuses):
            page.append((row, to_row(customer, account)))
    next_cursor = None
    if len(page) > limit:
        page = page[:limit]
        next_cursor = encode_cursor(tenant_id, query, {"after": list(page[-1][0]), "drive": reading.piece})
    return SearchPage(items=[row for _, row in page], next_cursor=next_cursor)


def list_districts(caller: Caller) -> DistrictList:
    return DistrictList(
        items=[
            DistrictCount(district=name, customers=count)
            for name, count in search_index.district_counts(caller.tenant_id)
        ]
    )
