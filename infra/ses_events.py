"""SES events in the shape EventBridge delivers them (configuration-set event publishing), for the tests
and for the local server's `POST /_local/ses-events`."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

SesEventType = Literal["Delivery", "Bounce", "Complaint"]

DETAIL_TYPES: dict[str, str] = {
    "Delivery": "Email Delivered",
    "Bounce": "Email Bounced",
    "Complaint": "Email Complaint Received",
}
SENDER = "no-reply@example.com"
ACCOUNT = "000000000000"
REGION = "us-east-1"


def ses_event(message_id: str, event_type: SesEventType, recipients: list[str], when: datetime) -> dict[str, Any]:
    """The EventBridge event SES publishes when a message of a configuration set is delivered, bounces
    (a permanent, general bounce) or draws a complaint."""
    at = when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    detail: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": at,
            "source": SENDER,
            "sendingAccountId": ACCOUNT,
            "messageId": message_id,
            "destination": list(recipients),
            "headersTruncated": False,
            "tags": {"ses:configuration-set": ["csr-console"]},
        },
    }
    if event_type == "Delivery":
        detail["delivery"] = {
            "timestamp": at,
            "processingTimeMillis": 1200,
            "recipients": list(recipients),
            "smtpResponse": "250 2.0.0 OK",
            "reportingMTA": "a8-70.smtp-out.amazonses.com",
        }
    elif event_type == "Bounce":
        detail["bounce"] = {
            "feedbackId": f"{uuid.uuid4()}-000000",
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {"emailAddress": address, "action": "failed", "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1"}
                for address in recipients
            ],
            "timestamp": at,
            "reportingMTA": "dsn; e226-55.smtp-out.amazonses.com",
        }
    else:
        detail["complaint"] = {
            "feedbackId": f"{uuid.uuid4()}-000000",
            "complaintSubType": None,
            "complainedRecipients": [{"emailAddress": address} for address in recipients],
            "timestamp": at,
            "userAgent": "Mozilla/5.0",
            "complaintFeedbackType": "abuse",
            "arrivalDate": at,
        }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPES[event_type],
        "source": "aws.ses",
        "account": ACCOUNT,
        "time": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),  # EventBridge's envelope: whole seconds
        "region": REGION,
        "resources": [f"arn:aws:ses:{REGION}:{ACCOUNT}:configuration-set/csr-console"],
        "detail": detail,
    }
