"""Each activity entry is also a metric, emitted once its transaction has landed and never otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from csr import clock
from csr.data import activity, keys
from csr.data.dynamo import Transaction
from csr.errors import ConflictError
from csr.models.activity import ActivityRecord, ActivityType, Actor
from csr.observability import metrics
from infra.local_aws import LocalAws
from tests.support.tables import activity_of


@pytest.fixture
def metric_set(aws: LocalAws) -> Iterator[dict[str, Any]]:
    metrics.clear_metrics()
    yield metrics.metric_set
    metrics.clear_metrics()


def entries(*kinds: ActivityType) -> list[ActivityRecord]:
    return [ActivityRecord(at=clock.iso(clock.now()), type=kind, actor=Actor.system()) for kind in kinds]


def test_committed_entries_become_metrics(metric_set: dict[str, Any]) -> None:
    tx = Transaction()
    activity.record(
        tx, "utility-a", "cus_1", entries(ActivityType.LOGIN_FAILED, ActivityType.LOGIN_FAILED), clock.now()
    )
    activity.record(tx, "utility-a", "cus_2", entries(ActivityType.ACCOUNT_LOCKED), clock.now())
    tx.commit()
    assert metric_set["login_failed"]["Value"] == [2.0]
    assert metric_set["account_locked"]["Value"] == [1.0]


def test_a_cancelled_transaction_emits_nothing(metric_set: dict[str, Any]) -> None:
    tx = Transaction()
    activity.record(tx, "utility-a", "cus_1", entries(ActivityType.ACCOUNT_LOCKED), clock.now())
    tx.check(
        {"pk": keys.customer_pk("utility-a", "cus_1"), "sk": keys.PROFILE_SK},
        "attribute_exists(pk)",
        error=lambda: ConflictError("gone"),
    )
    with pytest.raises(ConflictError):
        tx.commit()
    assert metric_set == {}


def test_a_failing_metric_does_not_fail_a_written_change(
    metric_set: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: object) -> None:
        raise RuntimeError("metrics backend down")

    monkeypatch.setattr(metrics, "add_metric", broken)
    tx = Transaction()
    activity.record(tx, "utility-a", "cus_1", entries(ActivityType.LOGIN_FAILED), clock.now())
    tx.commit()
    assert [entry["type"] for entry in activity_of("utility-a", "cus_1")] == ["login_failed"]
