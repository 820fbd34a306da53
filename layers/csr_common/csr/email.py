"""Email through SES v2, with a record of each message so that its delivery events find the customer.

SES events name the message id only: the record (`data.emails`) maps it back to the tenant
and customer for the email_events function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from csr import clock
from csr.data import emails
from csr.errors import DependencyUnavailableError
from csr.i18n import N_, Language, translate
from csr.observability import logger
from csr.settings import get_settings


class EmailUnavailableError(DependencyUnavailableError):
    code, message = "email_unavailable", "The email could not be sent; retrying is safe."


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def _compose(
    language: Language, subject: str, paragraphs: list[str], link: tuple[str, str] | None = None, **values: str
) -> EmailContent:
    """An email from message ids: the subject, the paragraphs and, after the first, a link with its label."""
    lines = [translate(paragraph, language, values) for paragraph in paragraphs]
    html = [f"<p>{escape(line)}</p>" for line in lines]
    if link:
        label, url = translate(link[0], language), link[1]
        lines.insert(1, f"{label}: {url}")
        html.insert(1, f'<p><a href="{escape(url)}">{escape(label)}</a></p>')
    return EmailContent(subject=translate(subject, language), text="\n\n".join(lines), html="".join(html))


MONTHS = (
    N_("January"),
    N_("February"),
    N_("March"),
    N_("April"),
    N_("May"),
    N_("June"),
    N_("July"),
    N_("August"),
    N_("September"),
    N_("October"),
    N_("November"),
    N_("December"),
)
# A moment as a reader writes it: each language orders day, month and year its own way.
WHEN = N_("{month} {day}, {year} at {hour}:{minute} ({zone})")


def written_moment(moment: datetime, zone: ZoneInfo, language: Language) -> str:
    """`moment` in the utility's time zone, as a sentence of `language` writes it (24-hour clock, the
    zone's abbreviation: `December 8, 2026 at 22:04 (EST)`)."""
    local = moment.astimezone(zone)
    values = {
        "month": translate(MONTHS[local.month - 1], language),
        "day": local.day,
        "year": local.year,
        "hour": f"{local.hour:02d}",
        "minute": f"{local.minute:02d}",
        "zone": local.tzname() or str(zone),
    }
    return translate(WHEN, language, values)


def reset_link_email(link: str, expires: datetime, zone: ZoneInfo, language: Language) -> EmailContent:
    return _compose(
        language,
        N_("Reset your portal password"),
        [
            N_("We received a request to reset the password of your customer portal account."),
            N_("The link works once and expires on {expires_at}. If you did not ask for it, ignore this email."),
        ],
        (N_("Choose a new password"), link),
        expires_at=written_moment(expires, zone, language),
    )


def enrollment_email(link: str, expires: datetime, zone: ZoneInfo, language: Language) -> EmailContent:
    return _compose(
        language,
        N_("Your customer portal account is ready"),
        [
            N_("Customer service has opened a customer portal account for you."),
            N_(
                "The link works once and expires on {expires_at}. If you did not expect this email, "
                "call customer service."
            ),
        ],
        (N_("Choose your password"), link),
        expires_at=written_moment(expires, zone, language),
    )


def password_changed_email(language: Language) -> EmailContent:
    return _compose(
        language,
        N_("Your portal password was changed"),
        [
            N_("The password of your customer portal account was just changed."),
            N_("If you did not change it, call customer service right away."),
        ],
    )


@lru_cache(maxsize=1)
def _client() -> Any:
    return boto3.client("sesv2")


def send(to: str, content: EmailContent) -> str:
    """Send one email from the configured sender; returns SES's message id."""
    settings = get_settings()
    request: dict[str, Any] = {
        "FromEmailAddress": settings.email_sender,
        "Destination": {"ToAddresses": [to]},
        "Content": {
            "Simple": {
                "Subject": {"Data": content.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": content.text, "Charset": "UTF-8"},
                    "Html": {"Data": content.html, "Charset": "UTF-8"},
                },
            }
        },
    }
    if settings.ses_configuration_set:
        request["ConfigurationSetName"] = settings.ses_configuration_set
    try:
        response = _client().send_email(**request)
    except ClientError as exc:
        # SES's message may quote the address: log its error code only.
        logger.warning("SES refused an email", extra={"ses_error": exc.response.get("Error", {}).get("Code")})
        raise EmailUnavailableError() from exc
    except BotoCoreError as exc:
        logger.warning("SES could not be reached", extra={"ses_error": type(exc).__name__})
        raise EmailUnavailableError() from exc
    return str(response["MessageId"])


def send_recorded(to: str, content: EmailContent, *, tenant_id: str, customer_id: str, kind: str) -> str:
    """Send, then record the message on its own. A caller with a transaction of its own sends with `send`
    and adds `data.emails.add_message_record` to it instead."""
    message_id = send(to, content)
    emails.record_message(message_id, tenant_id=tenant_id, customer_id=customer_id, kind=kind, moment=clock.now())
    return message_id
