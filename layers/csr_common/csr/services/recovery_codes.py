"""A CSR generates a recovery code to read over the phone, sees whether one is active, or revokes it.

The code (10 digits) is stored as a keyed hash beside the customer's profile; redeeming it is
`services.redemption`'s.
"""

from __future__ import annotations

from datetime import datetime

from csr import clock
from csr.auth import Caller
from csr.data import activity, credentials
from csr.data import customers as customer_store
from csr.data.credentials import RecoveryCode
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction
from csr.errors import NotFoundError
from csr.models.activity import ActivityType, Actor
from csr.models.recovery import RecoveryCodeIssued, RecoveryCodeStatus
from csr.rules.expiry import is_live
from csr.rules.recovery import (
    RECOVERY_CODE_TTL,
    format_code,
    new_code_digits,
    recovery_instructions,
    require_issuable,
)
from csr.service_key import keyed_hash
from csr.services.customer_changes import entry, load_customer, retry_on_conflict

CODE_HASH_PURPOSE = "recovery-code"


class NoActiveCodeError(NotFoundError):
    code, message = "no_active_code", "This customer has no active recovery code."


def code_hash(code: str) -> str:
    return keyed_hash(CODE_HASH_PURPOSE, code)


def active_code(found: CustomerPartition, moment: datetime) -> RecoveryCode | None:
    return found.recovery_code if is_live(found.recovery_code, moment) else None


def issue_recovery_code(caller: Caller, customer_id: str) -> RecoveryCodeIssued:
    """Not idempotent by design: each call makes a new code that replaces any active one."""
    digits = new_code_digits()
    hashed = code_hash(digits)

    def attempt() -> datetime:
        found = load_customer(caller, customer_id)
        require_issuable(found.customer.portal.status)
        moment = clock.now()
        expires = moment + RECOVERY_CODE_TTL
        tx = Transaction()
        customer_store.add_unchanged_check(tx, caller.tenant_id, found.customer)
        credentials.add_recovery_code(tx, caller.tenant_id, customer_id, hashed, caller.sub, moment, expires)
        generated = entry(
            moment,
            ActivityType.RECOVERY_CODE_GENERATED,
            Actor.csr(caller.sub, caller.email),
            expires_at=clock.iso(expires),
            replaced_active_code=active_code(found, moment) is not None,
        )
        activity.record(tx, caller.tenant_id, customer_id, [generated], moment)
        tx.commit()
        return expires

    expires = retry_on_conflict(attempt)
    return RecoveryCodeIssued(
        code=format_code(digits), expires_at=clock.iso(expires), instructions=recovery_instructions(caller.language)
    )


def recovery_code_status(caller: Caller, customer_id: str) -> RecoveryCodeStatus:
    code = active_code(load_customer(caller, customer_id), clock.now())
    if code is None:
        return RecoveryCodeStatus(
            active=False,
            expires_at=None,
            created_by=None,
            created_at=None,
            instructions=recovery_instructions(caller.language),
        )
    return RecoveryCodeStatus(
        active=True,
        expires_at=code.expires_at,
        created_by=code.created_by,
        created_at=code.created_at,
        instructions=recovery_instructions(caller.language),
    )


def revoke_recovery_code(caller: Caller, customer_id: str) -> None:
    def attempt() -> None:
        found = load_customer(caller, customer_id)
        moment = clock.now()
        code = active_code(found, moment)
        if code is None:
            raise NoActiveCodeError()
        tx = Transaction()
        credentials.add_code_revocation(tx, caller.tenant_id, customer_id, code)
        revoked = entry(moment, ActivityType.RECOVERY_CODE_REVOKED, Actor.csr(caller.sub, caller.email))
        activity.record(tx, caller.tenant_id, customer_id, [revoked], moment)
        tx.commit()

    retry_on_conflict(attempt)
