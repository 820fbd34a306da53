"""Activity-log entries."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, field_validator

from csr.models.base import Model


class ActivityType(StrEnum):
    CUSTOMER_CREATED = "customer_created"
    PROFILE_UPDATED = "profile_updated"
    ACCOUNT_ADDED = "account_added"
    LOGIN_SUCCEEDED = "login_succeeded"
    LOGIN_FAILED = "login_failed"
    ACCOUNT_ENROLLED = "account_enrolled"
    ACCOUNT_LOCKED = "account_locked"
    ACCOUNT_UNLOCKED = "account_unlocked"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ACCOUNT_HIDDEN = "account_hidden"
    PASSWORD_RESET_LINK_SENT = "password_reset_link_sent"
    PASSWORD_RESET_LINK_REVOKED = "password_reset_link_revoked"
    PASSWORD_RESET_COMPLETED = "password_reset_completed"
    RECOVERY_CODE_GENERATED = "recovery_code_generated"
    RECOVERY_CODE_REVOKED = "recovery_code_revoked"
    RECOVERY_CODE_REDEEMED = "recovery_code_redeemed"
    RECOVERY_CODE_FAILED = "recovery_code_failed"
    IMPERSONATION_STARTED = "impersonation_started"
    PAYMENT_CANCELLED = "payment_cancelled"
    EMAIL_DELIVERED = "email_delivered"
    EMAIL_BOUNCED = "email_bounced"
    EMAIL_COMPLAINED = "email_complained"


class Actor(Model):
    kind: Literal["customer", "csr", "system"]
    id: str
    # A CSR's email from the token, so that an auditor sees who did it; null for customers and the system.
    name: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(kind="system", id="system")

    @classmethod
    def csr(cls, sub: str, email: str) -> Actor:
        return cls(kind="csr", id=sub, name=email or None)

    @classmethod
    def customer(cls, customer_id: str) -> Actor:
        return cls(kind="customer", id=customer_id)


class ActivityRecord(Model):
    """One line of the log as stored: machine values only (codes, ids, amounts), never a sentence in one
    language. Never holds a password, token, code or full email address."""

    at: str
    type: ActivityType
    actor: Actor
    details: dict[str, Any] = Field(default_factory=dict)

    @field_validator("details", mode="before")
    @classmethod
    def _numbers_from_dynamodb(cls, details: Any) -> Any:
        """DynamoDB hands numbers back as Decimal, which would leave the service as strings."""
        return _plain(details)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


class ActivityEntry(ActivityRecord):
    """One line of the log as served: `summary` is composed when read, in the reader's language."""

    summary: str


class ActivityTypeLabel(Model):
    """An activity type the filter offers, named in the reader's language."""

    type: ActivityType
    label: str


class ActivityPage(Model):
    """A page of the log, newest first; `total` counts every entry the filter matches, on every page.
    `types` names every type the filter takes, in the reader's language (the console's filter reads it)."""

    items: list[ActivityEntry]
    next_cursor: str | None
    total: int
    types: list[ActivityTypeLabel]


# --- SES events (configuration-set event publishing, delivered by EventBridge) ---------------------------


class SesMail(Model):
    message_id: str = Field(alias="messageId", min_length=1, max_length=256)
    destination: list[str] = Field(default_factory=list)


class SesBounce(Model):
    bounce_type: str = Field(alias="bounceType")
    bounce_sub_type: str = Field(alias="bounceSubType", default="")
    timestamp: str | None = None


class SesComplaint(Model):
    complaint_feedback_type: str | None = Field(alias="complaintFeedbackType", default=None)
    timestamp: str | None = None


class SesDelivery(Model):
    timestamp: str | None = None


class SesEventDetail(Model):
    """The `detail` of an "Email Delivered / Bounced / Complaint Received" event; other fields are ignored."""

    event_type: Literal["Delivery", "Bounce", "Complaint"] = Field(alias="eventType")
    mail: SesMail
    delivery: SesDelivery | None = None
    bounce: SesBounce | None = None
    complaint: SesComplaint | None = None


class SesEvent(Model):
    """The EventBridge envelope around an SES event."""

    id: str
    detail_type: str = Field(alias="detail-type")
    source: Literal["aws.ses"]
    time: str
    detail: SesEventDetail
