"""The local outbox: the emails the product "sent" through moto's SES, newest first.

moto keeps every sent message in the v1 backend (`ses_backends[account][region].sent_messages`; SES v2
piggybacks on it), but of a v2 Simple message it keeps one body only (the HTML if there is one) and no
time. `capture_sesv2_bodies` wraps moto's SES v2 SendEmail handler to note both bodies and the time (on
csr.clock, which the local server can move) by message id. Local server only; never deployed.
"""

from __future__ import annotations

import functools
import json
import threading
from typing import TypedDict

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import Message, ses_backends
from moto.sesv2.responses import SESV2Response

from infra.local_aws import REGION

_MARK = "_csr_outbox_capture"
_captured: dict[str, dict[str, str | None]] = {}
_lock = threading.Lock()


class OutboxItem(TypedDict):
    message_id: str
    to: list[str]
    subject: str
    text: str | None
    html: str | None
    sent_at: str | None


def capture_sesv2_bodies() -> None:
    """Idempotent: wraps SESV2Response.send_email once per process."""
    with _lock:
        original = SESV2Response.send_email
        if getattr(original, _MARK, False):
            return

        @functools.wraps(original)
        def send_email(self: SESV2Response) -> str:
            answer = original(self)
            body = json.loads(self.body).get("Content", {}).get("Simple", {}).get("Body", {})
            from csr import clock

            _captured[json.loads(answer)["MessageId"]] = {
                "text": body.get("Text", {}).get("Data"),
                "html": body.get("Html", {}).get("Data"),
                "sent_at": clock.iso(clock.now()),
            }
            return answer

        setattr(send_email, _MARK, True)
        SESV2Response.send_email = send_email  # type: ignore[method-assign]


def messages() -> list[OutboxItem]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    items: list[OutboxItem] = []
    for message in reversed(sent):
        if not isinstance(message, Message):
            continue
        captured = _captured.get(message.id, {"text": message.body, "html": None, "sent_at": None})
        items.append(
            OutboxItem(
                message_id=message.id,
                to=[address for addresses in message.destinations.values() for address in addresses],
                subject=message.subject,
                text=captured["text"],
                html=captured["html"],
                sent_at=captured["sent_at"],
            )
        )
    return items


def find(message_id: str) -> OutboxItem | None:
    return next((item for item in messages() if item["message_id"] == message_id), None)
