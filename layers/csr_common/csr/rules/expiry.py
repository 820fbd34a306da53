"""Whether an expiring record is still live at a moment."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from csr import clock


class Expiring(Protocol):
    @property
    def expires_at(self) -> str: ...


def is_live(record: Expiring | Mapping[str, Any] | None, moment: datetime) -> bool:
    """DynamoDB's TTL deletes lazily (up to days late), so a record may outlive its `expires_at`: every read
    of an expiring record checks it."""
    if record is None:
        return False
    expires_at = record["expires_at"] if isinstance(record, Mapping) else record.expires_at
    return clock.parse_iso(expires_at) > moment
