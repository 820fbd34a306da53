"""The due index's attributes: what `gsi_due` holds for an item that falls due at a time (an expiring
credential or session, a pending process request). Built here, read and cleaned up by `csr.data.expiry`."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from csr import clock
from csr.data import keys

INDEX = "gsi_due"
PK, SK = "due_pk", "due_sk"


class Kind(StrEnum):
    RESET_TOKEN = "reset_token"
    RESET_POINTER = "reset_pointer"  # the customer's pointer at its reset token, expiring with it
    RECOVERY_CODE = "recovery_code"
    IMPERSONATION_SESSION = "impersonation_session"
    PROCESS_REQUEST = "process_request"


def index_attributes(kind: Kind, due: datetime, *ident: str) -> dict[str, str]:
    moment = clock.iso(due)
    return {PK: keys.due_pk(moment[:13]), SK: keys.due_sk(moment, kind.value, *ident)}
