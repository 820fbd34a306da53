"""Customer requests, responses and stored records."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, StrictBool

from csr import clock
from csr.i18n import DEFAULT_LANGUAGE, N_, Language
from csr.models.base import Model
from csr.models.common import (
    OUT_OF_RANGE,
    Address,
    Currency,
    District,
    Email,
    Money,
    Name,
    Nickname,
    Phone,
    RequestModel,
    UpstreamId,
    bounded_date,
    utc_moment,
)


class PortalStatus(StrEnum):
    UNENROLLED = "unenrolled"
    ENROLLED = "enrolled"
    LOCKED = "locked"
    PERMANENT_LOCK = "permanent_lock"
    HIDDEN = "hidden"


class LockReason(StrEnum):
    COMPROMISED = "compromised"
    MISUSE = "misuse"
    OPT_OUT = "opt_out"
    OTHER = "other"
    FAILED_LOGINS = "failed_logins"
    DEACTIVATED = "deactivated"
    HIDDEN = "hidden"


class PaymentStatus(StrEnum):
    SCHEDULED = "scheduled"
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


OPEN_PAYMENT_STATUSES = frozenset({PaymentStatus.SCHEDULED, PaymentStatus.PENDING})

# Money leaves the service as a JSON number, not as the string pydantic makes of a Decimal.
MoneyOut = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


def _schedule_time(value: Any) -> str:
    """A date (`2026-12-01`) stays a date; a date-time becomes UTC with milliseconds (no offset means UTC),
    so that payments sort soonest first as text. Either falls within 1970..9999 (API.md)."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(N_("Must be an ISO 8601 date or date and time."))
    try:
        if len(value) == 10:
            return bounded_date(value).isoformat()
        return clock.iso(utc_moment(value))
    except ValueError as exc:
        if str(exc) == OUT_OF_RANGE:
            raise
        raise ValueError(N_("Must be an ISO 8601 date or date and time.")) from exc


ScheduleTime = Annotated[str, BeforeValidator(_schedule_time)]


# --- requests -----------------------------------------------------------------------------------


class NewAccount(RequestModel):
    account_number: UpstreamId
    service_address: Address
    billing_address: Address
    district: District
    nickname: Nickname | None = None
    autopay: StrictBool = False
    paperless: StrictBool = False


# The most accounts one create can hold: it writes the customer, its guards, accounts, search index and
# activity in one transaction of at most 100 items (see tests/integration/test_search_transaction.py).
# More accounts are added afterwards with POST /customers/{id}/accounts.
MAX_ACCOUNTS_AT_CREATION = 5


class CreateCustomerRequest(RequestModel):
    person_id: UpstreamId
    first_name: Name
    last_name: Name
    email: Email
    phone: Phone | None = None
    language: Language = Field(default=DEFAULT_LANGUAGE, description="The language of every email to the customer.")
    enroll_in_portal: StrictBool = True
    accounts: list[NewAccount] = Field(min_length=1, max_length=MAX_ACCOUNTS_AT_CREATION)


class AccountChange(RequestModel):
    not_null = frozenset({"billing_address", "autopay", "paperless"})

    account_number: UpstreamId
    nickname: Nickname | None = None
    billing_address: Address | None = None
    autopay: StrictBool | None = None
    paperless: StrictBool | None = None


class UpdateCustomerRequest(RequestModel):
    not_null = frozenset({"first_name", "last_name", "language"})

    first_name: Name | None = None
    last_name: Name | None = None
    phone: Phone | None = None
    language: Language | None = None
    accounts: list[AccountChange] = Field(default_factory=list, max_length=10)
    # Present only so that a body naming it gets the contract's own 422 `login_id_immutable`.
    email: str | None = Field(default=None, exclude=True, description="Not changeable: sending it gets 422.")


class PaymentFeed(RequestModel):
    account_number: UpstreamId
    amount: Money
    currency: Currency
    status: PaymentStatus
    scheduled_for: ScheduleTime


# --- stored records ---------------------------------------------------------------------------


class PortalState(Model):
    status: PortalStatus
    last_access_at: str | None = None
    failed_login_count: int = 0
    lock_reason: LockReason | None = None
    # The CSR's note with a lock, cleared by unlock.
    lock_note: str | None = None
    locked_at: str | None = None

    @property
    def enrolled(self) -> bool:
        return self.status is not PortalStatus.UNENROLLED


class Account(Model):
    account_number: str
    service_address: str
    billing_address: str
    district: str
    nickname: str | None = None
    autopay: bool = False
    paperless: bool = False


class Customer(Model):
    """One customer as stored: the profile item and its account items."""

    customer_id: str
    person_id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    language: Language = DEFAULT_LANGUAGE
    created_at: str
    portal: PortalState
    accounts: list[Account]
    # A salted scrypt hash (see csr.passwords); never leaves the service.
    password_hash: str | None = Field(default=None, repr=False)
    version: int = 0


class Payment(Model):
    payment_id: str
    account_number: str
    amount: MoneyOut
    currency: str
    status: PaymentStatus
    scheduled_for: str


# --- responses -------------------------------------------------------------------------------


class PortalView(Model):
    status: PortalStatus
    enrolled: bool
    last_access_at: str | None
    failed_login_count: int
    lock_reason: LockReason | None
    lock_note: str | None
    locked_at: str | None


class RecoveryCodeSummary(Model):
    active: bool
    expires_at: str | None


class AccountView(Account):
    # The tenant's Payment Administration page of this account; null where the tenant has none.
    payment_admin_url: str | None = None


class CustomerView(Model):
    customer_id: str
    person_id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    language: Language
    created_at: str
    portal: PortalView
    accounts: list[AccountView]
    recovery_code: RecoveryCodeSummary


class PaymentList(Model):
    items: list[Payment]
    next_cursor: str | None = None


class ImpersonationStarted(Model):
    session_token: str
    expires_at: str
    read_only: Literal[True] = True
    portal_url: str


class ImpersonatingCsr(Model):
    id: str
    email: str


class PortalAccount(Model):
    """A service account as the customer's portal shows it, with its settings."""

    account_number: str
    nickname: str | None
    service_address: str
    billing_address: str
    autopay: bool
    paperless: bool


class CustomerPortalView(Model):
    """What the customer sees of their portal: what an impersonation session shows, read-only."""

    first_name: str
    last_name: str
    email: str
    language: Language
    accounts: list[PortalAccount]
    payments: list[Payment]


class ImpersonationSession(Model):
    customer_id: str
    read_only: Literal[True] = True
    expires_at: str
    csr: ImpersonatingCsr
    view: CustomerPortalView


class EnrollmentSent(Model):
    portal_status: Literal[PortalStatus.ENROLLED] = PortalStatus.ENROLLED
    sent_to: str = Field(description="The address on record, masked; the set-password link went there.")
    expires_at: str
