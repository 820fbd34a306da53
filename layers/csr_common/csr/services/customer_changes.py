"""What every use case that changes a customer shares: reading the customer, the actors and entries of
the activity log, saving a change with its entries in one transaction, and retrying a decision that a
concurrent change defeated."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from csr import clock
from csr.auth import Caller
from csr.data import activity, customers
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction
from csr.data.errors import ConditionFailed, UniqueTaken
from csr.errors import ConcurrentChangeError, ConflictError, customer_not_found
from csr.models.activity import ActivityEntry, ActivityType, Actor
from csr.models.customers import Customer

# The retry budget of every read-decide-write use case. Each lost race means another writer's change
# landed; the busiest customer sees a burst of about twenty concurrent writers (failed logins racing a
# CSR's lock), and 25 full-jitter attempts (capped at 50 ms apart) let every one of them land rather than
# answer 409 `concurrent_change`, in about a second at worst.
WRITE_ATTEMPTS = 25

T = TypeVar("T")


def entry(moment: datetime, kind: ActivityType, actor: Actor, summary: str, **details: Any) -> ActivityEntry:
    return ActivityEntry(at=clock.iso(moment), type=kind, actor=actor, summary=summary, details=details)


def load_customer(caller: Caller, customer_id: str) -> CustomerPartition:
    found = customers.load(caller.tenant_id, customer_id)
    if found is None:
        raise customer_not_found()
    return found


def save(
    caller: Caller,
    before: Customer | None,
    after: Customer,
    entries: list[ActivityEntry],
    moment: datetime,
    tx: Transaction | None = None,
) -> Customer:
    """Write a customer change and its activity entries in one transaction."""
    tx = tx or Transaction()
    stored = customers.add_customer_write(tx, caller.tenant_id, before, after)
    activity.record(tx, caller.tenant_id, after.customer_id, entries, moment)
    try:
        tx.commit()
    except UniqueTaken as taken:
        raise _taken(taken) from taken
    return stored


def _taken(taken: UniqueTaken) -> ConflictError:
    if taken.field == "account":
        return ConflictError(
            "Account {account_number} already belongs to a customer.", code="account_taken", account_number=taken.value
        )
    if taken.field == "email":
        return ConflictError("A customer with this email already exists.", code="email_taken")
    return ConflictError("A customer with this person id already exists.", code="person_taken")


def retry_on_conflict(
    attempt: Callable[[], T],
    *,
    attempts: int | None = None,
    exhausted: Callable[[], Exception] = ConcurrentChangeError,
) -> T:
    """Run `attempt` (read, decide, conditional write) again while a concurrent change defeats it.

    A stale write itself writes nothing; re-reading and deciding again is what lets a CSR's lock land
    during a burst of failed logins. `attempts` defaults to WRITE_ATTEMPTS. Full-jitter backoff, capped at
    50 ms, spreads racing writers apart.
    """
    for tries in range(attempts or WRITE_ATTEMPTS):
        try:
            return attempt()
        except UniqueTaken:
            raise
        except ConditionFailed:
            time.sleep(random.uniform(0, min(0.05, 0.002 * 2**tries)))  # noqa: S311 - not a secret
    raise exhausted()
