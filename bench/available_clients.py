"""The available-clients page with 100 and with 10,000 grouped clients (`make bench-available-clients`).

Two providers, each with 300 available clients and either 100 or 10,000 clients in a group, put there as a
business account manager would (POST /groups, PATCHes, the queue delivered to the worker). The grouped
clients' names sort before the available ones' ("Client A ..." before "Client B ..."), the worst case for a
picker that reads every client in name order. Then the same pages are asked of both: the first page, the
page after it, a search by name, a search by business number, and pages of one client. Reports DynamoDB
calls and items read per page (botocore hooks, bench/counting.py; moto's time is not DynamoDB's) and fails
unless the provider with 10,000 grouped clients costs at most 1.2 times the other on every page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.counting import DynamoDbCount, DynamoDbCounter
from bench.groups import call, create_group, seed_clients
from infra.apigw import claims_for
from infra.local_aws import LocalAws
from infra.sqs_delivery import SqsDelivery

AVAILABLE = 300
GROUPED = (100, 10_000)
MOST = 1.2


def provider(grouped: int) -> str:
    return f"provider-bench-{grouped}"


def claims(grouped: int) -> dict[str, str]:
    tenant = provider(grouped)
    return claims_for("bam-bench", f"bam@{tenant}.example.com", ["business_account_manager"], tenant)


def seed(grouped: int) -> None:
    tenant = provider(grouped)
    in_group = seed_clients(tenant, grouped, prefix="GA", name="Client A")
    seed_clients(tenant, AVAILABLE, prefix="AB", name="Client B")
    create_group("Grouped", in_group, claims=claims(grouped))
    SqsDelivery(visibility_timeout=0).drain()


@dataclass(frozen=True)
class Page:
    """One page the picker asks for: its query, and the query before it whose cursor it follows (if any)."""

    name: str
    query: dict[str, str]
    after: dict[str, str] | None = None


PAGES = (
    Page("first page, limit 20", {"limit": "20"}),
    Page("second page, limit 20", {"limit": "20"}, after={"limit": "20"}),
    Page("q=client b, limit 20", {"q": "client b", "limit": "20"}),
    Page("q=client b 0002, limit 100", {"q": "client b 0002", "limit": "100"}),
    Page("q=<business number>, limit 20", {"q": "000000", "limit": "20"}),
    Page("first page, limit 1", {"limit": "1"}),
    Page("first page, limit 100", {"limit": "100"}),
)


def measure(counter: DynamoDbCounter, grouped: int, page: Page) -> tuple[DynamoDbCount, list[str]]:
    ask: Callable[[dict[str, str]], tuple[int, Any]] = lambda query: call(  # noqa: E731
        "GET", "/groups/available-clients", query=query, claims=claims(grouped)
    )
    query = dict(page.query)
    if page.after is not None:
        status, before = ask(page.after)
        assert status == 200, before
        query["cursor"] = before["next_cursor"]
    with counter.measure() as count:
        status, answer = ask(query)
    assert status == 200, answer
    return count, [row["client_id"] for row in answer["items"]]


def run() -> list[tuple[str, dict[int, DynamoDbCount]]]:
    LocalAws(password_hash_log2_n=10).start()
    from csr.data import dynamo

    for grouped in GROUPED:
        seed(grouped)
    counter = DynamoDbCounter(dynamo.client())
    rows = []
    for page in PAGES:
        counts, listed = {}, {}
        for grouped in GROUPED:
            counts[grouped], listed[grouped] = measure(counter, grouped, page)
        # Both providers' available clients are the same ids: the pages must list the same clients.
        assert listed[GROUPED[0]] == listed[GROUPED[1]], page
        assert listed[GROUPED[0]], page
        assert all(cid.startswith("AB") for cid in listed[GROUPED[0]]), page
        rows.append((page.name, counts))
    counter.close()
    return rows


def report(rows: list[tuple[str, dict[int, DynamoDbCount]]]) -> None:
    few, many = GROUPED
    print(f"Available clients: {AVAILABLE}; grouped: {few:,} vs {many:,} (DynamoDB calls, items read per page)\n")
    print(f"| page | {few:,} grouped: calls | items read | {many:,} grouped: calls | items read | calls by operation |")
    print("|---|---:|---:|---:|---:|---|")
    worst = 0.0
    for name, counts in rows:
        a, b = counts[few], counts[many]
        worst = max(worst, b.calls / a.calls, b.items_read / max(a.items_read, 1))
        operations = dict(sorted(b.by_operation.items()))
        print(f"| {name} | {a.calls} | {a.items_read} | {b.calls} | {b.items_read} | {operations} |")
    print(f"\nLargest ratio ({many:,} grouped / {few:,} grouped) over calls and items read: {worst:.2f}")
    assert worst <= MOST, f"a page costs {worst:.2f} times more with {many:,} grouped clients (at most {MOST})"


if __name__ == "__main__":
    report(run())
