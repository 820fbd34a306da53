"""What a new portal password must be (NIST SP 800-63B: length, not composition)."""

from __future__ import annotations

from typing import Any

from csr.errors import ValidationFailedError, field_error

PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 15, 128


def _weak_password(reason: dict[str, Any]) -> ValidationFailedError:
    return ValidationFailedError("Choose another password.", code="weak_password", fields=[reason])


def check_password_length(password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise _weak_password(
            field_error(
                "new_password", "Use {min} to {max} characters.", min=PASSWORD_MIN_LENGTH, max=PASSWORD_MAX_LENGTH
            )
        )


def check_password_not_email(password: str, address: str) -> None:
    if password.strip().casefold() == address.strip().casefold():
        raise _weak_password(field_error("new_password", "Do not use your email address as your password."))
