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
