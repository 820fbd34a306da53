"""Customer search in a realistic tenant at 10,000 and 100,000 customers: calls and items read per page.

    make bench-search        (or: .venv/bin/python -m bench.search [--sizes 10000,100000] [--max-pages 60])

Moto stands in for DynamoDB (with the emulator patches of infra/, so that a Query walks one partition).
A fixed set of target customers is written through the product's own write path. Filler customers are
seeded with batch writes of exactly the items the product writes for them (profile, account, and the
postings of `search_index.postings`; district counters at their totals). Their first and last names
follow a skewed (Zipf-like) law: the most common surname (Tremblay) is on ~1% of them, the most common first
name (Jean) on ~3%, over a long tail; their streets, account numbers and districts come from a vocabulary
the rare queries do not match, so a rare query returns the same rows at every size while a common one
(`tremblay`, `jean tremblay`) grows with the tenant, as it would in a utility.

Per query: rows (over every page), pages, DynamoDB calls and items read on the first page, the most any
further page cost against the first, items read over every page, the smallest posting list among the
query's pieces, and a Scan's reads (the table's item count) against the first page. Counted with botocore
hooks (bench/counting.py); moto's latency says nothing about DynamoDB and is not reported.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.counting import DynamoDbCounter
from infra.local_aws import LocalAws

TENANT = "bench-utility"
PAGE = 20
LAST_TOP = [
    "Tremblay", "Gagnon", "Roy", "Côté", "Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Gagné",
    "Ouellet", "Pelletier", "Bélanger", "Lévesque", "Bergeron", "Leblanc", "Paquette", "Girard", "Simard",
    "Boucher", "Caron", "Beaulieu", "Cloutier", "Dubé", "Poirier", "Fournier", "Lapointe", "Leclerc",
    "Lefebvre", "Poulin", "Thibault", "St-Pierre", "Nadeau", "Martin", "Landry", "Martel", "Bédard",
]  # fmt: skip
FIRST_TOP = [
    "Jean", "Marie", "Michel", "Pierre", "Sylvie", "Nathalie", "Luc", "Marie-Ève", "Isabelle", "Daniel",
    "François", "Julie", "Stéphane", "Louise", "Martin", "Chantal", "Denis", "Caroline", "Alain", "Josée",
    "Guy", "Manon", "Yves", "Karine", "Mathieu", "Mélanie", "Éric", "Geneviève", "Patrick", "Annie",
]  # fmt: skip
SYLLABLES = ["ba", "bo", "ca", "de", "do", "fa", "ga", "gi", "la", "le", "li", "lo", "ma", "mo", "na", "no"]
SYLLABLES += ["ra", "re", "ri", "ro", "sa", "se", "ta", "te", "va", "ve", "vi", "du", "bu", "ru"]
ENDINGS = ["rd", "lt", "n", "s", "t", "ault", "eau", "ier", "ette", "in", "on", "ard"]
# No filler word starts with these: the rare queries' pieces.
RESERVED = ("main", "apt", "helen", "acc", "pine", "brien", "2172")
STREETS = ["Rue Principale", "Chemin du Lac", "Boulevard Industriel", "Avenue des Bois", "Rang Sud", "Rue King"]
DISTRICTS = ["Laval", "Longueuil", "Montréal-Nord", "Anjou", "Verdun", "Lachine", "Outremont", "Rosemont"]


@dataclass(frozen=True)
class Query:
    q: str
    district: str | None = None
    status: str | None = None
    rare: bool = True  # matches target customers only: the same rows at every size

    def label(self) -> str:
        filters = "".join(
            f" {name}={value}" for name, value in (("district", self.district), ("status", self.status)) if value
        )
        return f"`{self.q}`{filters}"


QUERIES = [
    # rare: the same rows at every size
    Query("2172"),
    Query("2172 main apt"),
    Query("2172 main st."),
    Query("helene"),
    Query("acc-7700"),
    Query("o'brien"),
    Query("pine", district="north", status="enrolled,locked"),
    # common: rows grow with the tenant
    Query("jean tremblay", rare=False),
    Query("jean.tr", rare=False),
    Query("marie-eve st-pierre", rare=False),
    Query("tremblay", rare=False),
    Query("gagnon", district="laval", rare=False),
    Query("tremblay", status="locked", rare=False),
]


def targets() -> list[dict[str, object]]:
    """The customers the rare queries find, as POST /customers would receive them (plus a status to set)."""

    def account(number: str, address: str, district: str = "north") -> dict[str, str]:
        return {"account_number": number, "service_address": address, "billing_address": address, "district": district}

    def customer(first: str, last: str, email: str, person: str, *accounts: dict[str, str]) -> dict[str, object]:
        return {"first_name": first, "last_name": last, "email": email, "person_id": person, "accounts": list(accounts)}

    return [
        customer(
            "Jean",
            "Tremblay",
            "jean.tremblay@example.org",
            "T-1",
            account("ACC-770001", "2172 Main Street Apt 3"),
            account("ACC-770002", "2172 Main Street Apt 4"),
        ),
        customer("Hélène", "Côté", "hcote@example.org", "T-2", account("ACC-770003", "2172 Main St Unit 9")),
        customer(
            "Jeanne",
            "Roy",
            "jroy@example.org",
            "T-3",
            account("ACC-880004", "5 Pine Road", "north"),
            account("ACC-880005", "6 Pine Road", "south"),
        ),
        {**customer("Marc", "Arsenault", "ma@example.org", "T-4", account("ACC-880006", "7 Pine Road")), "s": "locked"},
        {**customer("Helene", "Caron", "hc@example.org", "T-5", account("ACC-880007", "8 Pine Road")), "s": "hidden"},
        customer("Marie-Ève", "St-Pierre", "mesp@example.org", "T-6", account("ACC-880008", "12 Rue de l'Église")),
        customer("Seán", "O'Brien", "sob@example.org", "T-7", account("ACC-880009", "40 Rue King")),
    ]


def add_targets() -> None:
    from csr.auth import Caller
    from csr.data import customers
    from csr.data.dynamo import Transaction
    from csr.models.customers import CreateCustomerRequest, PortalStatus
    from csr.services.customers import create_customer

    caller = Caller(sub="bench", email="bench@example.org", tenant_id=TENANT, roles=frozenset({"csr"}))
    for body in targets():
        status = body.pop("s", None)
        created = create_customer(caller, CreateCustomerRequest.model_validate(body))
        if status:
            found = customers.load(TENANT, created.customer_id)
            assert found is not None
            before = found.customer
            portal = before.portal.model_copy(update={"status": PortalStatus(str(status))})
            tx = Transaction()
            customers.add_customer_write(tx, TENANT, before, before.model_copy(update={"portal": portal}))
            tx.commit()


class Names:
    """A skewed law over names: rank r drawn with weight r^-s, s set so that rank 1 has `top_share`."""

    def __init__(self, top: list[str], size: int, top_share: float, rng: random.Random) -> None:
        tail: list[str] = []
        seen = {name.lower() for name in top}
        while len(top) + len(tail) < size:
            name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 2))) + rng.choice(ENDINGS)
            if name not in seen and not name.startswith(RESERVED):
                seen.add(name)
                tail.append(name.capitalize())
        self.names = top + tail
        low, high = 0.0, 3.0
        for _ in range(60):
            s = (low + high) / 2
            share = 1 / sum(r**-s for r in range(1, size + 1))
            low, high = (s, high) if share < top_share else (low, s)
        weights = [r**-s for r in range(1, size + 1)]
        total = sum(weights)
        running = 0.0
        self.cumulative = []
        for weight in weights:
            running += weight / total
            self.cumulative.append(running)

    def draw(self, rng: random.Random) -> str:
        return rng.choices(self.names, cum_weights=self.cumulative)[0]


@dataclass
class Seeder:
    rng: random.Random = field(default_factory=lambda: random.Random(15))
    districts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.last = Names(list(LAST_TOP), 8_000, 0.01, self.rng)
        self.first = Names(list(FIRST_TOP), 1_500, 0.03, self.rng)

    def filler(self, n: int) -> list[dict[str, Any]]:
        """What the product stores for filler customer `n`: profile, account and postings."""
        from csr.data import keys, search_index
        from csr.models.customers import Account, Customer, PortalState, PortalStatus
        from csr.text import words

        first, last = self.first.draw(self.rng), self.last.draw(self.rng)
        status = self.rng.choices(list(PortalStatus), weights=[25, 70, 4, 0.5, 0.5])[0]
        street = f"{self.rng.randint(1, 1999)} {self.rng.choice(STREETS)}"
        account = Account(
            account_number=f"FIL-{n:07d}",
            service_address=street,
            billing_address=street,
            district=self.rng.choice(DISTRICTS),
        )
        customer = Customer(
            customer_id=f"cus_fill{n:07d}",
            person_id=f"F-{n:07d}",
            first_name=first,
            last_name=last,
            email=f"{'-'.join(sorted(words(first)))}.{'-'.join(sorted(words(last)))}{n}@example.net",
            created_at="2026-01-01T00:00:00.000Z",
            portal=PortalState(status=status),
            accounts=[account],
            version=1,
        )
        self.districts[account.district] += 1
        pk = keys.customer_pk(TENANT, customer.customer_id)
        profile = {"pk": pk, "sk": keys.PROFILE_SK, **customer.model_dump(mode="json", exclude={"accounts"})}
        account_item = {"pk": pk, "sk": keys.account_sk(account.account_number), **account.model_dump(mode="json")}
        return [profile, account_item, *search_index.postings(TENANT, customer).values()]

    def seed(self, start: int, stop: int) -> int:
        from csr.data import keys
        from csr.data.dynamo import table
        from csr.rules.search import district_key

        written = 0
        with table().batch_writer() as batch:
            for n in range(start, stop):
                for item in self.filler(n):
                    batch.put_item(Item={key: value for key, value in item.items() if value is not None})
                    written += 1
            for district, count in self.districts.items():
                # Targets are counted by their own writes, in other districts: fillers' totals are exact.
                item = {"pk": keys.district_pk(TENANT), "sk": district_key(district), "district": district}
                batch.put_item(Item={**item, "customers": count})
        return written


@dataclass
class Figures:
    rows: int = 0
    pages: int = 0
    first_calls: int = 0
    first_items: int = 0
    max_calls: int = 0
    worst_further: float = 0.0  # the costliest further page's items read, against the first page's
    total_items: int = 0
    too_broad: bool = False
    complete: bool = True


def run_query(counter: DynamoDbCounter, query: Query, max_pages: int) -> Figures:
    from csr.auth import Caller
    from csr.errors import ApiError
    from csr.services.search import search_customers

    caller = Caller(sub="bench", email="bench@example.org", tenant_id=TENANT, roles=frozenset({"csr"}))
    figures = Figures()
    cursor = None
    while figures.pages < max_pages:
        with counter.measure() as count:
            try:
                page = search_customers(
                    caller, query.q, district=query.district, status=query.status, limit=PAGE, cursor=cursor
                )
            except ApiError as error:
                if error.code != "query_too_broad":
                    raise
                figures.too_broad = True
                return figures
        figures.pages += 1
        figures.rows += len(page.items)
        figures.total_items += count.items_read
        figures.max_calls = max(figures.max_calls, count.calls)
        if figures.pages == 1:
            figures.first_calls, figures.first_items = count.calls, count.items_read
        else:
            figures.worst_further = max(figures.worst_further, count.items_read / max(figures.first_items, 1))
        cursor = page.next_cursor
        if cursor is None:
            return figures
    figures.complete = False
    return figures


def smallest_posting_list(query: Query) -> int:
    """Postings of the query's least common piece (counted with Select=COUNT, outside the measures)."""
    from boto3.dynamodb.conditions import Key

    from csr.data import keys
    from csr.data.dynamo import table
    from csr.rules.search import query_pieces

    def postings(piece: str) -> int:
        total = 0
        kwargs: dict[str, Any] = {}
        while True:
            page = table().query(
                KeyConditionExpression=Key("pk").eq(keys.search_pk(TENANT, piece)) & Key("sk").begins_with(piece),
                Select="COUNT",
                **kwargs,
            )
            total += int(page["Count"])
            if "LastEvaluatedKey" not in page:
                return total
            kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}

    return min(postings(piece) for piece in query_pieces(query.q))


def table_items() -> int:
    """Every item a Scan reads, whatever its filter: the table's item count."""
    from csr.data.dynamo import client
    from csr.settings import get_settings

    return int(client().describe_table(TableName=get_settings().table_name)["Table"]["ItemCount"])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--max-pages", type=int, default=60, help="pages followed per query at most")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    LocalAws().start()
    from csr.data import dynamo

    counter = DynamoDbCounter(dynamo.client())
    add_targets()
    seeder = Seeder()
    seeded = len(targets())
    results: dict[int, dict[str, tuple[Figures, int]]] = {}
    scans: dict[int, int] = {}
    for size in sizes:
        items = seeder.seed(seeded, size)
        seeded = size
        print(f"# seeded to {size:,} customers (+{items:,} items)", file=sys.stderr, flush=True)
        scans[size] = table_items()
        results[size] = {}
        for query in QUERIES:
            results[size][query.label()] = (run_query(counter, query, args.max_pages), smallest_posting_list(query))
            print(f"#   {query.label()} done", file=sys.stderr, flush=True)
        report(size, results[size], scans[size])
    return verdict(sizes, results)


def report(size: int, results: dict[str, tuple[Figures, int]], scan: int) -> None:
    print(f"\n{size:,} customers; a Scan reads {scan:,} items\n")
    print("| query | rows | pages | calls p.1 | max calls/page | items p.1 | further page / p.1 | items all pages "
          "| smallest postings | Scan / p.1 |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, (fig, smallest) in results.items():
        if fig.too_broad:
            print(f"| {label} | 422 | | | | | | | {smallest:,} | |")
            continue
        rows = f"{fig.rows}{'' if fig.complete else '+'}"
        print(
            f"| {label} | {rows} | {fig.pages} | {fig.first_calls} | {fig.max_calls} | {fig.first_items:,} | "
            f"{fig.worst_further:.2f} | {fig.total_items:,} | {smallest:,} | {scan / max(fig.first_items, 1):,.0f} |"
        )


def verdict(sizes: list[int], results: dict[int, dict[str, tuple[Figures, int]]]) -> int:
    small, large = sizes[0], sizes[-1]
    answered = all(not fig.too_broad for size in sizes for fig, _ in results[size].values())
    calls = max(fig.max_calls for size in sizes for fig, _ in results[size].values())
    further = max(fig.worst_further for size in sizes for fig, _ in results[size].values())
    rare = [query.label() for query in QUERIES if query.rare]
    same_rows = all(results[small][label][0].rows == results[large][label][0].rows for label in rare)
    growth = max(results[large][label][0].first_items / max(results[small][label][0].first_items, 1) for label in rare)
    print(f"\nevery query answered: {answered}; rare queries return the same rows at every size: {same_rows}")
    print(f"most calls on one page: {calls} (target <= 10)")
    print(f"rare queries (same rows at both sizes): items read per page at {large:,} vs {small:,}: "
          f"{growth:.2f}x at worst (target <= 1.2x)")  # fmt: skip
    print(f"costliest further page: {further:.2f}x its first page (target <= 2x)")
    return 0 if answered and same_rows and calls <= 10 and growth <= 1.2 and further <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
