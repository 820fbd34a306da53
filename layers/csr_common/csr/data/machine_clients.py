"""Machine callers' registrations: which tenant and role each app client of the user pool acts for.

A client-credentials access token names its app client and scopes, never a tenant; the registration,
written at deploy time (`make register-client`) or by `POST /_local/token`, is what the handlers trust.
A warm container keeps what it read for a few minutes: one GetItem per client per container, and a
registration withdrawn or moved takes effect within that time.
"""

from __future__ import annotations

import time

from csr import clock
from csr.data import keys
from csr.data.dynamo import call, get, table
from csr.models.base import Model

CACHE_SECONDS = 300.0


class Registration(Model):
    client_id: str
    tenant_id: str
    role: str


_cache: dict[str, tuple[float, Registration]] = {}


def _key(client_id: str) -> dict[str, str]:
    return {"pk": keys.machine_client_pk(client_id), "sk": keys.UNIQUE_SK}


def registration(client_id: str) -> Registration | None:
    """The client's registration, or None for a client nobody registered (not remembered: registering it
    later takes effect at once)."""
    cached = _cache.get(client_id)
    if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    item = get(_key(client_id))
    if item is None:
        _cache.pop(client_id, None)
        return None
    found = Registration(client_id=client_id, tenant_id=str(item["tenant_id"]), role=str(item["role"]))
    _cache[client_id] = (time.monotonic(), found)
    return found


def register(client_id: str, tenant_id: str, role: str) -> None:
    """Registers (or moves) an app client to one tenant and one role."""
    item = {**_key(client_id), "tenant_id": tenant_id, "role": role, "registered_at": clock.iso(clock.now())}
    call(table().put_item, Item=item)


def forget_cached() -> None:
    """A new container: nothing read yet (the tests, between moto accounts)."""
    _cache.clear()
