"""The cleanup catches up: after days without a run, the next runs handle everything that fell due
meanwhile, oldest first; a clock moved back takes the cleanup's mark with it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import boto3

from csr import clock
from csr.data import cleanup_mark, keys
from csr.services import cleanup, relationships
from infra.schedules import run_once, schedule_of
from tests.support.api import Api, new_customer_body
from tests.support.groups import bam, create_group, deliver, group_of, put_clients
from tests.support.tables import all_items

DAY = 86400


def run(context: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = run_once(schedule_of("cleanup"), context)
    return answer


class Countdown:
    """A Lambda context with time for `calls` looks at it, then less than the cleanup's margin."""

    function_name = "CleanupFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:cleanup"
    aws_request_id = "short-run"

    def __init__(self, calls: int) -> None:
        self.left = calls

    def get_remaining_time_in_millis(self) -> int:
        self.left -= 1
        return 60_000 if self.left >= 0 else cleanup.SAFETY_MARGIN_MS - 1


def due_entries() -> list[dict[str, Any]]:
    return [item for item in all_items() if "due_pk" in item]


def end_date_entries() -> list[dict[str, Any]]:
    return [item for item in all_items() if str(item["pk"]).startswith("RELEXP#")]


def issue_credentials(csr: Api, n: int) -> str:
    status, created, _ = csr.call("POST", "/customers", new_customer_body(n, enroll_in_portal=True))
    assert status == 201, created
    customer_id = str(created["customer_id"])
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    assert csr.call("POST", f"/customers/{customer_id}/impersonation")[0] == 201
    return customer_id


def test_after_ten_days_without_a_run_one_run_takes_out_every_relationship_that_ended(csr: Api, api: Api) -> None:
    # Given relationships ending over the next ten days, in a group, and credentials expiring on day one
    ending = [client for days in (1, 3, 6, 9) for client in put_clients(api, 1, prefix=f"E{days}", days=days)]
    lasting = put_clients(api, 1, prefix="L", days=30)
    group_id, _ = create_group(api, "Ending", [*ending, *lasting])
    deliver()
    issue_credentials(csr, 1)
    assert run()["relationships_expired"] == 0  # the schedule ran, then stopped (an outage, a disabled rule)
    # When it runs again ten days later
    clock.advance(10 * DAY)
    report = run()
    # Then one run took out every relationship that ended meanwhile, and every expired credential
    assert report["relationships_expired"] == 4
    assert report["deleted"] == {"reset_tokens": 0, "recovery_codes": 1, "impersonation_sessions": 1}
    assert report["finished"] is True
    deliver()
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == lasting
    assert due_entries() == []
    assert len(end_date_entries()) == 1  # the lasting one's
    # and the mark says how far it got: the next run reads from the current hour only
    mark = cleanup_mark.load()
    assert mark == cleanup_mark.CleanupMark(cleanup_mark.hour_of(clock.now()), clock.now().date())
    assert run()["relationships_expired"] == 0


def test_a_gap_is_handled_over_runs_bounded_by_time_from_where_each_stopped(csr: Api, api: Api) -> None:
    put_clients(api, 1, prefix="A", days=2)
    put_clients(api, 1, prefix="B", days=8)
    group_id, _ = create_group(api, "Ending", ["A00000", "B00000"])
    deliver()
    issue_credentials(csr, 1)
    assert run()["finished"] is True
    clock.advance(10 * DAY)
    # A run with time for a few hours of the due index only: it stops, and records where
    first = run(Countdown(calls=20))
    assert first["finished"] is False
    stopped_at = cleanup_mark.load()
    assert stopped_at is not None
    assert stopped_at.due_hour < cleanup_mark.hour_of(clock.now())
    # The next run goes on from there
    second = run()
    assert second["finished"] is True
    assert first["relationships_expired"] + second["relationships_expired"] == 2
    assert sum(first["deleted"].values()) + sum(second["deleted"].values()) == 2
    deliver()
    assert group_of(api, group_id)[1]["clients"] == []


def test_ended_relationships_are_taken_out_oldest_day_first(api: Api) -> None:
    put_clients(api, 1, prefix="B", days=8)
    put_clients(api, 1, prefix="A", days=2)
    group_id, _ = create_group(api, "Ending", ["A00000", "B00000"])
    deliver()
    since = clock.now().date()
    clock.advance(10 * DAY)

    def until_one_request() -> bool:
        return not bam(api).call("GET", "/process-requests", query={"status": "pending"})[1]["items"]

    handled, day = relationships.take_out_expired(since, clock.now(), until_one_request)
    assert (handled, day) == (1, since + timedelta(days=2))
    deliver()
    assert [c["client_id"] for c in group_of(api, group_id)[1]["clients"]] == ["B00000"]


def test_moving_the_clock_back_never_makes_a_later_run_skip_what_falls_due(csr: Api, api: Api) -> None:
    # Given a run three days ahead: its mark is there
    clock.advance(3 * DAY)
    run()
    # When the clock goes back (as `POST /_local/clock` moves it: the mark follows)
    clock.advance(-3 * DAY)
    cleanup_mark.follow_back(clock.now())
    # and a relationship, a code and a session fall due a day later, before where the mark had been
    group_id, _ = create_group(api, "Back", put_clients(api, 1, prefix="S", days=1))
    deliver()
    issue_credentials(csr, 2)
    clock.advance(2 * DAY)
    report = run()
    # Then the next run handles them
    assert report["relationships_expired"] == 1
    assert report["deleted"] == {"reset_tokens": 0, "recovery_codes": 1, "impersonation_sessions": 1}
    deliver()
    assert group_of(api, group_id)[1]["clients"] == []


def test_the_mark_is_one_item_outside_every_tenant(csr: Api) -> None:
    run()
    (mark,) = [item for item in all_items() if item["pk"] == keys.CLEANUP_MARK_PK]
    assert set(mark) == {"pk", "sk", "due_hour", "relationship_day"}
    # follow_back only ever lowers it
    cleanup_mark.follow_back(clock.now())
    again = boto3.resource("dynamodb").Table("DataTable").get_item(Key={"pk": mark["pk"], "sk": mark["sk"]})
    assert again["Item"] == mark
