"""What a person reads of the activity log, in their language: each type's name (the console's filter and
column) and each entry's one-sentence summary, composed when read from the entry's type and machine
details. Entries stored before a detail existed still read: a missing detail gives the plainer sentence.

The one place that names activity types for people: a new type adds its label and summary here (a test
checks that every type has both), and the console reads them from the activity route.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from csr.i18n import N_, NP_, Language, Message, translate
from csr.models.activity import ActivityEntry, ActivityRecord, ActivityType, ActivityTypeLabel

T = ActivityType

LABELS: dict[ActivityType, str] = {
    T.CUSTOMER_CREATED: N_("Customer created"),
    T.PROFILE_UPDATED: N_("Profile updated"),
    T.ACCOUNT_ADDED: N_("Account added"),
    T.LOGIN_SUCCEEDED: N_("Login"),
    T.LOGIN_FAILED: N_("Failed login"),
    T.ACCOUNT_ENROLLED: N_("Portal access given"),
    T.ACCOUNT_LOCKED: N_("Locked"),
    T.ACCOUNT_UNLOCKED: N_("Unlocked"),
    T.ACCOUNT_DEACTIVATED: N_("Permanent lock"),
    T.ACCOUNT_HIDDEN: N_("Hidden"),
    T.PASSWORD_RESET_LINK_SENT: N_("Reset link sent"),
    T.PASSWORD_RESET_LINK_REVOKED: N_("Reset link voided"),
    T.PASSWORD_RESET_COMPLETED: N_("Password set"),
    T.RECOVERY_CODE_GENERATED: N_("Recovery code generated"),
    T.RECOVERY_CODE_REVOKED: N_("Recovery code revoked"),
    T.RECOVERY_CODE_REDEEMED: N_("Recovery code used"),
    T.RECOVERY_CODE_FAILED: N_("Wrong recovery code"),
    T.IMPERSONATION_STARTED: N_("Portal viewed by a CSR"),
    T.PAYMENT_CANCELLED: N_("Payment cancelled"),
    T.EMAIL_DELIVERED: N_("Email delivered"),
    T.EMAIL_BOUNCED: N_("Email bounced"),
    T.EMAIL_COMPLAINED: N_("Email marked as spam"),
}

# The reasons a CSR gives for a lock (details.reason), as a summary names them.
LOCK_REASONS: dict[str, str] = {
    "compromised": N_("compromised"),
    "misuse": N_("misuse"),
    "opt_out": N_("the customer opted out"),
    "other": N_("other reason"),
}

# What voided a reset link or recovery code (details.voided_by: the status change's own entry type).
VOIDED_BY: dict[str, tuple[str, str]] = {
    T.ACCOUNT_LOCKED: (N_("Reset link voided by the lock"), N_("Recovery code voided by the lock")),
    T.ACCOUNT_DEACTIVATED: (
        N_("Reset link voided by the permanent lock"),
        N_("Recovery code voided by the permanent lock"),
    ),
    T.ACCOUNT_HIDDEN: (N_("Reset link voided by hiding the account"), N_("Recovery code voided by hiding the account")),
}

Details = Mapping[str, Any]
Sentence = tuple[Message, dict[str, Any]]


def _fixed(message: str) -> Callable[[Details], Sentence]:
    return lambda _details: (message, {})


def _count(details: Details, name: str) -> int | None:
    value = details.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _login_failed(details: Details) -> Sentence:
    reason, count = details.get("reason"), _count(details, "failed_login_count")
    if reason == "account_locked":
        return N_("Portal login refused: the account is locked"), {}
    if reason == "no_password_set":
        return N_("Portal login failed: no password set yet"), {}
    if count is None:
        return N_("Portal login failed: wrong password"), {}
    plural = NP_(
        "Portal login failed: wrong password ({count} failed login in a row)",
        "Portal login failed: wrong password ({count} failed logins in a row)",
        "count",
    )
    return plural, {"count": count}


def _locked(details: Details) -> Sentence:
    reason = str(details.get("reason") or "")
    if reason == "failed_logins":
        count = _count(details, "failed_login_count")
        if count is None:
            return N_("Portal access locked after too many failed logins"), {}
        plural = NP_(
            "Portal access locked after {count} failed login",
            "Portal access locked after {count} failed logins",
            "count",
        )
        return plural, {"count": count}
    note = details.get("note")
    values = {"reason": LOCK_REASONS.get(reason, LOCK_REASONS["other"]), "note": note}
    if note:
        return N_("Portal access locked by a CSR ({reason}). Note: {note}"), values
    return N_("Portal access locked by a CSR ({reason})"), values


def _unlocked(details: Details) -> Sentence:
    cleared = _count(details, "cleared_failed_logins")
    if not cleared:
        return N_("Portal access unlocked"), {}
    plural = NP_(
        "Portal access unlocked; {count} failed login cleared",
        "Portal access unlocked; {count} failed logins cleared",
        "count",
    )
    return plural, {"count": cleared}


def _deactivated(details: Details) -> Sentence:
    count = _count(details, "payments_to_cancel")
    if not count:
        return N_("Portal account permanently locked"), {}
    plural = NP_(
        "Portal account permanently locked; {count} open payment cancelled",
        "Portal account permanently locked; {count} open payments cancelled",
        "count",
    )
    return plural, {"count": count}


def _voided(position: int, plain: str) -> Callable[[Details], Sentence]:
    def sentence(details: Details) -> Sentence:
        by = VOIDED_BY.get(str(details.get("voided_by") or ""))
        return (by[position] if by else plain), {}

    return sentence


def _with(message: str, *names: str, otherwise: str) -> Callable[[Details], Sentence]:
    """`message` filled from the named details, or `otherwise` where one of them is missing."""

    def sentence(details: Details) -> Sentence:
        if all(details.get(name) not in (None, "") for name in names):
            return message, {name: details[name] for name in names}
        return otherwise, {}

    return sentence


SUMMARIES: dict[ActivityType, Callable[[Details], Sentence]] = {
    T.CUSTOMER_CREATED: _fixed(N_("Customer added")),
    T.PROFILE_UPDATED: _fixed(N_("Profile updated")),
    T.ACCOUNT_ADDED: _with(
        N_("Service account {account_number} added"), "account_number", otherwise=N_("Service account added")
    ),
    T.LOGIN_SUCCEEDED: _fixed(N_("Portal login")),
    T.LOGIN_FAILED: _login_failed,
    T.ACCOUNT_ENROLLED: _fixed(N_("Portal access given; set-password link emailed")),
    T.ACCOUNT_LOCKED: _locked,
    T.ACCOUNT_UNLOCKED: _unlocked,
    T.ACCOUNT_DEACTIVATED: _deactivated,
    T.ACCOUNT_HIDDEN: _fixed(N_("Portal account hidden from search")),
    T.PASSWORD_RESET_LINK_SENT: _with(
        N_("Password reset link emailed to {sent_to}"), "sent_to", otherwise=N_("Password reset link emailed")
    ),
    T.PASSWORD_RESET_LINK_REVOKED: _voided(0, N_("Reset link voided")),
    T.PASSWORD_RESET_COMPLETED: _fixed(N_("Password set through a reset link")),
    T.RECOVERY_CODE_GENERATED: _fixed(N_("Recovery code generated")),
    T.RECOVERY_CODE_REVOKED: _voided(1, N_("Recovery code revoked")),
    T.RECOVERY_CODE_REDEEMED: _fixed(N_("Password set with a recovery code")),
    T.RECOVERY_CODE_FAILED: lambda details: (
        (N_("Wrong recovery code; the code was revoked") if details.get("revoked") else N_("Wrong recovery code")),
        {},
    ),
    T.IMPERSONATION_STARTED: _fixed(N_("Read-only impersonation started")),
    T.PAYMENT_CANCELLED: _with(
        N_("Payment {payment_id} of {amount} {currency} cancelled"),
        "payment_id",
        "amount",
        "currency",
        otherwise=N_("Payment cancelled"),
    ),
    T.EMAIL_DELIVERED: _fixed(N_("Email delivered")),
    T.EMAIL_BOUNCED: _fixed(N_("Email bounced")),
    T.EMAIL_COMPLAINED: _fixed(N_("Recipient reported the email as spam")),
}


def summary(record: ActivityRecord, language: Language) -> str:
    message, values = SUMMARIES[record.type](record.details)
    words = {name: translate(value, language) if name == "reason" else value for name, value in values.items()}
    return translate(message, language, words)


def served(record: ActivityRecord, language: Language) -> ActivityEntry:
    """The entry as a reader in `language` sees it."""
    return ActivityEntry(**record.model_dump(), summary=summary(record, language))


def type_labels(language: Language) -> list[ActivityTypeLabel]:
    """Every activity type with its name in `language`, in the enum's order."""
    return [ActivityTypeLabel(type=kind, label=translate(LABELS[kind], language)) for kind in ActivityType]
