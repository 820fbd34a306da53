"""The scheduled cleanup against many live expiring records (`make bench-cleanup`).

For each size, a fresh moto table holds `live` records that expire later (reset tokens with their
pointers, recovery codes, impersonation sessions, over the next 24 hours) and 10,000 that expired over the
last 24 hours and that TTL has not deleted yet, all written in the item shape of the data layer (its
own write operations, collected and sent as BatchWriteItem). One cleanup run, then a second one.
Reports DynamoDB calls and items read (bench/counting.py) per item cleaned; moto's wall time is not
DynamoDB's and is not reported.
"""

from __future__ import annotations

import argparse
import hashlib
from datetime import timedelta
from typing import Any

from bench.counting import DynamoDbCount, DynamoDbCounter
from infra.local_aws import LocalAws

EXPIRED = 10_000
SIZES = (10_000, 100_000)
TENANTS = ("utility-a", "utility-b", "provider-a")


def seed(live: int, expired: int) -> None:
    from csr import clock
    from csr.data import credentials, sessions
    from csr.data.batch_write import batch_write
    from csr.data.dynamo import Transaction

    now = clock.now()
    day = 24 * 3600
    tx = Transaction()

    def flush() -> None:
        batch_write(puts=[operation["Put"]["Item"] for operation in tx.operations])
        tx.operations.clear()
        tx.on_condition_failed.clear()

    for n in range(live + expired):
        # spread over a day: the live ones from an hour ahead (none expires while the bench runs), the
        # expired ones behind now
        offset = timedelta(seconds=60 + (n * 7919) % day)
        expires = now + timedelta(hours=1) + offset if n < live else now - offset
        tenant_id, customer_id = TENANTS[n % len(TENANTS)], f"cus_{n:08d}"
        secret = hashlib.sha256(str(n).encode()).hexdigest()
        kind = n % 3
        if kind == 0:
            credentials.add_reset_link(tx, tenant_id, customer_id, secret, expires, None)
        elif kind == 1:
            credentials.add_recovery_code(
                tx, tenant_id, customer_id, secret, "csr-bench", expires - timedelta(days=1), expires
            )
        else:
            sessions.add_session(tx, tenant_id, secret, customer_id, "csr-bench", "csr@bench.example.com", expires)
        if len(tx) >= 1000:
            flush()
    flush()


def measure(live: int) -> tuple[dict[str, Any], DynamoDbCount, dict[str, Any], DynamoDbCount]:
    from csr.data import dynamo
    from csr.services import cleanup

    local = LocalAws(password_hash_log2_n=10).start()
    try:
        seed(live, EXPIRED)
        counter = DynamoDbCounter(dynamo.client())
        runs = []
        for _ in range(2):
            with counter.measure() as count:
                report = cleanup.run(lambda: 15 * 60 * 1000, None)
            runs.append((report.deleted | {"finished": report.finished}, count))
        counter.close()
        return runs[0][0], runs[0][1], runs[1][0], runs[1][1]
    finally:
        local.stop()
        dynamo._resource.cache_clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="live records per run")
    args = parser.parse_args()
    print("| live records | expired records | deleted | items read | items read per item deleted | calls |")
    print("|---:|---:|---:|---:|---:|---:|")
    for live in args.sizes:
        first, count, second, again = measure(live)
        # Every expired record is one item, but for a reset link: its token and its pointer (counted as one).
        deleted = count.by_operation["DeleteItem"]
        print(
            f"| {live:,} | {EXPIRED:,} | {deleted:,} | {count.items_read:,} | {count.items_read / deleted:.2f} "
            f"| {count.calls:,} |",
            flush=True,
        )
        print(f"  first run: {first}; by operation: {dict(count.by_operation)}", flush=True)
        print(f"  second run: {second}; items read {again.items_read}, calls {again.calls}", flush=True)


if __name__ == "__main__":
    main()
