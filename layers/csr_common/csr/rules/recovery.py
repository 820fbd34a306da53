"""The rules of account recovery: who may get a reset link or a recovery code, how long they live, and
the code's format, reading aloud and comparison."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import timedelta

from csr.errors import ConflictError
from csr.i18n import N_, Language, translate
from csr.models.customers import PortalStatus

RESET_LINK_TTL = timedelta(hours=24)
RECOVERY_CODE_TTL = timedelta(hours=24)
CODE_DIGITS = 10
CODE_GROUPS = (4, 4, 2)
MAX_FAILED_CODE_ATTEMPTS = 5

RECOVERY_INSTRUCTIONS = [
    N_("Confirm the customer's identity before reading the code."),
    N_("Read the code one group at a time; the customer may type it with or without the dashes."),
    N_(
        "Ask the customer to choose 'Use a recovery code' on the portal's sign-in page and enter their email "
        "address, the code and a new password of 15 to 128 characters."
    ),
    N_(
        "The code works once and expires 24 hours after it was generated; after 5 wrong tries it stops working "
        "and you can generate a new one."
    ),
]


def recovery_instructions(language: Language) -> list[str]:
    """What the CSR tells the customer with the code, in the CSR's language."""
    return [translate(line, language) for line in RECOVERY_INSTRUCTIONS]


def require_issuable(status: PortalStatus) -> None:
    """Reset links and recovery codes go to `enrolled` accounts only."""
    if status is PortalStatus.UNENROLLED:
        raise ConflictError("This customer has no portal account.", code="not_enrolled")
    if status is not PortalStatus.ENROLLED:
        raise ConflictError("The portal account is locked; unlock it first.", code="account_locked")


def new_code_digits() -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(CODE_DIGITS))


def format_code(digits: str) -> str:
    """`4821093755` -> `4821-0937-55`, for reading aloud."""
    groups, start = [], 0
    for size in CODE_GROUPS:
        groups.append(digits[start : start + size])
        start += size
    return "-".join(groups)


def normalize_code(text: str) -> str:
    """What the customer typed, without the spaces and dashes that only help reading (a phone or a word
    processor may turn `-` into an en or em dash, or a minus sign)."""
    return re.sub(r"[\s\-\u2010-\u2015\u2212]+", "", text)


def hashes_match(stored: str, offered: str) -> bool:
    """Compare code hashes in constant time."""
    return hmac.compare_digest(stored, offered)


def failure_revokes(failed_attempts: int) -> bool:
    """The last allowed wrong code revokes the code."""
    return failed_attempts >= MAX_FAILED_CODE_ATTEMPTS
