"""Comma-list query parameters (`status=scheduled,pending`), refused with 422 when a value is unknown."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from pydantic import StringConstraints

from csr.errors import ValidationFailedError, field_error
from csr.i18n import N_
from csr.models.customers import PaymentStatus

E = TypeVar("E", bound=StrEnum)

CommaList = Annotated[str, StringConstraints(max_length=500)]
PaymentStatusFilter = CommaList


def parse_comma_list(raw: str | None, kind: type[E], field: str) -> frozenset[E] | None:
    """None when the parameter is absent; else the set of values, every one a member of `kind`."""
    if raw is None:
        return None
    values = [value.strip() for value in raw.split(",") if value.strip()]
    allowed = {member.value for member in kind}
    unknown = sorted(value for value in values if value not in allowed)
    if unknown or not values:
        # An empty list names no value: it says what to give instead.
        message = (
            N_("Unknown value(s): {unknown}. Allowed: {allowed}.") if unknown else N_("Give one or more of: {allowed}.")
        )
        raise ValidationFailedError(
            fields=[field_error(field, message, unknown=", ".join(unknown), allowed=", ".join(sorted(allowed)))]
        )
    return frozenset(kind(value) for value in values)


def parse_payment_statuses(raw: str | None) -> frozenset[PaymentStatus] | None:
    return parse_comma_list(raw, PaymentStatus, "status")
