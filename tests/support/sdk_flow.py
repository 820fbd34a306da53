"""One CSR's flow through the client that openapi-python-client generates from the served OpenAPI document:
find a customer, read them, lock them (twice: the second answer is the error body), read their activity.
tests/e2e/test_sdk.py runs it with the generator's own interpreter (`.venv-sdk`, which has the client's
dependencies) and the generated package on its path: `python sdk_flow.py BASE_URL TOKEN QUERY`. It prints,
as JSON, what each call answered, through the client's own models."""

from __future__ import annotations

import json
import sys
from typing import Any

from csr_console_api_client import AuthenticatedClient
from csr_console_api_client.api.activity import list_activity
from csr_console_api_client.api.customers import get_customer
from csr_console_api_client.api.lock import lock_customer
from csr_console_api_client.api.search import search_customers
from csr_console_api_client.models import (
    ActivityPage,
    CsrLockReason,
    CustomerView,
    ErrorBody,
    LockRequest,
    PortalStatusResponse,
    SearchPage,
)


def flow(base_url: str, token: str, query: str) -> dict[str, Any]:
    client = AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)
    found = search_customers.sync_detailed(client=client, q=query)
    assert isinstance(found.parsed, SearchPage), found.content
    customer_id = found.parsed.items[0].customer_id
    read = get_customer.sync_detailed(customer_id, client=client)
    assert isinstance(read.parsed, CustomerView), read.content
    body = LockRequest(reason=CsrLockReason.COMPROMISED, note="Caller reported a stolen password.")
    locked = lock_customer.sync_detailed(customer_id, client=client, body=body)
    assert isinstance(locked.parsed, PortalStatusResponse), locked.content
    again = lock_customer.sync_detailed(customer_id, client=client, body=body)
    assert isinstance(again.parsed, ErrorBody), again.content
    activity = list_activity.sync_detailed(customer_id, client=client, limit=5)
    assert isinstance(activity.parsed, ActivityPage), activity.content
    return {
        "statuses": [int(answer.status_code) for answer in (found, read, locked, again, activity)],
        "found": [row.customer_id for row in found.parsed.items],
        "read": {"customer_id": read.parsed.customer_id, "portal_status": str(read.parsed.portal.status)},
        "locked": str(locked.parsed.portal_status),
        "locked_again": again.parsed.error.code,
        "activity": [{"type": str(entry.type_), "actor": entry.actor.to_dict()} for entry in activity.parsed.items],
    }


if __name__ == "__main__":
    print(json.dumps(flow(*sys.argv[1:4])))
