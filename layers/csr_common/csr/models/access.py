"""Portal access: lock, unlock, deactivate, hide (CSR side) and login (portal side)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StringConstraints

from csr.models.base import Model
from csr.models.common import TYPED_LINES, RequestModel
from csr.models.customers import Payment, PortalStatus


class CsrLockReason(StrEnum):
    """The reasons a CSR may give; `failed_logins`, `deactivated` and `hidden` are set by the system."""

    COMPROMISED = "compromised"
    MISUSE = "misuse"
    OPT_OUT = "opt_out"
    OTHER = "other"


class LockRequest(RequestModel):
    reason: CsrLockReason
    note: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=TYPED_LINES)] | None = None


class DeactivateRequest(RequestModel):
    # Absent means not acknowledged: pending payments then refuse the deactivation.
    acknowledge_pending_payments: StrictBool = False


class PortalStatusResponse(Model):
    portal_status: PortalStatus


class DeactivateResponse(Model):
    portal_status: Literal[PortalStatus.PERMANENT_LOCK] = PortalStatus.PERMANENT_LOCK
    cancelled_payments: list[Payment]


# Any string: an email that cannot exist answers like an unknown one (401), never with a 422 that tells
# the two apart.
LoginEmail = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254)]
# Not stripped: spaces are part of a password.
LoginPassword = Annotated[str, Field(min_length=1, max_length=1024)]


class LoginRequest(RequestModel):
    email: LoginEmail
    password: LoginPassword


class LoginResponse(Model):
    customer_id: str
