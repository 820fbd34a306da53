"""What every use case that changes a customer shares: reading the customer, the actors and entries of
the activity log, saving a change with its entries in one transaction, and retrying a decision that a
concurrent change defeated."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from csr import clock
from csr.auth import Caller
from csr.data import activity, customers
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction
from csr.data.errors import ConditionFailed, UniqueTaken
from csr.errors import ConcurrentChangeError, ConflictError, customer_not_found
from csr.models.activity import ActivityRecord, ActivityType, Actor
from csr.models.customers import Customer
from csr.rules.expiry import is_live
from csr.rules.portal import voids_credentials

# The retry budget of every read-decide-write use case. Each lost race means another writer's change
# landed; the busiest customer sees a burst of about twenty concurrent writers (failed logins racing a
# CSR's lock), and 25 full-jitter attempts (capped at 50 ms apart) let every one of them land rather than
# answer 409 `concurrent_change`, in about a second at worst.
WRITE_ATTEMPTS = 25

T = TypeVar("T")


def entry(moment: datetime, kind: ActivityType, actor: Actor, **details: Any) -> ActivityRecord:
    """An activity-log entry: its type and machine details (its sentence is composed when read)."""
    return ActivityRecord(at=clock.iso(moment), type=kind, actor=actor, details=details)


def voided_entries(
    found: CustomerPartition, after: Customer, moment: datetime, actor: Actor, cause: ActivityType
) -> list[ActivityRecord]:
    """One entry for each live reset link and recovery code that turning `found` into `after` voids (the
    customer's write deletes them, `data.customers`), so that the log says why they no longer work."""
    if not voids_credentials(found.customer.portal.status, after.portal.status):
        return []
    voided = []
    if is_live(found.reset_pointer, moment) and found.reset_pointer is not None:
        voided.append(
            entry(
                moment,
                ActivityType.PASSWORD_RESET_LINK_REVOKED,
                actor,
                voided_by=cause,
                expires_at=found.reset_pointer.expires_at,
            )
        )
    if is_live(found.recovery_code, moment):
        voided.append(entry(moment, ActivityType.RECOVERY_CODE_REVOKED, actor, voided_by=cause))
    return voided


def load_customer(caller: Caller, customer_id: str) -> CustomerPartition:
    found = customers.load(caller.tenant_id, customer_id)
    if found is None:
        raise customer_not_found()
    return found


def save(
    caller: Caller,
    before: Customer | None,
    after: Customer,
    entries: Sequence[ActivityRecord],
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
