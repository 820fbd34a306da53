"""SES delivery, bounce and complaint events become activity entries of the customer the email was for.

SES names the message only; the record the sender wrote (`data.emails`) names the tenant, the
customer and the kind of email. EventBridge delivers at least once: a marker item per (message, event
type), put on condition in the same transaction as the entry, makes a redelivery record nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from csr import clock
from csr.data import activity, emails
from csr.data.dynamo import Transaction
from csr.data.emails import AlreadyRecorded, SentMessage
from csr.models.activity import ActivityRecord, ActivityType, Actor, SesEvent, SesEventDetail
from csr.observability import logger
from csr.text import mask_email

_ENTRY_TYPES = {
    "Delivery": ActivityType.EMAIL_DELIVERED,
    "Bounce": ActivityType.EMAIL_BOUNCED,
    "Complaint": ActivityType.EMAIL_COMPLAINED,
}


class Outcome(StrEnum):
    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNKNOWN_MESSAGE = "unknown_message"
    NOT_AN_EMAIL_EVENT = "not_an_email_event"


def record_ses_event(raw: dict[str, Any]) -> Outcome:
    """Record one EventBridge event of SES. What cannot be recorded is logged and dropped, never retried:
    retrying would not change the answer. DynamoDB failures raise, so that EventBridge retries."""
    try:
        event = SesEvent.model_validate(raw)
    except ValidationError as exc:
        logger.warning("not an SES delivery, bounce or complaint event", extra={"errors": exc.error_count()})
        return Outcome.NOT_AN_EMAIL_EVENT
    detail = event.detail
    message_id = detail.mail.message_id
    log = {"message_id": message_id, "event_type": detail.event_type}
    sent = emails.sent_message(message_id)
    if sent is None:
        logger.warning("SES event for a message we have no record of", extra=log)
        return Outcome.UNKNOWN_MESSAGE
    moment = _happened_at(event)
    entry = ActivityRecord(
        at=clock.iso(moment),
        type=_ENTRY_TYPES[detail.event_type],
        actor=Actor.system(),
        details=_details(detail, sent),
    )
    tx = Transaction()
    emails.add_event_marker(tx, message_id, detail.event_type, clock.now())
    activity.record(tx, sent.tenant_id, sent.customer_id, [entry], moment)
    try:
        tx.commit()
    except AlreadyRecorded:
        logger.info("SES event already recorded", extra=log)
        return Outcome.DUPLICATE
    logger.info("SES event recorded", extra=log)
    return Outcome.RECORDED


def _happened_at(event: SesEvent) -> datetime:
    """When SES says the delivery, bounce or complaint happened; else when EventBridge got the event."""
    detail = event.detail
    specific = {"Delivery": detail.delivery, "Bounce": detail.bounce, "Complaint": detail.complaint}[detail.event_type]
    return clock.parse_iso(specific.timestamp if specific and specific.timestamp else event.time)


def _details(detail: SesEventDetail, sent: SentMessage) -> dict[str, Any]:
    """What a CSR needs to help: the kind of email, the masked address, why it bounced. No full address."""
    details: dict[str, Any] = {
        "email_kind": sent.kind,
        "message_id": detail.mail.message_id,
        "sent_to": [mask_email(address) for address in detail.mail.destination[:5]],
    }
    if detail.bounce is not None:
        details["bounce_type"] = detail.bounce.bounce_type
        details["bounce_sub_type"] = detail.bounce.bounce_sub_type
    if detail.complaint is not None and detail.complaint.complaint_feedback_type:
        details["feedback_type"] = detail.complaint.complaint_feedback_type
    return details
