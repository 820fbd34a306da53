"""A CSR emails a customer a password-reset link, or enrolls an unenrolled customer with a set-password
link (a reset link under the same rules).

The token (256 random bits) is stored as its SHA-256 only, found at redemption by that hash alone
(`services.redemption`); a new link supersedes the customer's previous one.

Send first, then store the token: if SES fails nothing is written, so no live token is left behind. If
the write fails after the send, the email holds a link that never worked, and the CSR gets an error and
sends another; the reverse order would need a compensating delete that can itself fail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from csr import clock, email
from csr.auth import Caller
from csr.data import activity, credentials, emails
from csr.data import customers as customer_store
from csr.data.customers import CustomerPartition
from csr.data.dynamo import Transaction
from csr.email import EmailContent
from csr.errors import ConflictError
from csr.i18n import Language
from csr.ids import new_token, token_hash
from csr.models.activity import ActivityRecord, ActivityType, Actor
from csr.models.customers import EnrollmentSent, PortalState
from csr.models.recovery import ResetLinkSent
from csr.rules import portal
from csr.rules.portal import Refusal, Transition
from csr.rules.recovery import RESET_LINK_TTL, require_issuable
from csr.services.customer_changes import entry, load_customer, retry_on_conflict, save
from csr.settings import get_settings
from csr.tenants import tenant_settings
from csr.text import mask_email


def _new_link() -> tuple[str, str, datetime]:
    """A token, the portal link that carries it, and when it expires."""
    token = new_token()
    return token, f"{get_settings().portal_base_url}/reset-password?token={token}", clock.now() + RESET_LINK_TTL


def _link_sent(caller: Caller, moment: datetime, sent_to: str, expires: datetime, superseded: bool) -> ActivityRecord:
    return entry(
        moment,
        ActivityType.PASSWORD_RESET_LINK_SENT,
        Actor.csr(caller.sub, caller.email),
        sent_to=sent_to,
        expires_at=clock.iso(expires),
        superseded_previous=superseded,
    )


def _email_link(
    tenant_id: str,
    found: CustomerPartition,
    compose: Callable[[str, datetime, ZoneInfo, Language], EmailContent],
    store: Callable[[str, datetime, str, str], None],
) -> tuple[str, datetime]:
    """Email the customer a new link written by `compose`, then `store` it (token hash, expiry, message id,
    masked address; again on a concurrent change): where it went, masked, and when it expires."""
    token, link, expires = _new_link()
    zone = tenant_settings(tenant_id).time_zone
    message_id = email.send(found.customer.email, compose(link, expires, zone, found.customer.language))
    sent_to = mask_email(found.customer.email)
    retry_on_conflict(lambda: store(token_hash(token), expires, message_id, sent_to))
    return sent_to, expires


def send_reset_link(caller: Caller, customer_id: str) -> ResetLinkSent:
    found = load_customer(caller, customer_id)
    require_issuable(found.customer.portal.status)
    sent_to, expires = _email_link(
        caller.tenant_id, found, email.reset_link_email, partial(_store, caller, customer_id)
    )
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
    activity.record(
        tx, caller.tenant_id, customer_id, [_link_sent(caller, moment, sent_to, expires, bool(previous))], moment
    )
    tx.commit()


def _enrolled(found: CustomerPartition, moment: datetime) -> PortalState:
    """The portal state after enrolment, or 409 `already_enrolled` (API.md's table)."""
    state = portal.transition(found.customer.portal, Transition.ENROLL, clock.iso(moment))
    if isinstance(state, Refusal):
        raise ConflictError(state.message, code=state.code)
    return state


def enroll(caller: Caller, customer_id: str) -> EnrollmentSent:
    """`unenrolled` -> `enrolled`, with a set-password link emailed in the customer's language; the status,
    the token, the email's record and both entries are one transaction."""
    found = load_customer(caller, customer_id)
    _enrolled(found, clock.now())
    sent_to, expires = _email_link(
        caller.tenant_id, found, email.enrollment_email, partial(_store_enrollment, caller, customer_id)
    )
    return EnrollmentSent(sent_to=sent_to, expires_at=clock.iso(expires))


def _store_enrollment(
    caller: Caller, customer_id: str, hashed: str, expires: datetime, message_id: str, sent_to: str
) -> None:
    current = load_customer(caller, customer_id)
    moment = clock.now()
    before = current.customer
    after = before.model_copy(update={"portal": _enrolled(current, moment)})
    tx = Transaction()
    credentials.add_reset_link(tx, caller.tenant_id, customer_id, hashed, expires, current.reset_pointer)
    emails.add_message_record(
        tx, message_id, tenant_id=caller.tenant_id, customer_id=customer_id, kind="enrollment_link", moment=moment
    )
    enrolled = entry(
        moment,
        ActivityType.ACCOUNT_ENROLLED,
        Actor.csr(caller.sub, caller.email),
        previous_status=before.portal.status,
    )
    sent = _link_sent(caller, moment, sent_to, expires, current.reset_pointer is not None)
    save(caller, before, after, [enrolled, sent], moment, tx)
