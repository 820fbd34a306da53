"""Activity-log reads on a customer with 50,000 entries over three years (`make bench-activity`).

Seeds the entries straight into the emulated table with batch writes, in the exact item shape the
product writes (data.activity.entry_item) plus the monthly counters record() keeps, then calls the
activity function as API Gateway would and reports, per scenario: entries served, DynamoDB calls and
items read (botocore hooks, bench/counting.py), response bytes, and the median wall time in-process.
The wall time is moto's plus the handler's, not DynamoDB's: the claims rest on calls and items read.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from infra.apigw import claims_for, invoke, rest_event, template_route
from infra.local_aws import LocalAws

ENTRIES = 50_000
RUNS = 7
TENANT = "utility-a"
# Type mix of a busy account: mostly logins, a rare lock.
MIX = {
    "login_succeeded": 0.60,
    "login_failed": 0.20,
    "profile_updated": 0.08,
    "email_delivered": 0.08,
    "password_reset_link_sent": 0.0397,
    "account_locked": 0.0003,
}
CLAIMS = claims_for("csr-bench", "csr-bench@staff.example.com", ["csr"], TENANT)


def call(method: str, path: str, query: dict[str, str] | None = None, body: Any = None) -> tuple[int, Any, int]:
    route = template_route(method, path)
    text = json.dumps(body) if body is not None else None
    response = invoke(route.function, rest_event(route, path, query=query, body=text, claims=CLAIMS))
    return response["statusCode"], json.loads(response["body"]), len(response["body"])


def create_customer(created_back: timedelta) -> str:
    """A customer created `created_back` ago, by the product's own route (the clock moved back for it)."""
    from csr import clock

    clock.advance(-created_back.total_seconds())
    body = {
        "person_id": "P-BENCH",
        "first_name": "Hélène",
        "last_name": "Tremblay",
        "email": "bench@example.org",
        "accounts": [
            {
                "account_number": "ACC-BENCH",
                "service_address": "1 Main St",
                "billing_address": "1 Main St",
                "district": "north",
            }
        ],
    }
    status, created, _ = call("POST", "/customers", body=body)
    clock.reset()
    assert status == 201, created
    return str(created["customer_id"])


def seed(customer_id: str, count: int, span: timedelta) -> Counter[str]:
    """`count` entries spread evenly over `span` up to now, with their monthly counters."""
    from csr import clock
    from csr.data import activity, keys
    from csr.data.dynamo import table
    from csr.models.activity import ActivityRecord, Actor

    rng = random.Random(6)
    kinds, weights = list(MIX), list(MIX.values())
    now = clock.now()
    months: dict[str, Counter[str]] = {}
    last_of_month: dict[str, datetime] = {}
    per_type: Counter[str] = Counter()
    with table().batch_writer() as batch:
        for i in range(count):
            moment = now - span + span * (i + 1) / (count + 1)
            kind = rng.choices(kinds, weights)[0]
            entry = ActivityRecord(
                at=clock.iso(moment),
                type=kind,
                actor=Actor(kind="customer", id=customer_id),
                details={"ip": f"203.0.113.{i % 250}", "channel": "web"},
            )
            batch.put_item(Item=activity.entry_item(TENANT, customer_id, entry, moment, 0))
            month = activity.month_of(moment)
            months.setdefault(month, Counter())[kind] += 1
            last_of_month[month] = moment
            per_type[kind] += 1
        for month, counts in months.items():
            batch.put_item(
                Item={
                    "pk": keys.activity_count_pk(TENANT, customer_id),
                    "sk": month,
                    "ttl": activity.counter_ttl(last_of_month[month]),
                    **{activity.count_attribute(kind): n for kind, n in counts.items()},
                }
            )
    return per_type


def measure(label: str, path: str, query: dict[str, str]) -> dict[str, Any]:
    from bench.counting import DynamoDbCounter
    from csr.data.dynamo import client

    counter = DynamoDbCounter(client())
    timings: list[float] = []
    counts = []
    answer: Any = None
    size = 0
    for _ in range(RUNS):
        with counter.measure() as count:
            started = time.perf_counter()
            status, answer, size = call("GET", path, query=query)
            timings.append((time.perf_counter() - started) * 1000)
        assert status == 200, answer
        counts.append(count)
    counter.close()
    last = counts[-1]
    return {
        "scenario": label,
        "served": len(answer["items"]),
        "total": answer["total"],
        "next_cursor": answer["next_cursor"] is not None,
        "dynamodb_calls": last.calls,
        "items_read": last.items_read,
        "by_operation": dict(last.by_operation),
        "response_bytes": size,
        "median_ms_in_moto": round(statistics.median(timings), 1),
    }


def deep_cursor(path: str, pages: int) -> str:
    cursor: str | None = None
    for _ in range(pages):
        _, body, _ = call("GET", path, query={"limit": "20", **({"cursor": cursor} if cursor else {})})
        cursor = body["next_cursor"]
    assert cursor is not None
    return cursor


def main() -> None:
    from csr.data.activity import RETENTION

    aws = LocalAws().start()
    try:
        span = RETENTION + timedelta(days=30)  # some entries already past retention, as in a live table
        customer_id = create_customer(span + timedelta(days=1))
        started = time.perf_counter()
        per_type = seed(customer_id, ENTRIES, span)
        print(f"seeded {ENTRIES} entries in {time.perf_counter() - started:.0f} s: {dict(per_type)}")
        path = f"/customers/{customer_id}/activity"
        results = [
            measure("first page (limit 20)", path, {"limit": "20"}),
            measure("deep page (page 101, limit 20)", path, {"limit": "20", "cursor": deep_cursor(path, 100)}),
            measure("rare type (account_locked)", path, {"types": "account_locked"}),
            measure("two types (login_failed,account_locked)", path, {"types": "login_failed,account_locked"}),
            measure("View All (all=true)", path, {"all": "true"}),
        ]
        for result in results:
            print(json.dumps(result))
    finally:
        aws.stop()


if __name__ == "__main__":
    main()
