"""The rules of the provider's guide for client groups, and the errors that refuse a change.

Pure functions: no AWS, no clock (the moment is passed in), tested in tests/unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
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
    message = "Some clients cannot join this group: they have no active relationship or are in another group."


class EmployeesUnavailableError(ValidationFailedError):
    code = "employees_unavailable"
    message = "Some employees cannot be assigned: unknown, or business account managers (they see every client)."


def relationship_active(client: Client, moment: datetime) -> bool:
    """Approved and not yet ended: an expired status, or an end date passed, both end it."""
    return client.relationship.status == "active" and clock.parse_iso(client.relationship.expires_at) > moment


def available_for(client: Client | None, group_id: str | None, moment: datetime) -> bool:
    """A client may join `group_id` (None: a new group) when its relationship is active and it is in no
    other group of the provider (being in this very group already is fine)."""
    if client is None or not relationship_active(client, moment):
        return False
    return client.group_id is None or client.group_id == group_id


def unavailable_clients(
    client_ids: Iterable[str], found: dict[str, Client], group_id: str | None, moment: datetime
) -> list[str]:
    return [cid for cid in dict.fromkeys(client_ids) if not available_for(found.get(cid), group_id, moment)]


def assignable(employee: Employee | None) -> bool:
    """A business account manager already sees every client of the provider, so is never assigned."""
    return employee is not None and employee.role != "business_account_manager"


def refuse_clients(client_ids: list[str]) -> None:
    if client_ids:
        raise ClientsUnavailableError(client_ids=client_ids[:MAX_LISTED_IDS], count=len(client_ids))


def refuse_employees(employee_ids: list[str]) -> None:
    if employee_ids:
        raise EmployeesUnavailableError(employee_ids=employee_ids[:MAX_LISTED_IDS], count=len(employee_ids))
