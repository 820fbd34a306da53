"""A CSR emails a customer a password-reset link.

The token (256 random bits) is stored as its SHA-256 only, found at redemption by that hash alone
(`services.redemption`); a new link supersedes the customer's previous one.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from csr import clock, email
from csr.auth import Caller
from csr.data import activity, credentials, emails
from csr.data import customers as customer_store
from csr.data.dynamo import Transaction
from csr.email import EmailContent
from csr.ids import new_token, token_hash
from csr.models.activity import ActivityType, Actor
from csr.models.recovery import ResetLinkSent
from csr.rules.recovery import RESET_LINK_TTL, require_issuable
from csr.services.customer_changes import entry, load_customer, retry_on_conflict
from csr.settings import get_settings
from csr.text import mask_email


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


def send_reset_link(caller: Caller, customer_id: str) -> ResetLinkSent:
    """Send first, then store the token: if SES fails nothing is written, so no live token is left behind.
    If the write fails after the send, the email holds a link that never worked, and the CSR gets an error
    and sends another; the reverse order would need a compensating delete that can itself fail."""
    found = load_customer(caller, customer_id)
    require_issuable(found.customer.portal.status)
    token = new_token()
    expires = clock.now() + RESET_LINK_TTL
    link = f"{get_settings().portal_base_url}/reset-password?token={token}"
    message_id = email.send(found.customer.email, reset_link_email(link, clock.iso(expires)))
    sent_to = mask_email(found.customer.email)
    retry_on_conflict(lambda: _store(caller, customer_id, token_hash(token), expires, message_id, sent_to))
    return ResetLinkSent(sent_to=sent_to, expires_at=clock.iso(expires))


def _store(caller: Caller, customer_id: str, hashed: str, expires: datetime, message_id: str, sent_to: str) -> None:
    """Store the sent link, if the customer may still get one: the token, the email's record, the entry."""
    current = load_customer(caller, customer_id)
    require_issuable(current.customer.portal.status)
    moment = clock.now()
    previous = current.reset_pointer
    tx = Transaction()
    customer_store.add_unchanged_check(tx, caller.tenant_id, current.customer)
    credentials.add_reset_link(tx, caller.tenant_id, customer_id, hashed, expires, previous)
    emails.add_message_record(
        tx, message_id, tenant_id=caller.tenant_id, customer_id=customer_id, kind="password_reset_link", moment=moment
    )
    sent = entry(
        moment,
        ActivityType.PASSWORD_RESET_LINK_SENT,
        Actor.csr(caller.sub),
        f"Password reset link emailed to {sent_to}",
        sent_to=sent_to,
        expires_at=clock.iso(expires),
        superseded_previous=previous is not None,
    )
    activity.record(tx, caller.tenant_id, customer_id, [sent], moment)
    tx.commit()
