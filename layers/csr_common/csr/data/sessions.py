"""Impersonation sessions: one item per session, found by the hash of its token."""

from __future__ import annotations

from datetime import datetime

from csr.data import keys
from csr.data.due import Kind
from csr.data.dynamo import Transaction, expiring, get
from csr.models.base import Model


class StoredSession(Model):
    customer_id: str
    csr_id: str
    csr_email: str
    expires_at: str


def _key(tenant_id: str, token_hash: str) -> dict[str, str]:
    return {"pk": keys.session_pk(tenant_id, token_hash), "sk": keys.UNIQUE_SK}


def add_session(
    tx: Transaction, tenant_id: str, token_hash: str, customer_id: str, csr_id: str, csr_email: str, expires: datetime
) -> None:
    item = {
        "customer_id": customer_id,
        "csr_id": csr_id,
        "csr_email": csr_email,
        **expiring(expires, Kind.IMPERSONATION_SESSION),
    }
    tx.put({**_key(tenant_id, token_hash), **item})


def session(tenant_id: str, token_hash: str) -> StoredSession | None:
    item = get(_key(tenant_id, token_hash))
    return StoredSession.model_validate(item) if item else None
