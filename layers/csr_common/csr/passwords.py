"""Password hashing: salted scrypt, a memory-hard key derivation, at OWASP's current parameters.

The stored form names its own parameters (`scrypt$17$8$1$<salt>$<hash>`), so a stronger setting later
still verifies the hashes made before it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

from csr.settings import get_settings

_R, _P, _KEY_BYTES = 8, 1, 32


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * n * r, dklen=_KEY_BYTES)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def hash_password(password: str) -> str:
    log2_n = get_settings().password_hash_log2_n
    salt = secrets.token_bytes(16)
    return f"scrypt${log2_n}${_R}${_P}${_b64(salt)}${_b64(_derive(password, salt, log2_n, _R, _P))}"


def verify_password(password: str, stored: str | None) -> bool:
    """Constant-time check. With no stored hash (unknown email, no password yet) it still spends the same
    work on a decoy, so that timing does not tell which emails exist."""
    candidate = stored or _decoy_hash()
    try:
        scheme, log2_n, r, p, salt, expected = candidate.split("$")
        derived = _derive(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except ValueError:
        return False
    return stored is not None and scheme == "scrypt" and hmac.compare_digest(derived, base64.b64decode(expected))


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
