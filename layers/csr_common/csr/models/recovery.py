"""Account recovery: reset links, recovery codes, and their redemption by the portal."""

from __future__ import annotations

from pydantic import Field

from csr.models.base import Model
from csr.models.common import Email, RequestModel

# Lengths are checked by the service (422 `weak_password`, or the one 400 of a failed redemption), not
# here, so that the contract's own error codes answer them.
NEW_PASSWORD_DESCRIPTION = "15-128 characters, not the account's email; otherwise 422 weak_password."


class PasswordResetRequest(RequestModel):
    token: str = Field(description="The token of the reset link.")
    new_password: str = Field(description=NEW_PASSWORD_DESCRIPTION)


class RecoveryRequest(RequestModel):
    email: Email
    code: str = Field(description="The recovery code; spaces and dashes are ignored.")
    new_password: str = Field(description=NEW_PASSWORD_DESCRIPTION)


class ResetLinkSent(Model):
    sent_to: str = Field(description="The address on record, masked.")
    expires_at: str


class RecoveryCodeIssued(Model):
    code: str = Field(description="Grouped for reading aloud, e.g. 4821-0937-55. Shown once, never stored.")
    expires_at: str
    instructions: list[str]


class RecoveryCodeStatus(Model):
    active: bool
    expires_at: str | None
    created_by: str | None
    created_at: str | None
    instructions: list[str]
