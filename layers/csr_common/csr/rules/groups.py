"""The rules of the provider's guide for client groups, and the errors that refuse a change.

Pure functions: no AWS, no clock (the moment is passed in), tested in tests/unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from csr import clock
from csr.errors import ConflictError, ValidationFailedError

if TYPE_CHECKING:
    from csr.models.groups import Client, Employee

# The most clients or employees one refusal lists in its details (the rest are counted).
MAX_LISTED_IDS = 100


class NameTakenError(ConflictError):
    code, message = "name_taken", "Another group of this provider, active or deleted, already has this name."


class ClientsUnavailableError(ValidationFailedError):
    code = "clients_unavailable"
    message = "Some clients cannot join this group: each refused client is listed with the reason."


class Unavailable(StrEnum):
    """Why a client cannot join a group (`details.clients[].reason`)."""

    UNKNOWN = "unknown"
    NO_ACTIVE_RELATIONSHIP = "no_active_relationship"
    IN_GROUP = "in_group"
    CHANGE_PENDING = "change_pending"  # a request still pending put it in a group


class EmployeesUnavailableError(ValidationFailedError):
    code = "employees_unavailable"
    message = "Some employees cannot be assigned: unknown, or business account managers (they see every client)."


def relationship_active(client: Client, moment: datetime) -> bool:
    """Approved and not yet ended: an expired status, or an end date passed, both end it."""
    return client.relationship.status == "active" and clock.parse_iso(client.relationship.expires_at) > moment


def unavailable_reason(client: Client | None, group_id: str | None, moment: datetime) -> Unavailable | None:
    """Why the client may not join `group_id` (None: a new group), or None when it may: its relationship
    is active and it is in no other group of the provider (being in this very group already is fine).
    A client in another group is `in_group`; the caller knows whether the request that put it there is
    still pending (`change_pending`)."""
    if client is None:
        return Unavailable.UNKNOWN
    if not relationship_active(client, moment):
        return Unavailable.NO_ACTIVE_RELATIONSHIP
    if client.group_id is None or client.group_id == group_id:
        return None
    return Unavailable.IN_GROUP


def unavailable_clients(
    client_ids: Iterable[str], found: dict[str, Client], group_id: str | None, moment: datetime
) -> dict[str, Unavailable]:
    """Each unavailable client among `client_ids` with its reason, in request order, once."""
    reasons = {cid: unavailable_reason(found.get(cid), group_id, moment) for cid in dict.fromkeys(client_ids)}
    return {cid: reason for cid, reason in reasons.items() if reason is not None}


def assignable(employee: Employee | None) -> bool:
    """A business account manager already sees every client of the provider, so is never assigned."""
    return employee is not None and employee.role != "business_account_manager"


def refuse_clients(reasons: dict[str, Unavailable]) -> None:
    if reasons:
        listed = list(reasons.items())[:MAX_LISTED_IDS]
        raise ClientsUnavailableError(
            client_ids=[cid for cid, _ in listed],
            clients=[{"client_id": cid, "reason": reason.value} for cid, reason in listed],
            count=len(reasons),
        )


def refuse_employees(employee_ids: list[str]) -> None:
    if employee_ids:
        raise EmployeesUnavailableError(employee_ids=employee_ids[:MAX_LISTED_IDS], count=len(employee_ids))
