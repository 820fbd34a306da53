"""How far the scheduled cleanup got: the oldest hour of the due index (`csr.data.due`) and the oldest day
of the end-date index (`csr.data.clients`) that may still hold an entry it has not handled. The next run
reads from there up to its own moment, oldest first, so that nothing that fell due during a gap (an
outage, a disabled rule) is skipped because it fell due long ago.

The job's moment only moves forward in AWS. A clock moved back (the local server, the tests) must lower
the mark too (`follow_back`): what is written afterwards falls due before where the job had got."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from csr.data import keys
from csr.data.dynamo import call, get, table

_KEY = {"pk": keys.CLEANUP_MARK_PK, "sk": keys.UNIQUE_SK}
_HOUR = "%Y-%m-%dT%H"


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class CleanupMark:
    due_hour: datetime  # an hour of the due index (UTC, on the hour)
    relationship_day: date  # a day of the end-date index

    def no_later_than(self, moment: datetime) -> CleanupMark:
        """The mark, lowered to `moment` where it is ahead of it."""
        return CleanupMark(min(self.due_hour, hour_of(moment)), min(self.relationship_day, moment.date()))


def load() -> CleanupMark | None:
    item = get(_KEY)
    return from_item(item) if item else None


def from_item(item: Mapping[str, Any]) -> CleanupMark:
    hour = datetime.strptime(str(item["due_hour"]), _HOUR).replace(tzinfo=UTC)
    return CleanupMark(hour, date.fromisoformat(str(item["relationship_day"])))


def save(mark: CleanupMark) -> None:
    item = {**_KEY, "due_hour": mark.due_hour.strftime(_HOUR), "relationship_day": mark.relationship_day.isoformat()}
    call(table().put_item, Item=item)


def follow_back(moment: datetime) -> None:
    """After the clock moved back to `moment`: the mark is lowered to it, if it was ahead."""
    mark = load()
    if mark is not None and mark.no_later_than(moment) != mark:
        save(mark.no_later_than(moment))
