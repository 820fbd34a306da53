"""Check a table's consistency: every invariant of `csr.data.invariants` over every item, read-only.

    python -m infra.check_table --table NAME [--region R] [--rate ITEMS_PER_SECOND] [--repair]
    python -m infra.check_table --seeded [--customers N]     # what `make check-table` runs

It pages through the table with Scan (an operator's tool, never a request path) at no more than `--rate`
items a second, runs every invariant and prints each violation with the keys of the items that break it;
the exit status is 1 if any. AWS credentials come from the environment, as for any AWS CLI. `--repair`
rewrites the derived items only (search postings and cards, district and activity counters, due-index
entries), never an item people wrote, then checks again: what it cannot repair still fails the check.

`--seeded` checks the data `make serve` starts with: the local server's table lives in its own process
(moto in memory), out of reach of another one, so the same seed (deterministic) is written into an
in-process table, its queued requests delivered and the cleanup run once, as the server does at start.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3

from csr.data.invariants import Repair, Snapshot, repairs, violations
from infra.local_aws import LocalAws

DEFAULT_RATE = 1000.0  # items a second: a Scan page of 1 MB holds a few thousand small items
PAGE = 500
LOCAL_TABLE = "DataTable"  # template.yaml's logical id: the local stack's table name


def scan(table: Any, rate: float, sleep: Callable[[float], None] = time.sleep) -> Iterator[dict[str, Any]]:
    """Every item of the table, page by page, waiting between pages to stay under `rate` items a second."""
    kwargs: dict[str, Any] = {"Limit": PAGE, "ConsistentRead": True}
    while True:
        started = time.monotonic()
        page = table.scan(**kwargs)
        items = page.get("Items", [])
        yield from items
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        wait = len(items) / rate - (time.monotonic() - started)
        if wait > 0:
            sleep(wait)


def apply(table: Any, repair: Repair) -> None:
    """Write the repair: puts and deletes of derived items, updates of the derived attributes only."""
    with table.batch_writer() as batch:
        for item in repair.puts:
            batch.put_item(Item=item)
        for pk, sk in repair.deletes:
            batch.delete_item(Key={"pk": pk, "sk": sk})
    for (pk, sk), sets, removes in repair.updates:
        names = {f"#s{n}": name for n, name in enumerate(sets)} | {f"#r{n}": name for n, name in enumerate(removes)}
        clauses = []
        if sets:
            clauses.append("SET " + ", ".join(f"#s{n} = :s{n}" for n in range(len(sets))))
        if removes:
            clauses.append("REMOVE " + ", ".join(f"#r{n}" for n in range(len(removes))))
        kwargs: dict[str, Any] = {
            "Key": {"pk": pk, "sk": sk},
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": names,
        }
        if sets:
            kwargs["ExpressionAttributeValues"] = {f":s{n}": value for n, value in enumerate(sets.values())}
        table.update_item(**kwargs)


def check(table: Any, rate: float = DEFAULT_RATE, repair: bool = False, out: Any = None) -> int:
    """Check (and with `repair`, mend the derived items of) `table`; prints what it found; returns the exit
    status: 0 when every invariant holds, 1 otherwise."""
    out = out or sys.stdout
    snapshot = Snapshot.of(scan(table, rate))
    if repair:
        mending = repairs(snapshot)
        if len(mending):
            apply(table, mending)
            print(f"repaired {len(mending)} derived items", file=out)
            snapshot = Snapshot.of(scan(table, rate))
    found = violations(snapshot)
    for violation in found:
        print(violation, file=out)
    print(f"{len(snapshot.items)} items checked, {len(found)} violations", file=out)
    return 1 if found else 0


def seed_as_serve(customers: int) -> LocalAws:
    """The data `make serve` starts with, in an in-process table (see the module's docstring)."""
    from infra.schedules import run_once, schedule_of
    from infra.seed import seed
    from infra.sqs_delivery import SqsDelivery

    local = LocalAws().start()
    seed(customers)
    SqsDelivery(visibility_timeout=0).drain()
    run_once(schedule_of("cleanup"))
    return local


def local_table() -> Any:
    return boto3.resource("dynamodb").Table(LOCAL_TABLE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check a table's consistency (read-only unless --repair).")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--table", help="the table's name (AWS credentials from the environment)")
    where.add_argument("--seeded", action="store_true", help="the data `make serve` seeds, in-process")
    parser.add_argument("--region", default=None)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="items read a second, at most")
    parser.add_argument("--customers", type=int, default=None, help="with --seeded: how many demo customers")
    parser.add_argument("--repair", action="store_true", help="rewrite derived items that break an invariant")
    args = parser.parse_args(argv)
    if args.seeded:
        from infra.seed import DEFAULT_CUSTOMERS

        seed_as_serve(args.customers if args.customers is not None else DEFAULT_CUSTOMERS)
        table = local_table()
    else:
        table = boto3.resource("dynamodb", region_name=args.region).Table(args.table)
    return check(table, args.rate, args.repair)


if __name__ == "__main__":
    sys.exit(main())
