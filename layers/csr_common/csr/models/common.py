"""Reusable field types of API.md."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from csr.i18n import N_, NP_, Message
from csr.models.base import Model
from csr.models.currencies import ACTIVE_CURRENCIES

# What `details.fields` says of a field pydantic refuses, by error type: message ids, translated like every
# message, filled from the error's context (csr.http). A type not here keeps pydantic's English text; a
# validator's own ValueError text is a message id (marked N_), and `not_null` is this module's own type.
_NUMBER, _OBJECT = N_("Must be a number."), N_("Must be an object.")
_ONE_OF, _DATE, _TIME = (
    N_("Must be one of: {expected}."),
    N_("Must be a date (YYYY-MM-DD)."),
    N_("Must be an ISO 8601 time."),
)
_MAX_PLACES = NP_(
    "Must have at most {decimal_places} decimal place.",
    "Must have at most {decimal_places} decimal places.",
    "decimal_places",
)
_NOT_NULL = N_("May not be null: {fields}.")
FIELD_MESSAGES: dict[str, Message] = {
    "missing": N_("Required."),
    "extra_forbidden": N_("Not a field of this request."),
    "string_type": N_("Must be text."),
    "string_too_short": NP_(
        "Must have at least {min_length} character.", "Must have at least {min_length} characters.", "min_length"
    ),
    "string_too_long": NP_(
        "Must be at most {max_length} character.", "Must be at most {max_length} characters.", "max_length"
    ),
    "string_pattern_mismatch": N_("Not in the expected format."),
    "bool_type": N_("Must be true or false."),
    "int_type": N_("Must be a whole number."),
    "int_parsing": N_("Must be a whole number."),
    "int_from_float": N_("Must be a whole number."),
    "decimal_type": _NUMBER,
    "decimal_parsing": _NUMBER,
    "float_type": _NUMBER,
    "float_parsing": _NUMBER,
    "decimal_max_digits": NP_(
        "Must have at most {max_digits} digit.", "Must have at most {max_digits} digits.", "max_digits"
    ),
    "decimal_max_places": _MAX_PLACES,
    "greater_than": N_("Must be greater than {gt}."),
    "greater_than_equal": N_("Must be at least {ge}."),
    "less_than": N_("Must be less than {lt}."),
    "less_than_equal": N_("Must be at most {le}."),
    "list_type": N_("Must be a list."),
    "too_short": NP_("Must hold at least {min_length} item.", "Must hold at least {min_length} items.", "min_length"),
    "too_long": NP_("Must hold at most {max_length} item.", "Must hold at most {max_length} items.", "max_length"),
    "dict_type": _OBJECT,
    "model_type": _OBJECT,
    "model_attributes_type": _OBJECT,
    "enum": _ONE_OF,
    "literal_error": _ONE_OF,
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "datetime_type": _TIME,
    "datetime_parsing": _TIME,
    "datetime_from_date_parsing": _TIME,
    "not_null": _NOT_NULL,
}

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"

# Ids chosen by upstream systems, and the opaque ids this service makes: both fit this shape.
UpstreamId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
CustomerId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
# Text a person typed holds no control character: a NUL or an escape code would make two values that look
# alike different (two customers under one email), and garble what a CSR reads. A note may break lines.
# (Spelled as code points, not `\p{Cc}`: the pattern goes into the OpenAPI document, read by clients whose
# regular expressions know no Unicode classes.)
TYPED = r"^[^\x00-\x1f\x7f-\x9f]*$"
TYPED_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=TYPED)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=TYPED)]
District = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=TYPED)]
Nickname = Annotated[str, StringConstraints(strip_whitespace=True, max_length=60, pattern=TYPED)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ().-]{3,32}$")]
# An ASCII local part (what SES can send to) of dot-separated atoms, then a domain of at least two labels,
# each of letters, digits and inner hyphens.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:[\w-]*[^\W_])?"
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, max_length=254, pattern=rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})+$"
    ),
]


def _active_currency(value: Any) -> Any:
    if isinstance(value, str) and value not in ACTIVE_CURRENCIES:
        raise ValueError(N_("Must be an ISO 4217 currency code in use (such as CAD, USD or EUR)."))
    return value


Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(_active_currency)]

# Every input time falls between these, once converted to UTC (API.md): a time outside them cannot be
# written back in API.md's shape (year 1 has no four-digit year; 9999-12-31T23:00-05:00 is in year 10000).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
OUT_OF_RANGE = N_("Must fall between 1970-01-01 and 9999-12-31 (UTC).")


def utc_moment(text: str) -> datetime:
    """An ISO 8601 time (no offset means UTC) as a UTC moment within EARLIEST..LATEST; ValueError otherwise,
    with a message id as its text."""
    moment = datetime.fromisoformat(text)
    try:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(OUT_OF_RANGE) from exc
    if not EARLIEST <= moment <= LATEST:
        raise ValueError(OUT_OF_RANGE)
    return moment


def bounded_date(text: str) -> date:
    """A date (YYYY-MM-DD) within EARLIEST..LATEST; ValueError otherwise."""
    day = date.fromisoformat(text)
    if not EARLIEST.date() <= day <= LATEST.date():
        raise ValueError(OUT_OF_RANGE)
    return day


MAX_DECIMAL_PLACES = 2
_SMALLEST = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)  # 0.01


def _json_number(value: Any) -> Any:
    """Money arrives as a JSON number: "12.50" (a string) or true (a bool) is refused, not coerced. Its
    decimals are counted on the exact value (the body's numbers are read as decimals, csr.http), since
    pydantic's own count works at 28 significant digits, where 1.00000000000000000000000000001 is 1; a value
    of 10^9 or more is left to the upper bound (its quantization would overflow those 28 digits)."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(N_("Must be a JSON number."))
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 9 and value != value.quantize(_SMALLEST):
        raise PydanticCustomError("decimal_max_places", _MAX_PLACES.plural, {"decimal_places": MAX_DECIMAL_PLACES})
    return value


Money = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    Field(ge=0, le=Decimal("99999999.99"), decimal_places=MAX_DECIMAL_PLACES),
]
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
            raise ValueError(N_("Text must be valid Unicode."))
        return data

    @model_validator(mode="after")
    def _no_null_where_refused(self) -> Self:
        nulls = sorted(name for name in self.not_null & self.model_fields_set if getattr(self, name) is None)
        if nulls:
            raise PydanticCustomError("not_null", _NOT_NULL, {"fields": ", ".join(nulls)})
        return self


SessionToken = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{16,128}$")]
