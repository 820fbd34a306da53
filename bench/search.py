"""Customer search at 1,000, 10,000 and 100,000 customers: DynamoDB items read and calls per query.

    make bench-search        (or: .venv/bin/python -m bench.search [--sizes 1000,10000,100000])

Moto stands in for DynamoDB (with the emulator patches of infra/, so that a Query walks one partition).
A fixed set of target customers is written through the product's own write path; filler customers are
seeded with batch writes of exactly the items the product writes for them (profile, account, and the
index items of `search_index.index_keys`), from a vocabulary that none of the queries matches, so every
query returns the same rows at every size. The figures are counted with botocore hooks
(bench/counting.py): items read (ScannedCount and items returned) and calls. Latency is moto's, printed for
orientation only; it says nothing about DynamoDB.

Beside them: the same lookup done by a Scan with a FilterExpression, the way a search without an index
would have to find its rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

from boto3.dynamodb.conditions import Attr

from bench.counting import DynamoDbCounter
from infra.local_aws import LocalAws

TENANT = "bench-utility"
FIRST = ["Olivier", "Nathalie", "Guy", "Sylvie", "Luc", "Francine", "Denis", "Karine", "Yves", "Isabelle"]
LAST = ["Bouchard", "Gauthier", "Morin", "Lavoie", "Fortin", "Ouellet", "Pelletier", "Bélanger", "Leblanc", "Poirier"]
STREETS = ["Rue Principale", "Chemin du Lac", "Boulevard Industriel", "Avenue des Pins", "Rang Sud", "Rue King"]
DISTRICTS = ["north", "south", "east", "west"]


@dataclass(frozen=True)
class Query:
    q: str
    district: str | None = None
    status: str | None = None

    def label(self) -> str:
        filters = "".join(
            f" {name}={value}" for name, value in (("district", self.district), ("status", self.status)) if value
        )
        return f"q={self.q!r}{filters}"


QUERIES = [
    Query("2172"),
    Query("2172 main apt"),
    Query("jean.tr"),
    Query("tremblay jean"),
    Query("helene"),
    Query("acc-7700"),
    Query("pine", district="north", status="enrolled,locked"),
]


def targets() -> list[dict[str, object]]:
    """The customers the queries find, as POST /customers would receive them (plus a status to set)."""

    def account(number: str, address: str, district: str = "north") -> dict[str, str]:
        return {"account_number": number, "service_address": address, "billing_address": address, "district": district}

    return [
        {
            "first_name": "Jean",
            "last_name": "Tremblay",
            "email": "jean.tremblay@example.org",
            "person_id": "T-1",
            "accounts": [
                account("ACC-770001", "2172 Main Street Apt 3"),
                account("ACC-770002", "2172 Main Street Apt 4"),
            ],
        },
        {
            "first_name": "Hélène",
            "last_name": "Côté",
            "email": "hcote@example.org",
            "person_id": "T-2",
            "accounts": [account("ACC-770003", "2172 Main Street Unit 9")],
        },
        {
            "first_name": "Jeanne",
            "last_name": "Roy",
            "email": "jroy@example.org",
            "person_id": "T-3",
            "accounts": [account("ACC-880004", "5 Pine Road", "north"), account("ACC-880005", "6 Pine Road", "south")],
        },
        {
            "first_name": "Marc",
            "last_name": "Arsenault",
            "email": "marc@example.org",
            "person_id": "T-4",
            "status": "locked",
            "accounts": [account("ACC-880006", "7 Pine Road", "north")],
        },
        {
            "first_name": "Helene",
            "last_name": "Caron",
            "email": "caron@example.org",
            "person_id": "T-5",
            "status": "hidden",
            "accounts": [account("ACC-880007", "8 Pine Road", "north")],
        },
    ]


def add_targets() -> None:
    from csr.auth import Caller
    from csr.data import customers
    from csr.data.dynamo import Transaction
    from csr.models.customers import CreateCustomerRequest, PortalStatus
    from csr.services.customers import create_customer

    caller = Caller(sub="bench", email="bench@example.org", tenant_id=TENANT, roles=frozenset({"csr"}))
    for body in targets():
        status = body.pop("status", None)
        created = create_customer(caller, CreateCustomerRequest.model_validate(body))
        if status:
            found = customers.load(TENANT, created.customer_id)
            assert found is not None
            before = found.customer
            after = before.model_copy(
                update={"portal": before.portal.model_copy(update={"status": PortalStatus(status)})}
            )
            tx = Transaction()
            customers.add_customer_write(tx, TENANT, before, after)
            tx.commit()


def filler_items(n: int) -> list[dict[str, object]]:
    """What the product stores for filler customer `n`: profile, account and index items."""
    from csr.data import keys, search_index
    from csr.models.customers import Account, Customer, PortalState, PortalStatus

    first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
    customer = Customer(
        customer_id=f"cus_fill{n:07d}",
        person_id=f"F-{n:07d}",
        first_name=first,
        last_name=last,
        email=f"{first.lower()}.{last.lower()}{n}@example.net",
        created_at="2026-01-01T00:00:00.000Z",
        portal=PortalState(status=PortalStatus.ENROLLED),
        accounts=[
            Account(
                account_number=f"FIL-{n:07d}",
                service_address=f"{n % 1999 + 1} {STREETS[n % len(STREETS)]}",
                billing_address=f"{n % 1999 + 1} {STREETS[n % len(STREETS)]}",
                district=DISTRICTS[n % len(DISTRICTS)],
            )
        ],
        version=1,
    )
    pk = keys.customer_pk(TENANT, customer.customer_id)
    profile = {
        "pk": pk,
        "sk": keys.PROFILE_SK,
        **customer.model_dump(mode="json", exclude={"accounts"}, exclude_none=True),
    }
    account = {
        "pk": pk,
        "sk": keys.account_sk(customer.accounts[0].account_number),
        **customer.accounts[0].model_dump(mode="json", exclude_none=True),
    }
    index = [search_index.index_item(TENANT, customer.customer_id, word) for word in search_index.index_keys(customer)]
    return [profile, account, *index]


def add_fillers(start: int, stop: int) -> int:
    from csr.data.dynamo import table

    written = 0
    with table().batch_writer() as batch:
        for n in range(start, stop):
            for item in filler_items(n):
                batch.put_item(Item=item)
                written += 1
    return written


@dataclass
class Figures:
    rows: int
    items_read: int
    calls: int
    median_ms: float


def run_query(counter: DynamoDbCounter, query: Query, repeats: int) -> Figures:
    from csr.auth import Caller
    from csr.services.search import search_customers

    caller = Caller(sub="bench", email="bench@example.org", tenant_id=TENANT, roles=frozenset({"csr"}))
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        with counter.measure() as count:
            page = search_customers(caller, query.q, district=query.district, status=query.status, limit=100)
        timings.append((time.perf_counter() - started) * 1000)
    return Figures(len(page.items), count.items_read, count.calls, statistics.median(timings))


def run_scan(counter: DynamoDbCounter, term: str) -> Figures:
    """Find the customers with a word starting with `term` by Scan + FilterExpression (no index Query)."""
    from csr.data import keys
    from csr.data.dynamo import table

    started = time.perf_counter()
    found = 0
    with counter.measure() as count:
        kwargs: dict[str, object] = {
            "FilterExpression": Attr("pk").eq(keys.search_pk(TENANT, term)) & Attr("sk").begins_with(term)
        }
        while True:
            page = table().scan(**kwargs)
            found += len(page["Items"])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return Figures(found, count.items_read, count.calls, (time.perf_counter() - started) * 1000)


def table_items() -> int:
    """Every item a Scan reads, whatever its filter: the table's item count."""
    from csr.data.dynamo import client
    from csr.settings import get_settings

    return int(client().describe_table(TableName=get_settings().table_name)["Table"]["ItemCount"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    # Moto re-walks the table from the start for every Scan page (quadratic): past this size the Scan
    # column shows the table's item count, which is what a Scan reads, instead of running one.
    parser.add_argument("--scan-up-to", type=int, default=10_000)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    LocalAws().start()
    from csr.data import dynamo

    counter = DynamoDbCounter(dynamo.client())
    add_targets()
    seeded = len(targets())
    results: dict[int, dict[str, Figures]] = {}
    scans: dict[int, Figures] = {}
    for size in sizes:
        started = time.perf_counter()
        items = add_fillers(seeded, size)
        seeded = size
        print(
            f"# seeded to {size:,} customers (+{items:,} items in {time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )
        results[size] = {query.label(): run_query(counter, query, args.repeats) for query in QUERIES}
        if size <= args.scan_up_to:
            scans[size] = run_scan(counter, "2172")
            assert scans[size].items_read == table_items()
        else:
            scans[size] = Figures(rows=0, items_read=table_items(), calls=0, median_ms=0.0)

    print("\n| customers | query | rows | items read | DynamoDB calls | median ms (moto) |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in sizes:
        for label, figures in results[size].items():
            print(
                f"| {size:,} | {label} | {figures.rows} | {figures.items_read} | {figures.calls} | "
                f"{figures.median_ms:.1f} |"
            )
        scan = scans[size]
        if scan.calls:
            print(
                f"| {size:,} | Scan + FilterExpression: index items of q='2172' | {scan.rows} | "
                f"{scan.items_read:,} | {scan.calls} | {scan.median_ms:.0f} |"
            )
        else:
            print(
                f"| {size:,} | Scan + FilterExpression (not run: every item of the table) | - | "
                f"{scan.items_read:,} | - | - |"
            )

    small, large = sizes[0], sizes[-1]
    worst_growth = max(results[large][label].items_read / results[small][label].items_read for label in results[small])
    same_rows = all(results[large][label].rows == results[small][label].rows for label in results[small])
    scan_ratio = scans[large].items_read / results[large][QUERIES[0].label()].items_read
    print(f"\nrows identical at every size: {same_rows}")
    print(f"items read at {large:,} vs {small:,}, worst query: {worst_growth:.2f}x (target <= 1.2x)")
    print(f"Scan vs search for q='2172' at {large:,}: {scan_ratio:,.0f}x more items read (target >= 100x)")
    return 0 if same_rows and worst_growth <= 1.2 and scan_ratio >= 100 else 1


if __name__ == "__main__":
    sys.exit(main())
