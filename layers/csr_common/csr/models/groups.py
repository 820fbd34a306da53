"""Client groups, process requests and the client/employee feeds: requests, responses, stored records."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from csr import clock
from csr.errors import ValidationFailedError
from csr.i18n import N_
from csr.models.base import Model
from csr.models.common import OUT_OF_RANGE, Email, Name, RequestModel, UpstreamId, utc_moment
from csr.text import hidden_characters, mixed_script_word


class ConfirmationRequiredError(ValidationFailedError):
    code = "confirmation_required"


def require_confirmation(given: Any, word: str) -> None:
    """The confirmation word is checked before anything else of the request (API.md). Only the word itself
    passes: a repeated query parameter arrives as a list of them, and is a wrong word."""
    if given != word:
        raise ConfirmationRequiredError("Type {word} to confirm this change.", word=word)


def _plain_name(value: str) -> str:
    """A group name reads as what it is: no invisible character, no word of look-alike letters mixed from
    Latin, Greek and Cyrillic (two names that look the same would compare different)."""
    if hidden_characters(value):
        raise ValueError(N_("Must not hold invisible or control characters."))
    if mixed_script_word(value):
        raise ValueError(N_("A word must not mix Latin, Greek and Cyrillic letters."))
    return value


GroupName = Annotated[Name, AfterValidator(_plain_name)]

# A request body is at most 64 KiB, which bounds these lists (about 6,000 short ids).
ClientIds = Annotated[list[UpstreamId], Field(max_length=10_000)]


def _utc_time(value: Any) -> Any:
    """An input time may omit milliseconds; it is stored as API.md writes times, within 1970..9999."""
    if isinstance(value, str):
        try:
            return clock.iso(utc_moment(value.replace("Z", "+00:00")))
        except ValueError as exc:
            if str(exc) == OUT_OF_RANGE:
                raise
            raise ValueError(N_("Must be an ISO 8601 time.")) from exc
    raise ValueError(N_("Must be an ISO 8601 time."))


UtcTime = Annotated[str, BeforeValidator(_utc_time)]


def _count(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal) else value


Count = Annotated[int, BeforeValidator(_count)]


class GroupStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    FAILED = "failed"
    DELETED = "deleted"


class GroupRole(StrEnum):
    PROGRAM_ACCOUNT_MANAGER = "program_account_manager"
    EDITOR = "editor"
    READ_ONLY = "read_only"


class FeedRole(StrEnum):
    BUSINESS_ACCOUNT_MANAGER = "business_account_manager"
    PROGRAM_ACCOUNT_MANAGER = "program_account_manager"
    EDITOR = "editor"
    READ_ONLY = "read_only"


class RelationshipStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    EXPIRED = "expired"


class Operation(StrEnum):
    CREATE_GROUP = "create_group"
    UPDATE_GROUP = "update_group"
    DELETE_GROUP = "delete_group"
    ASSIGN_EMPLOYEES = "assign_employees"
    REMOVE_EXPIRED_CLIENTS = "remove_expired_clients"


class RequestStatus(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"


# --- requests ---------------------------------------------------------------------------------------


class _Confirmed(RequestModel):
    """A body whose confirmation word is checked before anything else in it (API.md)."""

    confirmation_word: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _confirmation_first(cls, data: Any) -> Any:
        # Raises the domain error itself (not a ValueError), so pydantic lets it through untouched.
        require_confirmation(data.get("confirmation") if isinstance(data, dict) else None, cls.confirmation_word)
        return data


class CreateGroupRequest(RequestModel):
    name: GroupName
    client_ids: ClientIds = Field(min_length=1)


class UpdateGroupRequest(_Confirmed):
    confirmation_word: ClassVar[str] = "CONFIRM"
    not_null = frozenset({"name", "add_client_ids", "remove_client_ids"})

    add_client_ids: ClientIds | None = None
    remove_client_ids: ClientIds | None = None
    name: GroupName | None = None
    confirmation: str

    @model_validator(mode="after")
    def _changes_something(self) -> UpdateGroupRequest:
        if not (self.add_client_ids or self.remove_client_ids or self.name):
            raise ValueError(N_("Change the name, add clients or remove clients."))
        if set(self.add_client_ids or ()) & set(self.remove_client_ids or ()):
            raise ValueError(N_("A client cannot be both added and removed."))
        return self


class Assignment(Model):
    employee_id: UpstreamId
    role: GroupRole


class AssignEmployeesRequest(_Confirmed):
    confirmation_word: ClassVar[str] = "CONFIRM"

    assignments: list[Assignment] = Field(max_length=1000)
    confirmation: str

    @model_validator(mode="after")
    def _each_employee_once(self) -> AssignEmployeesRequest:
        ids = [assignment.employee_id for assignment in self.assignments]
        if len(ids) != len(set(ids)):
            raise ValueError(N_("An employee appears twice."))
        return self


class Relationship(Model):
    status: RelationshipStatus
    expires_at: UtcTime


class ClientFeed(RequestModel):
    name: Name
    business_number: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9 -]+$")]
    program_accounts: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(max_length=100)
    relationship: Relationship


class EmployeeFeed(RequestModel):
    name: Name
    email: Email
    role: FeedRole


# --- responses --------------------------------------------------------------------------------------


class GroupAccepted(Model):
    group_id: str
    request_id: str


class RequestAccepted(Model):
    request_id: str


class GroupSummary(Model):
    group_id: str
    name: str
    status: GroupStatus
    client_count: Count
    employee_count: Count
    created_at: str


class GroupList(Model):
    items: list[GroupSummary]
    next_cursor: str | None


class GroupClient(Model):
    client_id: str
    name: str


class GroupEmployee(Model):
    employee_id: str
    name: str
    role: GroupRole


class GroupView(Model):
    group_id: str
    name: str
    status: GroupStatus
    clients: list[GroupClient]
    employees: list[GroupEmployee]
    client_count: Count = 0
    # With `clients_limit`, `clients` is one page of the group's clients, and this is where the next starts.
    clients_next_cursor: str | None = None


class EmployeeGroup(Model):
    group_id: str
    group_name: str
    role: GroupRole


class EmployeeRow(Model):
    employee_id: str
    name: str
    email: str
    role: FeedRole
    assignable: bool
    groups: list[EmployeeGroup]


class EmployeeList(Model):
    items: list[EmployeeRow]
    next_cursor: str | None


class AvailableClient(Model):
    client_id: str
    name: str
    business_number: str
    relationship_expires_at: str


class AvailableClientList(Model):
    items: list[AvailableClient]
    next_cursor: str | None


class ProcessRequestView(Model):
    request_id: str
    operation: Operation
    group_id: str
    group_name: str
    new_name: str | None = None
    initiated_by: str
    status: RequestStatus
    created_at: str
    completed_at: str | None
    items_total: Count
    items_done: Count
    error: str | None


class ProcessRequestList(Model):
    items: list[ProcessRequestView]
    next_cursor: str | None


# --- stored -----------------------------------------------------------------------------------------


class Group(Model):
    group_id: str
    name: str
    status: GroupStatus
    client_count: Count = 0
    employee_count: Count = 0
    created_at: str
    # The request the worker is applying to this group: one at a time, in the order they win it.
    applying: str | None = None


class Client(Model):
    client_id: str
    name: str
    business_number: str
    program_accounts: list[str]
    relationship: Relationship
    # The group this client is in (from its membership guard), if any.
    group_id: str | None = None


class Employee(Model):
    employee_id: str
    name: str
    email: str
    role: FeedRole


class ProcessRequest(ProcessRequestView):
    """A request and its plan: what the worker applies, and how far it got (`items_done` entries of the plan)."""

    add_client_ids: list[str] = Field(default_factory=list)
    remove_client_ids: list[str] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)

    def view(self) -> ProcessRequestView:
        return ProcessRequestView.model_validate(self.model_dump(include=set(ProcessRequestView.model_fields)))
