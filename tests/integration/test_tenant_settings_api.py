"""A tenant's settings at work: its Payment Administration link on each account (only where the tenant
has one), and its time zone in the customer's email, written in the customer's language."""

from __future__ import annotations

import re
from typing import Any

import pytest
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from csr.settings import get_settings
from infra.local_aws import REGION
from tests.support.api import Api, new_customer_body


def _created(api: Api, **overrides: Any) -> dict[str, Any]:
    status, body, _ = api.call("POST", "/customers", new_customer_body(**overrides))
    assert status == 201, body
    return dict(body)


def _last_email_to(address: str) -> str:
    sent = [
        m for m in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages if address in m.destinations["ToAddresses"]
    ]
    return str(sent[-1].body)


def test_each_account_links_to_the_tenants_payment_administration(csr: Api) -> None:
    customer = _created(csr)
    account = customer["accounts"][0]
    # utility-a's local settings (infra.local_aws.DEMO_TENANT_SETTINGS)
    assert account["payment_admin_url"] == f"https://billing.example.com/accounts/{account['account_number']}"


def test_a_tenant_without_payment_administration_has_no_link(csr: Api) -> None:
    other = csr.as_(groups=["csr"], tenant_id="utility-b")
    assert _created(other)["accounts"][0]["payment_admin_url"] is None


@pytest.mark.parametrize(
    ("language", "pattern"),
    [
        ("en", r"expires on [A-Z][a-z]+ \d{1,2}, \d{4} at \d{2}:\d{2} \(E[SD]T\)\."),
        ("fr", r"expire le \d{1,2} [a-zéû]+ \d{4} à \d{2} h \d{2} \(E[SD]T\)\."),
        ("es", r"caduca el \d{1,2} de [a-z]+ de \d{4}, a las \d{2}:\d{2} \(E[SD]T\)\."),
    ],
)
def test_the_reset_email_tells_the_time_in_the_utilitys_zone_and_the_customers_words(
    csr: Api, language: str, pattern: str
) -> None:
    assert str(get_settings().default_time_zone) == "America/Toronto"  # the template's default
    customer = _created(csr, language=language)
    assert csr.call("POST", f"/customers/{customer['customer_id']}/password-reset-link")[0] == 202
    text = _last_email_to(customer["email"])
    assert re.search(pattern, text), text
    assert "UTC" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text)
