"""Opaque ids and secrets this service makes."""

from __future__ import annotations

import hashlib
import secrets


def new_id(prefix: str) -> str:
    """An opaque id such as `cus_Xq3...`: 96 random bits, URL-safe, well under 64 characters."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def new_token() -> str:
    """A bearer token of 256 random bits."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Tokens carry enough entropy that a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(token.encode()).hexdigest()
