"""Email through SES v2, with a record of each message so that its delivery events find the customer.

SES events name the message id only: the record (`data.emails`) maps it back to the tenant
and customer for the email_events function.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any

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


def reset_link_email(link: str, expires_at: str, language: Language) -> EmailContent:
    return _compose(
        language,
        N_("Reset your portal password"),
        [
            N_("We received a request to reset the password of your customer portal account."),
            N_("The link works once and expires at {expires_at} (UTC). If you did not ask for it, ignore this email."),
        ],
        (N_("Choose a new password"), link),
        expires_at=expires_at,
    )


def enrollment_email(link: str, expires_at: str, language: Language) -> EmailContent:
    return _compose(
        language,
        N_("Your customer portal account is ready"),
        [
            N_("Customer service has opened a customer portal account for you."),
            N_(
                "The link works once and expires at {expires_at} (UTC). If you did not expect this email, "
                "call customer service."
            ),
        ],
        (N_("Choose your password"), link),
        expires_at=expires_at,
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
