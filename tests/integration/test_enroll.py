"""POST /customers/{id}/enroll: an unenrolled customer gets portal access and a set-password link, in
their language, in one change; every other status gets 409 `already_enrolled` and nothing is written or
sent (the table's cells are also walked in test_access.py)."""

from __future__ import annotations

from typing import Any

import pytest

from csr.models.customers import PortalStatus
from tests.support.api import Api
from tests.support.credentials import log_in, messages_to, reset_password, ses_fails, token_from
from tests.support.customers import TENANT, create_customer, portal_of, set_portal
from tests.support.tables import activity_of, all_items


def enroll(csr: Api, customer_id: str) -> tuple[int, dict[str, Any]]:
    status, body, _ = csr.call("POST", f"/customers/{customer_id}/enroll")
    return status, body


def test_enroll_gives_access_and_emails_a_set_password_link_that_works(csr: Api, api: Api) -> None:
    # Given an unenrolled customer who writes in French
    customer = create_customer(csr, enroll_in_portal=False, language="fr")
    customer_id = customer["customer_id"]
    assert log_in(api, customer["email"], "correct horse battery staple") == 401
    # When a CSR enrolls them
    status, answer = enroll(csr, customer_id)
    # Then the account is enrolled, the address masked, and one French email holds the link
    assert status == 202, answer
    assert answer["portal_status"] == "enrolled"
    assert answer["sent_to"] == "h***@example.org"
    assert answer["expires_at"].endswith("Z")
    assert portal_of(customer_id).status is PortalStatus.ENROLLED
    [message] = messages_to(customer["email"])
    assert message.subject == "Votre compte du portail client est prêt"
    assert "Choisir votre mot de passe" in message.body
    # and both entries were written, by the CSR
    entries = activity_of(TENANT, customer_id)
    assert [e["type"] for e in entries] == ["customer_created", "account_enrolled", "password_reset_link_sent"]
    assert entries[1]["actor"] == {"kind": "csr", "id": "csr-1", "name": "csr-1@staff.example.com"}
    assert entries[1]["details"] == {"previous_status": "unenrolled"}
    # and the link sets a first password the customer logs in with
    assert reset_password(api, token_from(message))[0] == 204
    assert log_in(api, customer["email"], "correct horse battery staple") == 200


@pytest.mark.parametrize(
    "status", [PortalStatus.ENROLLED, PortalStatus.LOCKED, PortalStatus.PERMANENT_LOCK, PortalStatus.HIDDEN]
)
def test_enroll_of_any_other_status_is_409_and_sends_nothing(csr: Api, status: PortalStatus) -> None:
    customer = create_customer(csr)
    if status is not PortalStatus.ENROLLED:
        set_portal(customer["customer_id"], status=status)
    before = all_items()
    code, answer = enroll(csr, customer["customer_id"])
    assert code == 409, answer
    assert answer["error"]["code"] == "already_enrolled"
    assert answer["error"]["message"] == "This customer already has a portal account."
    assert all_items() == before
    assert messages_to(customer["email"]) == []


def test_enroll_whenses_fails_is_503_and_leaves_the_customer_unenrolled(csr: Api) -> None:
    customer = create_customer(csr, enroll_in_portal=False)
    before = all_items()
    with ses_fails():
        status, answer = enroll(csr, customer["customer_id"])
    assert (status, answer["error"]["code"]) == (503, "email_unavailable")
    assert all_items() == before
    assert portal_of(customer["customer_id"]).status is PortalStatus.UNENROLLED


def test_enroll_is_for_csrs_only(api: Api, csr: Api) -> None:
    customer = create_customer(csr, enroll_in_portal=False)
    status, answer = enroll(api.machine("portal"), customer["customer_id"])
    assert (status, answer["error"]["code"]) == (403, "forbidden")
    assert portal_of(customer["customer_id"]).status is PortalStatus.UNENROLLED
