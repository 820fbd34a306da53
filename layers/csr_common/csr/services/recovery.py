"""Account recovery: reset links sent by email, recovery codes read over the phone, and their redemption.

Only hashes are stored: a reset token (256 random bits) as its SHA-256, found by that hash alone; a
recovery code (10 digits) as a keyed hash, beside the customer's profile. Redemption deletes the item
with a condition on its hash and expiry in the same transaction as the new password and the activity
entry, so exactly one of many concurrent redemptions wins. Every write that read state first re-reads
and decides again when a concurrent change defeats its condition.
"""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from html import escape
from typing import Any

from csr import clock, email
from csr.auth import Caller
from csr.data import activity, keys
from csr.data import customers as customer_store
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction, call, is_live, retry_on_conflict, table
from csr.email import EmailContent
from csr.errors import ApiError, ConcurrentChangeError, ConflictError, NotFoundError, ValidationFailedError
from csr.ids import new_token, token_hash
from csr.models.activity import ActivityType, Actor
from csr.models.customers import Customer, PortalStatus
from csr.models.recovery import (
    PasswordResetRequest,
    RecoveryCodeIssued,
    RecoveryCodeStatus,
    RecoveryRequest,
    ResetLinkSent,
)
from csr.observability import logger
from csr.passwords import hash_password
from csr.service_key import keyed_hash
from csr.services.customers import csr_actor, entry, load_customer, save
from csr.settings import get_settings
from csr.text import mask_email

RESET_LINK_TTL = timedelta(hours=24)
RECOVERY_CODE_TTL = timedelta(hours=24)
CODE_DIGITS = 10
CODE_GROUPS = (4, 4, 2)
MAX_FAILED_CODE_ATTEMPTS = 5
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 15, 128
CODE_HASH_PURPOSE = "recovery-code"
WRITE_ATTEMPTS = 3
# Each lost race of a wrong code means another write succeeded; at most MAX_FAILED_CODE_ATTEMPTS counts
# and one deletion can happen, so with this many attempts every wrong code is either counted or finds the
# code gone.
CODE_REDEEM_ATTEMPTS = MAX_FAILED_CODE_ATTEMPTS + 2

RECOVERY_INSTRUCTIONS = [
    "Confirm the customer's identity before reading the code.",
    "Read the code one group at a time; the customer may type it with or without the dashes.",
    "Ask the customer to choose 'Use a recovery code' on the portal's sign-in page and enter their email "
    "address, the code and a new password of 15 to 128 characters.",
    "The code works once and expires 24 hours after it was generated; after 5 wrong tries it stops working "
    "and you can generate a new one.",
]


class InvalidTokenError(ApiError):
    status, code = 400, "invalid_or_expired_token"
    message = "This reset link is invalid, already used or expired; ask for a new one."


class InvalidCodeError(ApiError):
    status, code = 400, "invalid_or_expired_code"
    message = "This recovery code is invalid, already used or expired; ask for a new one."


class NoActiveCodeError(NotFoundError):
    code, message = "no_active_code", "This customer has no active recovery code."


# --- rules --------------------------------------------------------------------------------------


def require_issuable(status: PortalStatus) -> None:
    """Reset links and recovery codes go to `enrolled` accounts only."""
    if status is PortalStatus.UNENROLLED:
        raise ConflictError("This customer has no portal account.", code="not_enrolled")
    if status is not PortalStatus.ENROLLED:
        raise ConflictError("The portal account is locked; unlock it first.", code="account_locked")


def _weak_password(reason: str) -> ValidationFailedError:
    return ValidationFailedError(
        "Choose another password.", code="weak_password", fields=[{"field": "new_password", "message": reason}]
    )


def check_password_length(password: str) -> None:
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        raise _weak_password(f"Use {PASSWORD_MIN_LENGTH} to {PASSWORD_MAX_LENGTH} characters.")


def check_password_not_email(password: str, address: str) -> None:
    if password.strip().casefold() == address.strip().casefold():
        raise _weak_password("Do not use your email address as your password.")


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


def reset_link_email(link: str, expires_at: str) -> EmailContent:
    text = (
        "We received a request to reset the password of your customer portal account.\n\n"
        f"Choose a new password here: {link}\n\n"
        f"The link works once and expires at {expires_at} (UTC). If you did not ask for it, ignore this email."
    )
    html = (
        "<p>We received a request to reset the password of your customer portal account.</p>"
        f'<p><a href="{escape(link)}">Choose a new password</a></p>'
        f"<p>The link works once and expires at {escape(expires_at)} (UTC). "
        "If you did not ask for it, ignore this email.</p>"
    )
    return EmailContent(subject="Reset your portal password", text=text, html=html)


def password_changed_email() -> EmailContent:
    text = (
        "The password of your customer portal account was just changed.\n\n"
        "If you did not change it, call customer service right away."
    )
    html = (
        "<p>The password of your customer portal account was just changed.</p>"
        "<p>If you did not change it, call customer service right away.</p>"
    )
    return EmailContent(subject="Your portal password was changed", text=text, html=html)


# --- writes -------------------------------------------------------------------------------------


def _code_key(tenant_id: str, customer_id: str) -> dict[str, str]:
    return {"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.RECOVERY_CODE_SK}


def _with_new_password(customer: Customer, password_hash: str) -> Customer:
    portal = customer.portal.model_copy(update={"failed_login_count": 0})
    return customer.model_copy(update={"password_hash": password_hash, "portal": portal})


def _customer_actor(customer_id: str) -> Actor:
    return Actor(kind="customer", id=customer_id)


def _notify_password_changed(tenant_id: str, customer: Customer) -> None:
    """The reset is done whatever happens here: a notice that cannot be sent is logged, not raised."""
    try:
        email.send_recorded(
            customer.email,
            password_changed_email(),
            tenant_id=tenant_id,
            customer_id=customer.customer_id,
            kind="password_changed",
        )
    except ApiError:
        logger.warning("password-change notice not sent", extra={"customer_id": customer.customer_id})


# --- reset links --------------------------------------------------------------------------------


def send_reset_link(caller: Caller, customer_id: str) -> ResetLinkSent:
    """Send first, then store the token: if SES fails nothing is written, so no live token is left behind.
    If the write fails after the send, the email holds a link that never worked, and the CSR gets an error
    and sends another; the reverse order would need a compensating delete that can itself fail."""
    found = load_customer(caller, customer_id)
    require_issuable(found.customer.portal.status)
    token = new_token()
    hashed = token_hash(token)
    expires = clock.now() + RESET_LINK_TTL
    link = f"{get_settings().portal_base_url}/reset-password?token={token}"
    message_id = email.send(found.customer.email, reset_link_email(link, clock.iso(expires)))
    sent_to = mask_email(found.customer.email)

    def store() -> None:
        current = load_customer(caller, customer_id)
        require_issuable(current.customer.portal.status)
        moment = clock.now()
        previous = current.codes.get(keys.RESET_TOKEN_SK)
        tx = Transaction()
        customer_store.add_unchanged_check(tx, caller.tenant_id, current.customer)
        if previous is not None:
            # Supersede the older link. Its hash item may already be gone (redeemed, or deleted by TTL).
            tx.delete({"pk": keys.reset_token_pk(caller.tenant_id, previous["token_hash"]), "sk": keys.UNIQUE_SK})
        tx.put(
            {
                "pk": keys.customer_pk(caller.tenant_id, customer_id),
                "sk": keys.RESET_TOKEN_SK,
                "token_hash": hashed,
                "expires_at": clock.iso(expires),
                "ttl": clock.epoch(expires),
            },
            condition="attribute_not_exists(pk) OR token_hash = :previous",
            values={":previous": previous["token_hash"] if previous else ""},
        )
        tx.put(
            {
                "pk": keys.reset_token_pk(caller.tenant_id, hashed),
                "sk": keys.UNIQUE_SK,
                "customer_id": customer_id,
                "expires_at": clock.iso(expires),
                "ttl": clock.epoch(expires),
            },
            condition="attribute_not_exists(pk)",
        )
        tx.put(
            email.message_record(
                message_id,
                tenant_id=caller.tenant_id,
                customer_id=customer_id,
                kind="password_reset_link",
                moment=moment,
            )
        )
        sent = entry(
            moment,
            ActivityType.PASSWORD_RESET_LINK_SENT,
            csr_actor(caller),
            f"Password reset link emailed to {sent_to}",
            sent_to=sent_to,
            expires_at=clock.iso(expires),
            superseded_previous=previous is not None,
        )
        activity.record(tx, caller.tenant_id, customer_id, [sent], moment)
        tx.commit()

    retry_on_conflict(store, attempts=WRITE_ATTEMPTS, exhausted=ConcurrentChangeError)
    return ResetLinkSent(sent_to=sent_to, expires_at=clock.iso(expires))


def redeem_reset_token(caller: Caller, request: PasswordResetRequest) -> None:
    check_password_length(request.new_password)
    hashed = token_hash(request.token)
    token_key = {"pk": keys.reset_token_pk(caller.tenant_id, hashed), "sk": keys.UNIQUE_SK}
    password_hash = hash_password(request.new_password)

    def attempt() -> Customer:
        moment = clock.now()
        item = call(table().get_item, Key=token_key, ConsistentRead=True).get("Item")
        if item is None or not is_live(item, moment):
            raise InvalidTokenError()
        found = customer_store.load(caller.tenant_id, item["customer_id"])
        if found is None or found.customer.portal.status is not PortalStatus.ENROLLED:
            raise InvalidTokenError()
        before = found.customer
        check_password_not_email(request.new_password, before.email)
        tx = Transaction()
        tx.delete(
            token_key,
            condition="attribute_exists(pk) AND expires_at > :now",
            values={":now": clock.iso(moment)},
            error=InvalidTokenError,
        )
        tx.delete(
            {"pk": keys.customer_pk(caller.tenant_id, before.customer_id), "sk": keys.RESET_TOKEN_SK},
            condition="token_hash = :hash",
            values={":hash": hashed},
            error=InvalidTokenError,
        )
        completed = entry(
            moment,
            ActivityType.PASSWORD_RESET_COMPLETED,
            _customer_actor(before.customer_id),
            "Password set through a reset link",
        )
        return save(caller, before, _with_new_password(before, password_hash), [completed], moment, tx=tx)

    customer = retry_on_conflict(attempt, attempts=WRITE_ATTEMPTS, exhausted=InvalidTokenError)
    _notify_password_changed(caller.tenant_id, customer)


# --- recovery codes -----------------------------------------------------------------------------


def _active_code(found: CustomerPartition, moment: datetime) -> dict[str, Any] | None:
    item = found.codes.get(keys.RECOVERY_CODE_SK)
    return item if item is not None and is_live(item, moment) else None


def issue_recovery_code(caller: Caller, customer_id: str) -> RecoveryCodeIssued:
    """Not idempotent by design: each call makes a new code that replaces any active one."""
    digits = new_code_digits()
    code_hash = keyed_hash(CODE_HASH_PURPOSE, digits)

    def attempt() -> datetime:
        found = load_customer(caller, customer_id)
        require_issuable(found.customer.portal.status)
        moment = clock.now()
        expires = moment + RECOVERY_CODE_TTL
        tx = Transaction()
        customer_store.add_unchanged_check(tx, caller.tenant_id, found.customer)
        tx.put(
            {
                **_code_key(caller.tenant_id, customer_id),
                "code_hash": code_hash,
                "expires_at": clock.iso(expires),
                "ttl": clock.epoch(expires),
                "created_by": caller.sub,
                "created_at": clock.iso(moment),
                "failed_attempts": 0,
            }
        )
        generated = entry(
            moment,
            ActivityType.RECOVERY_CODE_GENERATED,
            csr_actor(caller),
            "Recovery code generated",
            expires_at=clock.iso(expires),
            replaced_active_code=_active_code(found, moment) is not None,
        )
        activity.record(tx, caller.tenant_id, customer_id, [generated], moment)
        tx.commit()
        return expires

    expires = retry_on_conflict(attempt, attempts=WRITE_ATTEMPTS, exhausted=ConcurrentChangeError)
    return RecoveryCodeIssued(
        code=format_code(digits), expires_at=clock.iso(expires), instructions=RECOVERY_INSTRUCTIONS
    )


def recovery_code_status(caller: Caller, customer_id: str) -> RecoveryCodeStatus:
    item = _active_code(load_customer(caller, customer_id), clock.now())
    if item is None:
        return RecoveryCodeStatus(
            active=False, expires_at=None, created_by=None, created_at=None, instructions=RECOVERY_INSTRUCTIONS
        )
    return RecoveryCodeStatus(
        active=True,
        expires_at=item["expires_at"],
        created_by=item["created_by"],
        created_at=item["created_at"],
        instructions=RECOVERY_INSTRUCTIONS,
    )


def revoke_recovery_code(caller: Caller, customer_id: str) -> None:
    def attempt() -> None:
        found = load_customer(caller, customer_id)
        moment = clock.now()
        item = _active_code(found, moment)
        if item is None:
            raise NoActiveCodeError()
        tx = Transaction()
        tx.delete(
            _code_key(caller.tenant_id, customer_id), condition="code_hash = :hash", values={":hash": item["code_hash"]}
        )
        revoked = entry(moment, ActivityType.RECOVERY_CODE_REVOKED, csr_actor(caller), "Recovery code revoked")
        activity.record(tx, caller.tenant_id, customer_id, [revoked], moment)
        tx.commit()

    retry_on_conflict(attempt, attempts=WRITE_ATTEMPTS, exhausted=ConcurrentChangeError)


def redeem_recovery_code(caller: Caller, request: RecoveryRequest) -> None:
    check_password_length(request.new_password)
    check_password_not_email(request.new_password, request.email)
    # The costly hashing comes before the lookup, so that an unknown email takes as long as a known one.
    offered = keyed_hash(CODE_HASH_PURPOSE, normalize_code(request.code))
    password_hash = hash_password(request.new_password)
    customer_id = customer_store.customer_id_by_email(caller.tenant_id, request.email)
    if customer_id is None:
        raise InvalidCodeError()

    def attempt() -> Customer:
        found = customer_store.load(caller.tenant_id, customer_id)
        moment = clock.now()
        item = _active_code(found, moment) if found is not None else None
        if found is None or item is None or found.customer.portal.status is not PortalStatus.ENROLLED:
            raise InvalidCodeError()
        # The stored hash and the failure count this decision was made on: a concurrent redemption,
        # failure or replacement makes the write fail, and the attempt reads again.
        seen = {":hash": item["code_hash"], ":failed": item["failed_attempts"]}
        if not hmac.compare_digest(item["code_hash"], offered):
            _record_failed_code(caller.tenant_id, customer_id, int(item["failed_attempts"]) + 1, seen, moment)
            raise InvalidCodeError()
        before = found.customer
        tx = Transaction()
        tx.delete(
            _code_key(caller.tenant_id, customer_id),
            condition="code_hash = :hash AND failed_attempts = :failed AND expires_at > :now",
            values={**seen, ":now": clock.iso(moment)},
        )
        redeemed = entry(
            moment,
            ActivityType.RECOVERY_CODE_REDEEMED,
            _customer_actor(customer_id),
            "Password set with a recovery code",
        )
        return save(caller, before, _with_new_password(before, password_hash), [redeemed], moment, tx=tx)

    customer = retry_on_conflict(attempt, attempts=CODE_REDEEM_ATTEMPTS, exhausted=InvalidCodeError)
    _notify_password_changed(caller.tenant_id, customer)


def _record_failed_code(tenant_id: str, customer_id: str, failed: int, seen: dict[str, Any], moment: datetime) -> None:
    """Count a wrong code; the last allowed one revokes the code."""
    revoked = failed >= MAX_FAILED_CODE_ATTEMPTS
    tx = Transaction()
    condition = "code_hash = :hash AND failed_attempts = :failed"
    if revoked:
        tx.delete(_code_key(tenant_id, customer_id), condition=condition, values=seen)
    else:
        tx.update(
            _code_key(tenant_id, customer_id),
            "SET failed_attempts = :next",
            condition=condition,
            values={**seen, ":next": failed},
        )
    summary = "Wrong recovery code; the code was revoked" if revoked else "Wrong recovery code"
    failure = entry(
        moment,
        ActivityType.RECOVERY_CODE_FAILED,
        _customer_actor(customer_id),
        summary,
        failed_attempts=failed,
        revoked=revoked,
    )
    activity.record(tx, tenant_id, customer_id, [failure], moment)
    tx.commit()
