"""The pure parts of the activity log: sort keys, resuming after a key, the type filter, the page budget."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csr.data.activity import below, entry_sort_key, time_key
from csr.errors import ValidationFailedError
from csr.models.activity import ActivityEntry, ActivityType, Actor
from csr.services.activity_log import PAGE_BYTES, _within_budget, parse_types

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
sort_keys = st.builds(entry_sort_key, moments, st.integers(min_value=0, max_value=99))


@given(sort_keys, sort_keys)
def test_below_is_a_strict_upper_bound_between_neighbours(a: str, b: str) -> None:
    assert (a <= below(b)) == (a < b)


@given(moments, st.integers(min_value=0, max_value=99))
def test_sort_keys_start_with_their_time_and_sort_by_it(moment: datetime, index: int) -> None:
    key = entry_sort_key(moment, index)
    assert key.startswith(time_key(moment))
    assert key < entry_sort_key(moment + timedelta(microseconds=1), 0)
    assert len(key) == len(entry_sort_key(datetime(2000, 1, 1, tzinfo=UTC), 0))


def test_within_one_transaction_later_entries_sort_after_earlier_ones() -> None:
    moment = datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)
    keys = [entry_sort_key(moment, index) for index in range(100)]
    assert keys == sorted(keys)


def test_types_filter_parses_known_types() -> None:
    assert parse_types(None) is None
    assert parse_types("login_failed, email_bounced") == frozenset(
        {ActivityType.LOGIN_FAILED, ActivityType.EMAIL_BOUNCED}
    )
    assert parse_types(",".join(ActivityType)) is None


@pytest.mark.parametrize("raw", ["teleported", "login_failed,teleported", "", ","])
def test_types_filter_refuses_unknown_or_empty(raw: str) -> None:
    with pytest.raises(ValidationFailedError):
        parse_types(raw)


def _entry(details_size: int) -> ActivityEntry:
    return ActivityEntry(
        at="2026-11-22T14:03:00.123Z",
        type=ActivityType.PROFILE_UPDATED,
        actor=Actor.system(),
        summary="Profile updated",
        details={"note": "x" * details_size},
    )


def test_a_page_keeps_every_small_entry() -> None:
    entries = [_entry(100) for _ in range(1000)]
    assert _within_budget(entries) == entries


def test_a_page_stops_before_its_byte_budget_but_never_serves_nothing() -> None:
    big = [_entry(PAGE_BYTES // 3) for _ in range(5)]
    assert len(_within_budget(big)) == 2
    assert len(_within_budget([_entry(PAGE_BYTES * 2)])) == 1
