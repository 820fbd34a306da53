"""The demo data a CSR learns from: the showcase customer's log spans the past three years and every
type filter of the activity log finds something in it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from csr import clock
from csr.models.activity import ActivityType
from tests.support.server import LocalServer

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("kind", list(ActivityType))
def test_every_type_filter_shows_something_on_the_showcase_customer(server: LocalServer, kind: ActivityType) -> None:
    response = server.call(
        "GET",
        f"/customers/{server.customer_id}/activity",
        token=server.banner_token("csr"),
        params={"types": kind.value},
    )
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] >= 1
    assert {item["type"] for item in page["items"]} == {kind.value}


def test_the_history_spans_years_and_names_the_csrs(server: LocalServer) -> None:
    token = server.banner_token("csr")
    response = server.call("GET", f"/customers/{server.customer_id}/activity", token=token, params={"all": "true"})
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    oldest = clock.parse_iso(items[-1]["at"])
    assert oldest < clock.now() - timedelta(days=2 * 365)
    assert items[-1]["type"] == "customer_created"
    bounced = [item for item in items if item["type"] == "email_bounced"]
    assert all("@" not in item["details"]["sent_to"][0].split("***")[0] for item in bounced)
    csr_names = {item["actor"]["name"] for item in items if item["actor"]["kind"] == "csr"}
    assert csr_names
    assert all(name and name.endswith("@staff.example.com") for name in csr_names)
    customer = server.call("GET", f"/customers/{server.customer_id}", token=token).json()
    assert clock.parse_iso(customer["created_at"]) == clock.parse_iso(items[-1]["at"])


def test_a_customer_locked_for_failed_logins_shows_ten_failures_then_the_systems_lock(server: LocalServer) -> None:
    # Given the seeded customers locked now, as a CSR finds them
    token = server.banner_token("csr")
    rows = server.call("GET", "/customers", token=token, params={"q": "example.org", "status": "locked"}).json()[
        "items"
    ]
    customers = [server.call("GET", f"/customers/{row['customer_id']}", token=token).json() for row in rows]
    locked = [customer for customer in customers if customer["portal"]["lock_reason"] == "failed_logins"]
    assert locked, [customer["portal"] for customer in customers]
    for customer in locked:
        assert customer["portal"]["failed_login_count"] == 10
        log = server.call(
            "GET", f"/customers/{customer['customer_id']}/activity", token=token, params={"all": "true"}
        ).json()["items"]
        # Then the log, newest first, shows the system's lock right after ten consecutive failures by the customer
        lock = next(index for index, item in enumerate(log) if item["type"] == "account_locked")
        assert log[lock]["actor"]["kind"] == "system"
        assert log[lock]["details"]["reason"] == "failed_logins"
        assert log[lock]["at"] == customer["portal"]["locked_at"]
        failures = log[lock + 1 : lock + 11]
        assert [item["type"] for item in failures] == ["login_failed"] * 10
        assert [item["details"]["failed_login_count"] for item in failures] == list(range(10, 0, -1))
        assert {item["actor"]["id"] for item in failures} == {customer["customer_id"]}
        # And what came after the lock is refused and not counted
        assert all(item["details"]["reason"] == "account_locked" for item in log[:lock])
