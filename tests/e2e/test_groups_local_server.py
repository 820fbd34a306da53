"""The guide's workflow through `make serve`: the banner's BAM token, the seeded provider, and process
requests that the local server's SQS delivery hands to the worker on its own."""

from __future__ import annotations

import time
from typing import Any

import pytest

from infra.seed import PROVIDER
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e

WATCHDOG_SECONDS = 120  # how long to wait for the background delivery, not a timed assertion


def settled(server: LocalServer, token: str, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WATCHDOG_SECONDS
    while time.monotonic() < deadline:
        request = server.call("GET", f"/process-requests/{request_id}", token).json()
        if request["status"] != "pending":
            return dict(request)
        time.sleep(0.2)
    raise AssertionError(f"request {request_id} still pending:\n{server.stderr.read_text()[-3000:]}")


def test_a_business_account_manager_runs_the_whole_workflow(server: LocalServer) -> None:
    bam = server.banner_token("bam")
    available = server.call("GET", "/groups/available-clients?limit=3", bam).json()["items"]
    ids = [row["client_id"] for row in available]
    assert len(ids) == 3
    # create with clients
    created = server.call("POST", "/groups", bam, json={"name": "E2E importers", "client_ids": ids[:2]})
    assert created.status_code == 202, created.text
    group_id = created.json()["group_id"]
    assert settled(server, bam, created.json()["request_id"])["status"] == "completed"
    # rename with CONFIRM, and add a client
    body = {"name": "E2E brokers", "add_client_ids": ids[2:], "confirmation": "CONFIRM"}
    patched = server.call("PATCH", f"/groups/{group_id}", bam, json=body)
    assert patched.status_code == 202, patched.text
    assert settled(server, bam, patched.json()["request_id"])["status"] == "completed"
    # assign an employee
    body = {"assignments": [{"employee_id": "EMP-4", "role": "editor"}], "confirmation": "CONFIRM"}
    assigned = server.call("PUT", f"/groups/{group_id}/employees", bam, json=body)
    assert settled(server, bam, assigned.json()["request_id"])["status"] == "completed"
    group = server.call("GET", f"/groups/{group_id}", bam).json()
    assert (group["name"], group["status"]) == ("E2E brokers", "active")
    assert sorted(c["client_id"] for c in group["clients"]) == sorted(ids)
    assert group["employees"] == [{"employee_id": "EMP-4", "name": "Omar Haddad", "role": "editor"}]
    # an expired relationship from the feed takes its client out on its own
    feed = server.token(["integration"], tenant_id=PROVIDER, sub="e2e-feed")
    client = {
        "name": "Expired client",
        "business_number": "1",
        "program_accounts": [],
        "relationship": {"status": "expired", "expires_at": "2026-01-01T00:00:00Z"},
    }
    assert server.call("PUT", f"/integration/clients/{ids[0]}", feed, json=client).status_code == 200
    requests = server.call("GET", "/process-requests?limit=1", bam).json()["items"]
    assert (requests[0]["operation"], requests[0]["initiated_by"]) == ("remove_expired_clients", "system")
    assert settled(server, bam, requests[0]["request_id"])["status"] == "completed"
    group = server.call("GET", f"/groups/{group_id}", bam).json()
    assert ids[0] not in [c["client_id"] for c in group["clients"]]
    # delete with DELETE
    deleted = server.call("DELETE", f"/groups/{group_id}?confirmation=DELETE", bam)
    assert deleted.status_code == 202, deleted.text
    assert settled(server, bam, deleted.json()["request_id"])["status"] == "completed"
    assert server.call("GET", f"/groups/{group_id}", bam).status_code == 404
