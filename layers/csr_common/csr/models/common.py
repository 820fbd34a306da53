"""Reusable field types of API.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from csr.models.base import Model

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

# Ids chosen by upstream systems, and the opaque ids this service makes: both fit this shape.
UpstreamId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
CustomerId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
District = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Nickname = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{3,32}$")]
# An ASCII local part (what SES can send to), then a domain with at least one dot.
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[^\s@]+\.[^\s@]+$"
    ),
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


def _json_number(value: Any) -> Any:
    """Money arrives as a JSON number: "12.50" (a string) or true (a bool) is refused, not coerced."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


Money = Annotated[Decimal, BeforeValidator(_json_number), Field(ge=0, le=Decimal("99999999.99"), decimal_places=2)]
Limit = Annotated[int, Field(ge=1, le=100)]
Cursor = Annotated[str, StringConstraints(max_length=2048)]


def _has_lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(key) or _has_lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(item) for item in value)
    return False


class RequestModel(Model):
    """A request body. It refuses unknown fields (a typo must not be silently ignored), text that is not
    valid Unicode (a lone surrogate escaped in JSON), and an explicit null for the fields in `not_null`
    (fields that may be left out, but not cleared)."""

    model_config = ConfigDict(extra="forbid")
    not_null: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        if _has_lone_surrogate(data):
            raise ValueError("text must be valid Unicode")
        return data

    @model_validator(mode="after")
    def _no_null_where_refused(self) -> Self:
        nulls = sorted(name for name in self.not_null & self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise ValueError(f"may not be null: {', '.join(nulls)}")
        return self


SessionToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
