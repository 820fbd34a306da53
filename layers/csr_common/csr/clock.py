"""The one clock every function reads, so that tests and local mode can move time.

In AWS the offset is always zero; the local server and the tests move it to exercise 24-hour expiry
and three-year retention without waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def advance(seconds: float) -> datetime:
    global _offset
    _offset += timedelta(seconds=seconds)
    return now()


def reset() -> None:
    global _offset
    _offset = timedelta(0)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as API.md writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def epoch(moment: datetime) -> int:
    """Seconds since the epoch, the unit of DynamoDB's TTL attribute."""
    return int(moment.timestamp())
