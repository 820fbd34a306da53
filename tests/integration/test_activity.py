"""GET /customers/{customer_id}/activity: order, filters, paging, total, View All, retention, access."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from csr import clock
from tests.support.api import Api, new_customer_body
from tests.support.customers import create_customer

TENANT = "utility-a"


def write(customer_id: str, types: list[str], moment: datetime, **details: Any) -> None:
    """Entries as the product writes them: one transaction through data.activity.record."""
    from csr import clock
    from csr.data import activity
    from csr.data.dynamo import Transaction
    from csr.models.activity import ActivityRecord, Actor

    tx = Transaction()
    entries = [
        ActivityRecord(at=clock.iso(moment), type=kind, actor=Actor.system(), details={**details, "n": i})
        for i, kind in enumerate(types)
    ]
    activity.record(tx, TENANT, customer_id, entries, moment)
    tx.commit()


def later(seconds: float) -> datetime:
    from csr import clock

    return clock.now() + timedelta(seconds=seconds)


def activity(api: Api, customer_id: str, **query: str) -> tuple[int, Any]:
    status, body, _ = api.call("GET", f"/customers/{customer_id}/activity", query=query or None)
    return status, body


def every_page(api: Api, customer_id: str, **query: str) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        status, body = activity(api, customer_id, **query, **({"cursor": cursor} if cursor else {}))
        assert status == 200, body
        yield body
        cursor = body["next_cursor"]
        if cursor is None:
            return


def test_newest_first_and_same_at_entries_keep_their_write_order(csr: Api) -> None:
    # Given three entries written together (one `at`) and one written later
    customer_id = create_customer(csr)["customer_id"]
    write(customer_id, ["login_failed", "login_failed", "account_locked"], later(60))
    write(customer_id, ["account_unlocked"], later(120))

    # When
    status, body = activity(csr, customer_id)

    # Then: newest first; the three of one moment in reverse order of writing, like the rest of the log
    assert status == 200, body
    assert [(item["type"], item["details"].get("n")) for item in body["items"]] == [
        ("account_unlocked", 0),
        ("account_locked", 2),
        ("login_failed", 1),
        ("login_failed", 0),
        ("customer_created", None),
    ]
    assert body["items"][1]["at"] == body["items"][3]["at"]
    assert body["total"] == 5
    assert body["next_cursor"] is None
    assert set(body["items"][0]) == {"at", "type", "actor", "summary", "details"}
    assert body["items"][0]["actor"] == {"kind": "system", "id": "system", "name": None}


def test_each_filter_returns_only_its_types_and_counts_them(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]
    for i in range(6):
        write(customer_id, ["login_succeeded", "login_failed" if i % 2 else "login_succeeded"], later(i + 1))
    write(customer_id, ["account_locked"], later(10))

    _, single = activity(csr, customer_id, types="account_locked")
    _, several = activity(csr, customer_id, types="login_failed,account_locked")
    _, unfiltered = activity(csr, customer_id, limit="100")
    _, every_type = activity(
        csr, customer_id, limit="100", types=",".join(sorted({item["type"] for item in unfiltered["items"]}))
    )

    assert [item["type"] for item in single["items"]] == ["account_locked"]
    assert single["total"] == 1
    assert [item["type"] for item in several["items"]] == ["account_locked"] + ["login_failed"] * 3
    assert several["total"] == 4
    assert [item["at"] for item in several["items"]] == sorted((item["at"] for item in several["items"]), reverse=True)
    assert unfiltered["total"] == 14 == len(unfiltered["items"])
    assert every_type["items"] == unfiltered["items"]
    assert every_type["total"] == 14


@pytest.mark.parametrize(("types", "limit"), [(None, 7), ("login_failed,account_locked,profile_updated", 5)])
def test_paging_serves_every_entry_once_in_order(csr: Api, types: str | None, limit: int) -> None:
    # Given 120 entries, several sharing a moment
    customer_id = create_customer(csr)["customer_id"]
    kinds = ["login_failed", "account_locked", "profile_updated", "login_succeeded"]
    for i in range(40):
        write(customer_id, [kinds[i % 4], kinds[(i + 1) % 4], kinds[(i + 2) % 4]], later(i + 1))
    query = {"limit": str(limit), **({"types": types} if types else {})}

    # When
    pages = list(every_page(csr, customer_id, **query))

    # Then: the pages, put together, are exactly View All's answer
    served = [item for page in pages for item in page["items"]]
    _, whole = activity(csr, customer_id, all="true", **({"types": types} if types else {}))
    assert served == whole["items"]
    assert len(served) == whole["total"] == pages[0]["total"] == pages[-1]["total"]
    assert all(len(page["items"]) == limit for page in pages[:-1])
    assert len(pages) == -(-len(served) // limit)
    assert len(served) == (121 if types is None else 90)


def test_view_all_serves_a_thousand_then_a_cursor_past_them(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]
    for batch in range(11):
        write(customer_id, ["login_succeeded"] * 95, later(batch + 1))  # 1,045 entries + customer_created

    _, first = activity(csr, customer_id, all="true")
    _, rest = activity(csr, customer_id, all="true", cursor=first["next_cursor"])

    assert len(first["items"]) == 1000
    assert first["total"] == rest["total"] == 1046
    assert first["next_cursor"] is not None
    assert len(rest["items"]) == 46
    assert rest["items"][-1]["type"] == "customer_created"
    assert rest["next_cursor"] is None
    assert len({(item["at"], item["details"].get("n")) for item in first["items"] + rest["items"]}) == 1046


def test_a_page_stops_before_two_mebibytes_of_entries(csr: Api) -> None:
    # Given entries far larger than any writer makes (100 KB of details each)
    customer_id = create_customer(csr)["customer_id"]
    for batch in range(3):
        write(customer_id, ["profile_updated"] * 10, later(batch + 1), note="x" * 100_000)

    pages = list(every_page(csr, customer_id, all="true"))

    assert len(pages[0]["items"]) < 31
    assert pages[0]["next_cursor"] is not None
    assert sum(len(page["items"]) for page in pages) == 31


def _mid_month(after: datetime) -> datetime:
    """Noon on the 15th of the second month after `after`."""
    months = after.year * 12 + after.month - 1 + 2
    return datetime(months // 12, months % 12 + 1, 15, 12, tzinfo=UTC)


def test_retention_drops_entries_older_than_three_years_from_items_and_total(csr: Api) -> None:
    from csr import clock
    from csr.data.activity import RETENTION

    # Given a customer, an entry before and after a future cutoff in the cutoff's month, one a month later
    customer_id = create_customer(csr)["customer_id"]
    cutoff = _mid_month(clock.now())
    write(customer_id, ["login_failed", "login_succeeded"], cutoff - timedelta(hours=1))
    write(customer_id, ["login_failed"], cutoff + timedelta(hours=1))
    write(customer_id, ["login_failed", "account_locked"], cutoff + timedelta(days=31))
    _, before = activity(csr, customer_id, all="true")
    assert before["total"] == 6

    # When three years pass, up to the cutoff
    clock.advance((cutoff + RETENTION - clock.now()).total_seconds())

    # Then
    _, everything = activity(csr, customer_id, all="true")
    _, failures = activity(csr, customer_id, types="login_failed")
    _, two_types = activity(csr, customer_id, types="login_failed,login_succeeded")
    assert [item["type"] for item in everything["items"]] == ["account_locked", "login_failed", "login_failed"]
    assert everything["total"] == 3
    assert [failures["total"], len(failures["items"])] == [2, 2]
    assert [two_types["total"], len(two_types["items"])] == [2, 2]

    # And 30 days later only the last moment's entries remain
    clock.advance(timedelta(days=30).total_seconds())
    _, last = activity(csr, customer_id)
    assert [item["type"] for item in last["items"]] == ["account_locked", "login_failed"]
    assert last["total"] == 2


def test_nothing_before_the_customers_creation_is_shown_or_counted(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]
    write(customer_id, ["login_failed"], later(-3600))

    _, body = activity(csr, customer_id, types="login_failed,customer_created")

    assert [item["type"] for item in body["items"]] == ["customer_created"]
    assert body["total"] == 1


def test_another_tenants_customer_is_not_found(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]
    other = csr.as_(groups=["csr"], tenant_id="utility-b")

    status, body = activity(other, customer_id)

    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_portal_role_is_forbidden(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]

    status, body = activity(csr.machine("portal"), customer_id)

    assert status == 403
    assert body["error"]["code"] == "forbidden"


def test_supervisor_may_read(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]

    status, body = activity(csr.as_(groups=["csr_supervisor"]), customer_id)

    assert status == 200
    assert body["total"] == 1


@pytest.mark.parametrize(
    "query", [{"types": "login_failed,teleported"}, {"types": ","}, {"limit": "0"}, {"limit": "101"}, {"all": "maybe"}]
)
def test_bad_parameters_get_422(csr: Api, query: dict[str, str]) -> None:
    customer_id = create_customer(csr)["customer_id"]

    status, body = activity(csr, customer_id, **query)

    assert status == 422
    assert body["error"]["code"] == "validation_error"


def _first_cursor(csr: Api, customer_id: str, **query: str) -> str:
    for i in range(3):
        write(customer_id, ["login_failed"], later(i + 1))
    _, body = activity(csr, customer_id, limit="1", **query)
    cursor: str = body["next_cursor"]
    return cursor


def test_tampered_cursor_gets_400(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]
    cursor = _first_cursor(csr, customer_id)
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[-3] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")

    for bad in (tampered, "not-a-cursor", cursor[:-2]):
        status, body = activity(csr, customer_id, limit="1", cursor=bad)
        assert status == 400, bad
        assert body["error"]["code"] == "invalid_cursor"


def test_cursor_of_another_filter_or_customer_gets_400(csr: Api) -> None:
    customer_id = create_customer(csr)["customer_id"]
    other_id = create_customer(csr, 2)["customer_id"]
    cursor = _first_cursor(csr, customer_id)

    assert activity(csr, customer_id, cursor=cursor, types="login_failed")[0] == 400
    assert activity(csr, other_id, cursor=cursor)[0] == 400
    assert activity(csr.as_(groups=["csr"], tenant_id="utility-b"), customer_id, cursor=cursor)[0] == 400
    assert activity(csr, customer_id, cursor=cursor)[0] == 200


class QueryCounter:
    """Items read (ScannedCount) and request bodies of every DynamoDB Query, from botocore's event hooks."""

    def __init__(self) -> None:
        self.scanned = 0
        self.bodies: list[str] = []
        from csr.data.dynamo import client

        events = client().meta.events
        events.register("before-call.dynamodb.Query", self._before)
        events.register("after-call.dynamodb.Query", self._after)

    def _before(self, params: dict[str, Any], **_: Any) -> None:
        body = params["body"]
        self.bodies.append(body.decode() if isinstance(body, bytes) else str(body))

    def read(self, partition: str) -> bool:
        return any(f'"{partition}"' in body for body in self.bodies)

    def _after(self, parsed: dict[str, Any], **_: Any) -> None:
        self.scanned += int(parsed.get("ScannedCount", 0))


def test_a_rare_type_filter_reads_only_that_types_entries(csr: Api) -> None:
    from csr.data import keys

    # Given a log of 294 logins and 2 locks
    customer_id = create_customer(csr)["customer_id"]
    for batch in range(3):
        write(customer_id, ["login_succeeded"] * 98 + ["account_locked"] * (1 - batch % 2), later(batch + 1))
    counter = QueryCounter()

    # When
    status, body = activity(csr, customer_id, types="account_locked")

    # Then: the two entries, counted and served from their type's partition alone
    assert status == 200
    assert [body["total"], [item["type"] for item in body["items"]]] == [2, ["account_locked"] * 2]
    assert not counter.read(keys.activity_pk(TENANT, customer_id))
    assert not counter.read(keys.activity_type_pk(TENANT, customer_id, "login_succeeded"))
    assert counter.read(keys.activity_type_pk(TENANT, customer_id, "account_locked"))
    # profile + account (the customer), this month's counter, and the 2 locks twice (their count, their page)
    assert counter.scanned <= 8


def test_numbers_in_details_come_back_as_numbers(csr: Api) -> None:
    from csr.data import activity
    from csr.data.dynamo import Transaction
    from csr.models.activity import ActivityRecord, ActivityType, Actor

    status, created, _ = csr.call("POST", "/customers", new_customer_body())
    assert status == 201
    moment = clock.now()
    tx = Transaction()
    details = {"count": 3, "nested": [{"n": 2}], "note": "x"}
    entry = ActivityRecord(at=clock.iso(moment), type=ActivityType.LOGIN_FAILED, actor=Actor.system(), details=details)
    activity.record(tx, "utility-a", created["customer_id"], [entry], moment)
    tx.commit()
    status, page, _ = csr.call("GET", f"/customers/{created['customer_id']}/activity", query={"types": "login_failed"})
    assert status == 200
    assert page["items"][0]["details"] == details
