"""Opaque, tamper-proof list cursors.

A cursor is the position after the last row served, signed together with the tenant and a fingerprint
of the query. A cursor edited by hand, or replayed for another tenant or another query, fails the check
and the request gets 400 `invalid_cursor`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from csr.errors import InvalidCursorError
from csr.service_key import derived_key

_PURPOSE = "list-cursor"


def _signature(tenant_id: str, query: dict[str, Any], position: str) -> bytes:
    message = json.dumps([tenant_id, query, position], sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(derived_key(_PURPOSE), message, hashlib.sha256).digest()[:16]


def encode_cursor(tenant_id: str, query: dict[str, Any], position: dict[str, Any]) -> str:
    """`query` names what the list is of (route, filters); `position` is where the next page starts."""
    text = json.dumps(position, sort_keys=True, separators=(",", ":"))
    raw = _signature(tenant_id, query, text) + text.encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(tenant_id: str, query: dict[str, Any], cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        signature, text = raw[:16], raw[16:].decode()
        position = json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidCursorError() from exc
    if not hmac.compare_digest(signature, _signature(tenant_id, query, text)) or not isinstance(position, dict):
        raise InvalidCursorError()
    return position
