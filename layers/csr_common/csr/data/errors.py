"""What the data layer raises. None is an HTTP error: services turn them into domain errors where the
use case knows better, and the HTTP layer (`csr.http`) answers the rest."""

from __future__ import annotations


class DataError(Exception):
    """Base of every error of the data layer."""


class ConditionFailed(DataError):  # noqa: N818 - named for the DynamoDB outcome it reports
    """A write's condition did not hold: the state it was decided on changed meanwhile."""


class TooManyItems(DataError):  # noqa: N818
    """A change needs more writes than one DynamoDB transaction can hold."""

    def __init__(self, items: int, limit: int) -> None:
        super().__init__(f"{items} writes, over the limit of {limit}")
        self.items = items
        self.limit = limit


class DataUnavailable(DataError):  # noqa: N818
    """DynamoDB failed or could not be reached; retrying is safe."""


class UniqueTaken(ConditionFailed):
    """A uniqueness guard (an email, a person id, an account number) already names another customer."""

    def __init__(self, field: str, value: str) -> None:
        super().__init__(f"{field} already taken")
        self.field = field
        self.value = value
