"""Customer search: query parameters and the rows of `GET /customers`."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from csr.models.base import Model
from csr.models.customers import PortalStatus

SearchText = Annotated[str, StringConstraints(min_length=2, max_length=100)]

# Without a `status` filter, a search shows every portal status but hidden.
DEFAULT_STATUSES = frozenset(status for status in PortalStatus if status is not PortalStatus.HIDDEN)


class SearchRow(Model):
    """One service account of a matching customer."""

    customer_id: str
    person_id: str
    first_name: str
    last_name: str
    email: str
    account_number: str
    service_address: str
    billing_address: str
    district: str
    portal_status: PortalStatus
    last_access_at: str | None


class SearchPage(Model):
    items: list[SearchRow]
    next_cursor: str | None


class DistrictCount(Model):
    district: str
    customers: int


class DistrictList(Model):
    """The tenant's districts (as first written), by folded name, each with its number of customers."""

    items: list[DistrictCount]
