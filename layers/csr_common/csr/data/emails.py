"""Email records: which tenant and customer an SES message was sent for (SES events name the message
only), and one marker per (message, event type) so that a redelivered event is recorded once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from csr import clock
from csr.data import keys
from csr.data.dynamo import Transaction, call, get, table
from csr.data.errors import ConditionFailed
from csr.models.base import Model

# Long enough for every delivery, bounce and complaint event SES publishes about a message.
MESSAGE_RECORD_TTL = timedelta(days=30)
# EventBridge retries a failed delivery for at most 24 hours; a month of markers covers every redelivery.
MARKER_TTL = timedelta(days=30)


class SentMessage(Model):
    tenant_id: str
    customer_id: str
    kind: str = ""


class AlreadyRecorded(ConditionFailed):
    """This event of this message was recorded before."""


def message_record(message_id: str, *, tenant_id: str, customer_id: str, kind: str, moment: datetime) -> dict[str, Any]:
    """The item that lets SES events about `message_id` find the customer (no address, no content)."""
    return {
        "pk": keys.email_message_pk(message_id),
        "sk": keys.UNIQUE_SK,
        "tenant_id": tenant_id,
        "customer_id": customer_id,
        "kind": kind,
        "sent_at": clock.iso(moment),
        "ttl": clock.epoch(moment + MESSAGE_RECORD_TTL),
    }


def add_message_record(
    tx: Transaction, message_id: str, *, tenant_id: str, customer_id: str, kind: str, moment: datetime
) -> None:
    tx.put(message_record(message_id, tenant_id=tenant_id, customer_id=customer_id, kind=kind, moment=moment))


def record_message(message_id: str, *, tenant_id: str, customer_id: str, kind: str, moment: datetime) -> None:
    """The record on its own, for an email sent outside any other change."""
    item = message_record(message_id, tenant_id=tenant_id, customer_id=customer_id, kind=kind, moment=moment)
    call(table().put_item, Item=item)


def sent_message(message_id: str) -> SentMessage | None:
    key = {"pk": keys.email_message_pk(message_id), "sk": keys.UNIQUE_SK}
    item = get(key)
    return SentMessage.model_validate(item) if item else None


def add_event_marker(tx: Transaction, message_id: str, event_type: str, moment: datetime) -> None:
    """Mark the event as recorded; the commit raises `AlreadyRecorded` if it was."""
    tx.put(
        {
            "pk": keys.email_message_pk(message_id),
            "sk": keys.email_event_sk(event_type),
            "recorded_at": clock.iso(moment),
            "ttl": clock.epoch(moment + MARKER_TTL),
        },
        condition="attribute_not_exists(pk)",
        error=AlreadyRecorded,
    )
