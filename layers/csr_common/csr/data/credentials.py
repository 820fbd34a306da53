"""Recovery credentials: the customer's recovery code and reset-link pointer (beside the profile, read
with it), and each reset token's own item, found at redemption by the token's hash alone.

Only hashes are stored. Every delete that redeems or revokes is conditional on the hash (and, for a code,
the failure count) the decision was made on, so exactly one of many concurrent writers wins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from csr import clock
from csr.data import keys
from csr.data.due import Kind
from csr.data.dynamo import Transaction, expiring, get
from csr.models.base import Model


class RecoveryCode(Model):
    code_hash: str
    expires_at: str
    created_by: str
    created_at: str
    failed_attempts: int


class ResetPointer(Model):
    """The customer's current reset token (its hash), so that a new link can supersede the old one."""

    token_hash: str
    expires_at: str


class ResetToken(Model):
    customer_id: str
    expires_at: str


def is_credential(sort_key: str) -> bool:
    return sort_key in (keys.RECOVERY_CODE_SK, keys.RESET_TOKEN_SK)


def from_partition(items: Mapping[str, Mapping[str, Any]]) -> tuple[RecoveryCode | None, ResetPointer | None]:
    """The credentials among a customer partition's items, by sort key."""
    code = items.get(keys.RECOVERY_CODE_SK)
    pointer = items.get(keys.RESET_TOKEN_SK)
    return (
        RecoveryCode.model_validate(code) if code else None,
        ResetPointer.model_validate(pointer) if pointer else None,
    )


def _code_key(tenant_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.RECOVERY_CODE_SK}


def _pointer_key(tenant_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.RESET_TOKEN_SK}


def _token_key(tenant_id: str, token_hash: str) -> dict[str, str]:
    return {"pk": keys.reset_token_pk(tenant_id, token_hash), "sk": keys.UNIQUE_SK}


# --- reset links ------------------------------------------------------------------------------------


def add_reset_link(
    tx: Transaction,
    tenant_id: str,
    customer_id: str,
    token_hash: str,
    expires: datetime,
    previous: ResetPointer | None,
) -> None:
    """Store a new reset token and point the customer at it, superseding `previous` (whose own item may
    already be gone: redeemed, or deleted by TTL). Fails if the pointer changed since it was read."""
    if previous is not None:
        tx.delete(_token_key(tenant_id, previous.token_hash))
    tx.put(
        {**_pointer_key(tenant_id, customer_id), "token_hash": token_hash, **expiring(expires, Kind.RESET_POINTER)},
        condition="attribute_not_exists(pk) OR token_hash = :previous",
        values={":previous": previous.token_hash if previous else ""},
    )
    tx.put(
        {**_token_key(tenant_id, token_hash), "customer_id": customer_id, **expiring(expires, Kind.RESET_TOKEN)},
        condition="attribute_not_exists(pk)",
    )


def reset_token(tenant_id: str, token_hash: str) -> ResetToken | None:
    item = get(_token_key(tenant_id, token_hash))
    return ResetToken.model_validate(item) if item else None


def add_reset_token_use(
    tx: Transaction,
    tenant_id: str,
    customer_id: str,
    token_hash: str,
    moment: datetime,
    error: Callable[[], Exception],
) -> None:
    """Use the token up: delete it (if still live at `moment`) and the customer's pointer (if it still
    names this token), or raise `error` at commit."""
    tx.delete(
        _token_key(tenant_id, token_hash),
        condition="attribute_exists(pk) AND expires_at > :now",
        values={":now": clock.iso(moment)},
        error=error,
    )
    tx.delete(
        _pointer_key(tenant_id, customer_id),
        condition="token_hash = :hash",
        values={":hash": token_hash},
        error=error,
    )


# --- recovery codes ---------------------------------------------------------------------------------


def add_recovery_code(
    tx: Transaction,
    tenant_id: str,
    customer_id: str,
    code_hash: str,
    created_by: str,
    moment: datetime,
    expires: datetime,
) -> None:
    """Store a new code, replacing any other."""
    tx.put(
        {
            **_code_key(tenant_id, customer_id),
            "code_hash": code_hash,
            **expiring(expires, Kind.RECOVERY_CODE),
            "created_by": created_by,
            "created_at": clock.iso(moment),
            "failed_attempts": 0,
        }
    )


def _seen(code: RecoveryCode) -> dict[str, Any]:
    return {":hash": code.code_hash, ":failed": code.failed_attempts}


def add_code_revocation(tx: Transaction, tenant_id: str, customer_id: str, code: RecoveryCode) -> None:
    """Delete `code`, if it is still the stored one."""
    tx.delete(_code_key(tenant_id, customer_id), condition="code_hash = :hash", values={":hash": code.code_hash})


def add_code_use(tx: Transaction, tenant_id: str, customer_id: str, code: RecoveryCode, moment: datetime) -> None:
    """Delete `code` on redemption, if it is unchanged (no failure counted meanwhile) and live at `moment`."""
    tx.delete(
        _code_key(tenant_id, customer_id),
        condition="code_hash = :hash AND failed_attempts = :failed AND expires_at > :now",
        values={**_seen(code), ":now": clock.iso(moment)},
    )


def add_code_failure(tx: Transaction, tenant_id: str, customer_id: str, code: RecoveryCode, revoke: bool) -> None:
    """Count a wrong code against `code` (if unchanged), or delete it when this failure revokes it."""
    condition = "code_hash = :hash AND failed_attempts = :failed"
    if revoke:
        tx.delete(_code_key(tenant_id, customer_id), condition=condition, values=_seen(code))
        return
    tx.update(
        _code_key(tenant_id, customer_id),
        "SET failed_attempts = :next",
        condition=condition,
        values={**_seen(code), ":next": code.failed_attempts + 1},
    )


def add_revoke_all(tx: Transaction, tenant_id: str, customer_id: str) -> None:
    """Delete the customer's live code and the pointer a reset token must match to redeem (the token's own
    item then expires unused)."""
    for key in (_pointer_key(tenant_id, customer_id), _code_key(tenant_id, customer_id)):
        tx.delete(key)
