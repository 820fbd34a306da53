"""Reset links: emailed through SES (read back from moto's SES backend), redeemed once by the portal."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest

from csr import clock
from csr.data import keys
from tests.support.api import Api
from tests.support.credentials import (
    NEW_PASSWORD,
    call_concurrently,
    log_in,
    messages_to,
    portal,
    reset_items,
    reset_password,
    send_link,
    sent_messages,
    ses_fails,
    token_from,
)
from tests.support.customers import TENANT, activity_types, create_customer, profile
from tests.support.tables import table

# --- sending ---------------------------------------------------------------------------------------


def test_link_is_emailed_redeemed_and_the_new_password_logs_in(csr: Api, api: Api) -> None:
    # Given
    customer = create_customer(csr)
    customer_id, address = customer["customer_id"], customer["email"]
    # When
    status, sent = send_link(csr, customer_id)
    # Then
    assert status == 202, sent
    assert sent["sent_to"] == "h***@example.org"
    [message] = messages_to(address)
    assert message.subject == "Reset your portal password"
    assert message.body.count("http://127.0.0.1:3000/portal/reset-password?token=") == 1
    token = token_from(message)
    record = table().get_item(Key={"pk": keys.email_message_pk(message.id), "sk": keys.UNIQUE_SK})["Item"]
    assert record["customer_id"] == customer_id
    assert record["tenant_id"] == TENANT
    assert record["kind"] == "password_reset_link"
    assert activity_types(customer_id) == ["customer_created", "password_reset_link_sent"]

    # When the customer follows the link
    status, body = reset_password(api, token)
    # Then
    assert (status, body) == (204, None)
    assert log_in(api, address, NEW_PASSWORD) == 200
    assert reset_items() == []
    assert activity_types(customer_id)[-2] == "password_reset_completed"
    assert [m.subject for m in messages_to(address)][-1] == "Your portal password was changed"


def test_expires_at_is_24_hours_after_sending(csr: Api) -> None:
    customer = create_customer(csr)
    before = clock.now()
    _, sent = send_link(csr, customer["customer_id"])
    expires = clock.parse_iso(sent["expires_at"])
    assert 24 * 3600 - 1 <= (expires - before).total_seconds() <= 24 * 3600 + 1
    [pointer] = [item for item in reset_items() if item["sk"] == keys.RESET_TOKEN_SK]
    assert pointer["expires_at"] == sent["expires_at"]
    assert pointer["ttl"] == clock.epoch(expires)


def test_stored_token_item_holds_only_the_hash(csr: Api) -> None:
    customer = create_customer(csr)
    send_link(csr, customer["customer_id"])
    token = token_from(messages_to(customer["email"])[0])
    [token_item] = [item for item in reset_items() if "#RESET#" in item["pk"]]
    from csr.ids import token_hash

    assert token_item["pk"] == keys.reset_token_pk(TENANT, token_hash(token))
    assert token_item["customer_id"] == customer["customer_id"]
    assert token not in json.dumps(reset_items(), default=str)


@pytest.mark.parametrize(
    ("route", "body", "groups", "expected"),
    [
        ("lock", {"reason": "other"}, ["csr"], "account_locked"),
        ("deactivate", {"acknowledge_pending_payments": True}, ["csr"], "account_locked"),
        ("hide", None, ["csr_supervisor"], "account_locked"),
    ],
)
def test_locked_accounts_are_refused(
    csr: Api, api: Api, route: str, body: Any, groups: list[str], expected: str
) -> None:
    customer = create_customer(csr)
    status, _, _ = api.as_(groups=groups).call("POST", f"/customers/{customer['customer_id']}/{route}", body)
    assert status == 200
    status, answer = send_link(csr, customer["customer_id"])
    assert status == 409
    assert answer["error"]["code"] == expected
    assert sent_messages() == []
    assert reset_items() == []


def test_unenrolled_customer_is_refused(csr: Api) -> None:
    customer = create_customer(csr, enroll_in_portal=False)
    status, answer = send_link(csr, customer["customer_id"])
    assert (status, answer["error"]["code"]) == (409, "not_enrolled")
    assert sent_messages() == []


def test_unknown_and_other_tenants_customers_get_404_and_no_email(csr: Api, api: Api) -> None:
    customer = create_customer(csr)
    other_tenant = api.as_(groups=["csr"], tenant_id="utility-b")
    assert send_link(other_tenant, customer["customer_id"])[0] == 404
    assert send_link(csr, "cus_unknown")[0] == 404
    assert sent_messages() == []
    assert reset_items() == []


def test_portal_role_may_not_send_links_nor_csr_redeem(csr: Api, api: Api) -> None:
    customer = create_customer(csr)
    status, _ = send_link(portal(api), customer["customer_id"])
    assert status == 403
    status, body, _ = csr.call("POST", "/portal/password-reset", {"token": "x" * 43, "new_password": NEW_PASSWORD})
    assert (status, body["error"]["code"]) == (403, "forbidden")


def test_new_link_supersedes_the_old_one(csr: Api, api: Api) -> None:
    customer = create_customer(csr)
    send_link(csr, customer["customer_id"])
    send_link(csr, customer["customer_id"])
    old, new = (token_from(message) for message in messages_to(customer["email"]))
    assert len([item for item in reset_items() if "#RESET#" in item["pk"]]) == 1
    assert reset_password(api, old)[1]["error"]["code"] == "invalid_or_expired_token"
    assert reset_password(api, new)[0] == 204


# --- SES failure and idempotency ---------------------------------------------------------------------


def test_ses_failure_answers_503_and_leaves_no_token(csr: Api, api: Api) -> None:
    customer = create_customer(csr)
    with ses_fails():
        status, answer = send_link(csr, customer["customer_id"])
    assert (status, answer["error"]["code"]) == (503, "email_unavailable")
    assert reset_items() == []
    assert activity_types(customer["customer_id"]) == ["customer_created"]


def test_ses_failure_keeps_the_previous_link_working(csr: Api, api: Api) -> None:
    customer = create_customer(csr)
    send_link(csr, customer["customer_id"])
    with ses_fails():
        assert send_link(csr, customer["customer_id"])[0] == 503
    assert reset_password(api, token_from(messages_to(customer["email"])[0]))[0] == 204


def test_retry_with_the_same_key_sends_one_email(csr: Api) -> None:
    customer = create_customer(csr)
    headers = {"Idempotency-Key": "reset-1"}
    first = send_link(csr, customer["customer_id"], headers)
    second = send_link(csr, customer["customer_id"], headers)
    assert first[0] == 202
    assert second == first
    assert len(messages_to(customer["email"])) == 1
    assert activity_types(customer["customer_id"]).count("password_reset_link_sent") == 1


def test_retry_after_ses_failure_sends_the_email(csr: Api) -> None:
    customer = create_customer(csr)
    headers = {"Idempotency-Key": "reset-2"}
    with ses_fails():
        assert send_link(csr, customer["customer_id"], headers)[0] == 503
    assert send_link(csr, customer["customer_id"], headers)[0] == 202
    assert len(messages_to(customer["email"])) == 1


def test_same_key_for_another_customer_is_refused(csr: Api) -> None:
    first, second = create_customer(csr, 1), create_customer(csr, 2)
    headers = {"Idempotency-Key": "reset-3"}
    assert send_link(csr, first["customer_id"], headers)[0] == 202
    status, answer = send_link(csr, second["customer_id"], headers)
    assert (status, answer["error"]["code"]) == (422, "idempotency_key_reused")
    assert messages_to(second["email"]) == []


def test_same_key_in_another_tenant_is_another_request(csr: Api, api: Api) -> None:
    mine = create_customer(csr, 1)
    other_csr = api.as_(groups=["csr"], tenant_id="utility-b")
    theirs = create_customer(other_csr, 1)
    headers = {"Idempotency-Key": "shared"}
    assert send_link(csr, mine["customer_id"], headers)[0] == 202
    assert send_link(other_csr, theirs["customer_id"], headers)[0] == 202
    assert len(sent_messages()) == 2


# --- redemption --------------------------------------------------------------------------------------


@pytest.fixture
def linked(csr: Api) -> tuple[dict[str, Any], str]:
    """An enrolled customer and the token of the link just emailed to them."""
    customer = create_customer(csr)
    assert send_link(csr, customer["customer_id"])[0] == 202
    return customer, token_from(messages_to(customer["email"])[0])


def test_token_redeems_only_once(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    _, token = linked
    assert reset_password(api, token)[0] == 204
    status, answer = reset_password(api, token, "another long password!")
    assert (status, answer["error"]["code"]) == (400, "invalid_or_expired_token")


def test_token_expires_after_24_hours_although_the_item_remains(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    _, token = linked
    clock.advance(24 * 3600 + 1)
    status, answer = reset_password(api, token)
    assert (status, answer["error"]["code"]) == (400, "invalid_or_expired_token")
    assert len(reset_items()) == 2  # DynamoDB's TTL deletes lazily; the read checks expiry itself


def test_token_still_redeems_just_before_expiry(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    _, token = linked
    clock.advance(24 * 3600 - 2)
    assert reset_password(api, token)[0] == 204


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 43, "é" * 10, "a" * 5000])
def test_unknown_or_malformed_tokens_get_the_one_answer(api: Api, token: str) -> None:
    status, answer = reset_password(api, token)
    assert (status, answer["error"]["code"]) == (400, "invalid_or_expired_token")


def test_token_no_longer_redeems_once_the_account_is_locked(
    csr: Api, api: Api, linked: tuple[dict[str, Any], str]
) -> None:
    customer, token = linked
    assert csr.call("POST", f"/customers/{customer['customer_id']}/lock", {"reason": "compromised"})[0] == 200
    assert reset_password(api, token)[1]["error"]["code"] == "invalid_or_expired_token"
    assert profile(customer["customer_id"]).get("password_hash") is None


def test_another_tenants_portal_cannot_redeem(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    _, token = linked
    status, answer = reset_password(api, token, tenant_id="utility-b")
    assert (status, answer["error"]["code"]) == (400, "invalid_or_expired_token")
    assert reset_password(api, token)[0] == 204


@pytest.mark.parametrize("password", ["fourteen chars", "x" * 129])
def test_weak_password_is_refused_before_the_token_is_looked_at(api: Api, password: str) -> None:
    status, answer = reset_password(api, "no-such-token", password)
    assert (status, answer["error"]["code"]) == (422, "weak_password")
    assert answer["error"]["details"]["fields"][0]["field"] == "new_password"


def test_password_equal_to_the_email_is_refused_and_the_token_kept(
    api: Api, linked: tuple[dict[str, Any], str]
) -> None:
    customer, token = linked
    status, answer = reset_password(api, token, customer["email"].upper())
    assert (status, answer["error"]["code"]) == (422, "weak_password")
    assert reset_password(api, token)[0] == 204


@pytest.mark.parametrize(
    "body",
    [
        {"token": "abc"},
        {"new_password": NEW_PASSWORD},
        {"token": 5, "new_password": NEW_PASSWORD},
        {"token": "abc", "new_password": NEW_PASSWORD, "extra": 1},
    ],
)
def test_bad_bodies_get_validation_error(api: Api, body: dict[str, Any]) -> None:
    status, answer, _ = portal(api).call("POST", "/portal/password-reset", body)
    assert (status, answer["error"]["code"]) == (422, "validation_error")


def test_redemption_clears_failed_logins(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    customer, token = linked
    assert log_in(api, customer["email"], "wrong password") == 401
    assert profile(customer["customer_id"])["portal"]["failed_login_count"] == 1
    assert reset_password(api, token)[0] == 204
    stored = profile(customer["customer_id"])
    assert stored["portal"]["failed_login_count"] == 0
    assert stored["portal"]["status"] == "enrolled"


@pytest.mark.usefixtures("separate_environments")
def test_twenty_parallel_redemptions_succeed_once(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    customer, token = linked
    body = {"token": token, "new_password": NEW_PASSWORD}
    statuses = call_concurrently(portal(api), "POST", "/portal/password-reset", body, 20)
    assert sorted(statuses) == [204] + [400] * 19
    assert activity_types(customer["customer_id"]).count("password_reset_completed") == 1


def test_concurrent_profile_change_is_retried(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    # Given another writer changes the profile between the read and the write (a login, a CSR update)
    customer, token = linked
    from csr.data import customers as customer_store

    original_load = customer_store.load
    calls = 0

    def load_then_race(tenant_id: str, customer_id: str) -> Any:
        nonlocal calls
        found = original_load(tenant_id, customer_id)
        calls += 1
        if calls == 1:
            table().update_item(
                Key={"pk": keys.customer_pk(tenant_id, customer_id), "sk": keys.PROFILE_SK},
                UpdateExpression="SET version = version + :one",
                ExpressionAttributeValues={":one": 1},
            )
        return found

    # When
    with mock.patch.object(customer_store, "load", load_then_race):
        status, _ = reset_password(api, token)
    # Then
    assert status == 204
    assert calls == 2
    assert activity_types(customer["customer_id"]).count("password_reset_completed") == 1


def test_notice_failure_does_not_undo_the_reset(api: Api, linked: tuple[dict[str, Any], str]) -> None:
    customer, token = linked
    with ses_fails():
        assert reset_password(api, token)[0] == 204
    assert log_in(api, customer["email"], NEW_PASSWORD) == 200
