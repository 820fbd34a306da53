"""Customer requests, responses and stored records."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer, model_validator

from csr.models.common import (
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


# --- requests -----------------------------------------------------------------------------------


class NewAccount(RequestModel):
    account_number: UpstreamId
    service_address: Address
    billing_address: Address
    district: District
    nickname: Nickname | None = None
    autopay: bool = False
    paperless: bool = False


class CreateCustomerRequest(RequestModel):
    person_id: UpstreamId
    first_name: Name
    last_name: Name
    email: Email
    phone: Phone | None = None
    enroll_in_portal: bool = True
    accounts: list[NewAccount] = Field(min_length=1, max_length=10)


class AccountChange(RequestModel):
    account_number: UpstreamId
    nickname: Nickname | None = None
    billing_address: Address | None = None
    autopay: bool | None = None
    paperless: bool | None = None


class UpdateCustomerRequest(RequestModel):
    first_name: Name | None = None
    last_name: Name | None = None
    phone: Phone | None = None
    accounts: list[AccountChange] = Field(default_factory=list, max_length=10)
    # Present only so that a body naming it gets the contract's own 422 `login_id_immutable`.
    email: str | None = Field(default=None, exclude=True, description="Not changeable: sending it gets 422.")

    @model_validator(mode="after")
    def _names_not_null(self) -> UpdateCustomerRequest:
        for name in ("first_name", "last_name"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} may not be null")
        return self


class PaymentFeed(RequestModel):
    account_number: UpstreamId
    amount: Money
    currency: Currency
    status: PaymentStatus
    scheduled_for: Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:\d{2})?)?$")]


# --- stored records ---------------------------------------------------------------------------


class PortalState(BaseModel):
    status: PortalStatus
    last_access_at: str | None = None
    failed_login_count: int = 0
    lock_reason: LockReason | None = None
    locked_at: str | None = None

    @property
    def enrolled(self) -> bool:
        return self.status is not PortalStatus.UNENROLLED


class Account(BaseModel):
    account_number: str
    service_address: str
    billing_address: str
    district: str
    nickname: str | None = None
    autopay: bool = False
    paperless: bool = False


class Customer(BaseModel):
    """One customer as stored: the profile item and its account items."""

    customer_id: str
    person_id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    created_at: str
    portal: PortalState
    accounts: list[Account]
    # A salted scrypt hash (see csr.passwords); never leaves the service.
    password_hash: str | None = Field(default=None, repr=False)
    version: int = 0


class Payment(BaseModel):
    payment_id: str
    account_number: str
    amount: MoneyOut
    currency: str
    status: PaymentStatus
    scheduled_for: str


# --- responses -------------------------------------------------------------------------------


class PortalView(BaseModel):
    status: PortalStatus
    enrolled: bool
    last_access_at: str | None
    failed_login_count: int
    lock_reason: LockReason | None
    locked_at: str | None


class RecoveryCodeSummary(BaseModel):
    active: bool
    expires_at: str | None


class CustomerView(BaseModel):
    customer_id: str
    person_id: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    created_at: str
    portal: PortalView
    accounts: list[Account]
    recovery_code: RecoveryCodeSummary


class PaymentList(BaseModel):
    items: list[Payment]
    next_cursor: str | None = None


class ImpersonationStarted(BaseModel):
    session_token: str
    expires_at: str
    read_only: Literal[True] = True
    portal_url: str


class ImpersonatingCsr(BaseModel):
    id: str
    email: str


class ImpersonationSession(BaseModel):
    customer_id: str
    read_only: Literal[True] = True
    expires_at: str
    csr: ImpersonatingCsr


class Saved(BaseModel):
    """What an integration upsert answers."""

    status: Literal["saved"] = "saved"
