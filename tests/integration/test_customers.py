"""The customers capability through its handler, inside moto: answers, items written, activity."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from csr import clock
from csr.data import keys
from tests.support.api import Api, new_customer_body
from tests.support.customers import create_customer
from tests.support.tables import activity_of, all_items, table

TENANT = "utility-a"


def test_create_customer_writes_profile_guards_account_and_activity(csr: Api) -> None:
    # When
    created = create_customer(csr)
    # Then
    assert created["portal"] == {
        "status": "enrolled",
        "enrolled": True,
        "last_access_at": None,
        "failed_login_count": 0,
        "lock_reason": None,
        "lock_note": None,
        "locked_at": None,
    }
    assert created["language"] == "en"
    assert created["accounts"][0]["account_number"] == "ACC-000001"
    assert created["recovery_code"] == {"active": False, "expires_at": None}
    pk = keys.customer_pk(TENANT, created["customer_id"])
    assert table().get_item(Key={"pk": pk, "sk": keys.PROFILE_SK})["Item"]["email"] == created["email"]
    for guard in (
        keys.email_guard_pk(TENANT, created["email"]),
        keys.person_guard_pk(TENANT, "P-00001"),
        keys.account_guard_pk(TENANT, "ACC-000001"),
    ):
        assert (
            table().get_item(Key={"pk": guard, "sk": keys.UNIQUE_SK})["Item"]["customer_id"] == created["customer_id"]
        )
    [entry] = activity_of(TENANT, created["customer_id"])
    assert entry["type"] == "customer_created"
    assert entry["actor"] == {"kind": "csr", "id": "csr-1", "name": "csr-1@staff.example.com"}
    assert created["email"] not in json.dumps(entry, default=str)


def test_get_returns_what_create_returned(csr: Api) -> None:
    created = create_customer(csr)
    status, got, headers = csr.call("GET", f"/customers/{created['customer_id']}")
    assert status == 200
    assert got == created
    assert headers["X-Request-Id"]


def test_not_enrolled_customer_is_unenrolled(csr: Api) -> None:
    created = create_customer(csr, enroll_in_portal=False)
    assert created["portal"]["status"] == "unenrolled"
    assert created["portal"]["enrolled"] is False


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"email": "HELENE.TREMBLAY1@example.org", "person_id": "P-9", "accounts": None}, "email_taken"),
        ({"email": "other@example.org", "person_id": "P-00001", "accounts": None}, "person_taken"),
        ({"email": "other@example.org", "person_id": "P-9"}, "account_taken"),
    ],
)
def test_uniqueness_conflicts_write_nothing(csr: Api, override: dict[str, Any], code: str) -> None:
    create_customer(csr)
    before = all_items()
    body = new_customer_body(1, **{k: v for k, v in override.items() if v is not None})
    if override.get("accounts", "keep") is None:
        body["accounts"][0]["account_number"] = "ACC-OTHER"
    status, error, _ = csr.call("POST", "/customers", body)
    assert status == 409
    assert error["error"]["code"] == code
    assert all_items() == before


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("first_name"), "first_name"),
        (lambda b: b.update(surprise=1), "surprise"),
        (lambda b: b.update(email="not-an-email"), "email"),
        (lambda b: b.update(email="jösé@example.org"), "email"),
        # a NUL makes another address that looks the same: two customers under one email
        (lambda b: b.update(email="helene.tremblay1@example.org\u0000"), "email"),
        (lambda b: b.update(email=".helene@example.org"), "email"),
        (lambda b: b.update(email="helene..tremblay@example.org"), "email"),
        (lambda b: b.update(email="helene@-example.org"), "email"),
        (lambda b: b.update(first_name="\u0000"), "first_name"),
        (lambda b: b.update(last_name="Trem\u001b[2Jblay"), "last_name"),
        (lambda b: b["accounts"][0].update(district="\u0000"), "accounts"),
        (lambda b: b.update(accounts=[]), "accounts"),
        (lambda b: b.update(enroll_in_portal="yes please"), "enroll_in_portal"),
        (lambda b: b.update(person_id="has space"), "person_id"),
        (lambda b: b.update(last_name="x" * 101), "last_name"),
    ],
)
def test_invalid_bodies_get_422_with_fields_and_write_nothing(
    csr: Api, mutate: Callable[[dict[str, Any]], object], field: str
) -> None:
    body = new_customer_body()
    mutate(body)
    status, error, _ = csr.call("POST", "/customers", body)
    assert status == 422
    assert error["error"]["code"] == "validation_error"
    assert any(f["field"].startswith(field) for f in error["error"]["details"]["fields"]), error
    assert all_items() == []


def test_malformed_json_is_400(csr: Api) -> None:
    status, error, _ = csr.call("POST", "/customers", raw_body='{"person_id": ')
    assert (status, error["error"]["code"]) == (400, "malformed_request")


def test_oversized_body_is_413(csr: Api) -> None:
    status, error, _ = csr.call("POST", "/customers", raw_body=json.dumps({"pad": "x" * 70_000}))
    assert (status, error["error"]["code"]) == (413, "payload_too_large")
    assert all_items() == []


@pytest.mark.parametrize("customer_id", ["cus_doesnotexist", "bad shape!", "x" * 65])
def test_unknown_or_malformed_id_is_404(csr: Api, customer_id: str) -> None:
    status, error, _ = csr.call("GET", f"/customers/{customer_id}")
    assert (status, error["error"]["code"]) == (404, "not_found")


def test_patch_changes_only_what_is_sent_and_records_it(csr: Api) -> None:
    created = create_customer(csr)
    cid = created["customer_id"]
    status, updated, _ = csr.call(
        "PATCH",
        f"/customers/{cid}",
        {"last_name": "Gagnon", "accounts": [{"account_number": "ACC-000001", "autopay": True}]},
    )
    assert status == 200, updated
    assert updated["last_name"] == "Gagnon"
    assert updated["first_name"] == "Hélène"
    assert updated["accounts"][0]["autopay"] is True
    assert updated["accounts"][0]["paperless"] is False
    assert [e["type"] for e in activity_of(TENANT, cid)] == ["customer_created", "profile_updated"]
    assert activity_of(TENANT, cid)[1]["details"]["fields"] == ["last_name", "accounts.ACC-000001"]
    assert csr.call("GET", f"/customers/{cid}")[1] == updated


def test_patch_with_email_is_login_id_immutable(csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    before = all_items()
    status, error, _ = csr.call("PATCH", f"/customers/{cid}", {"email": "new@example.org"})
    assert (status, error["error"]["code"]) == (422, "login_id_immutable")
    assert all_items() == before


def test_patch_unknown_account_is_404_and_null_name_is_422(csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    before = all_items()
    status, error, _ = csr.call("PATCH", f"/customers/{cid}", {"accounts": [{"account_number": "NOPE"}]})
    assert status == 404
    status, error, _ = csr.call("PATCH", f"/customers/{cid}", {"first_name": None})
    assert (status, error["error"]["code"]) == (422, "validation_error")
    assert all_items() == before


def test_patch_based_on_a_stale_read_fails_cleanly(csr: Api) -> None:
    from csr.data import customers
    from csr.data.dynamo import Transaction
    from csr.data.errors import ConditionFailed as ConcurrentChangeError

    cid = create_customer(csr)["customer_id"]
    stale = customers.load(TENANT, cid)
    assert stale is not None
    assert csr.call("PATCH", f"/customers/{cid}", {"first_name": "Zoë"})[0] == 200
    tx = Transaction()
    customers.add_customer_write(tx, TENANT, stale.customer, stale.customer.model_copy(update={"first_name": "Old"}))
    with pytest.raises(ConcurrentChangeError):
        tx.commit()
    assert csr.call("GET", f"/customers/{cid}")[1]["first_name"] == "Zoë"


def test_add_account_and_its_conflict(csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    create_customer(csr, 2)
    account = {
        "account_number": "ACC-NEW",
        "service_address": "1 Rue Sainte-Catherine",
        "billing_address": "PO Box 9",
        "district": "south",
        "paperless": True,
    }
    status, body, _ = csr.call("POST", f"/customers/{cid}/accounts", account)
    assert status == 201
    assert [a["account_number"] for a in body["accounts"]] == ["ACC-000001", "ACC-NEW"]
    assert activity_of(TENANT, cid)[-1]["type"] == "account_added"
    before = all_items()
    status, error, _ = csr.call("POST", f"/customers/{cid}/accounts", {**account, "account_number": "ACC-000002"})
    assert (status, error["error"]["code"]) == (409, "account_taken")
    assert all_items() == before


def feed(
    api: Api, payment_id: str, account: str, status: str, when: str, tenant: str = TENANT
) -> tuple[int, Any, dict[str, str]]:
    integration = api.machine("integration", tenant_id=tenant)
    return integration.call(
        "PUT",
        f"/integration/payments/{payment_id}",
        {
            "account_number": account,
            "amount": 120.5,
            "currency": "CAD",
            "status": status,
            "scheduled_for": when,
        },
    )


def test_payments_feed_and_list_soonest_first_with_filter(api: Api, csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    assert feed(api, "PAY-2", "ACC-000001", "pending", "2026-12-05")[0] == 200
    assert feed(api, "PAY-1", "ACC-000001", "scheduled", "2026-12-01")[0] == 200
    assert feed(api, "PAY-3", "ACC-000001", "completed", "2026-11-01")[0] == 200
    status, listed, _ = csr.call("GET", f"/customers/{cid}/payments")
    assert status == 200
    assert [p["payment_id"] for p in listed["items"]] == ["PAY-3", "PAY-1", "PAY-2"]
    assert listed["items"][0] == {
        "payment_id": "PAY-3",
        "account_number": "ACC-000001",
        "amount": 120.5,
        "currency": "CAD",
        "status": "completed",
        "scheduled_for": "2026-11-01",
    }
    status, listed, _ = csr.call("GET", f"/customers/{cid}/payments", query={"status": "scheduled,pending"})
    assert [p["payment_id"] for p in listed["items"]] == ["PAY-1", "PAY-2"]
    status, error, _ = csr.call("GET", f"/customers/{cid}/payments", query={"status": "bogus"})
    assert (status, error["error"]["code"]) == (422, "validation_error")


def test_payment_feed_refuses_unknown_account_and_other_tenant(api: Api, csr: Api) -> None:
    create_customer(csr)
    before = all_items()
    assert feed(api, "PAY-1", "ACC-NOPE", "pending", "2026-12-05")[0] == 404
    assert feed(api, "PAY-1", "ACC-000001", "pending", "2026-12-05", tenant="utility-b")[0] == 404
    assert all_items() == before


def test_impersonation_is_short_lived_hashed_and_audited(api: Api, csr: Api) -> None:
    cid = create_customer(csr)["customer_id"]
    status, session, _ = csr.call("POST", f"/customers/{cid}/impersonation")
    assert status == 201
    assert session["read_only"] is True
    token = session["session_token"]
    assert token in session["portal_url"]
    assert token not in json.dumps(all_items(), default=str)
    assert activity_of(TENANT, cid)[-1]["type"] == "impersonation_started"
    portal = api.machine("portal")
    status, checked, _ = portal.call("GET", f"/portal/impersonation/{token}")
    assert status == 200
    assert checked["customer_id"] == cid
    assert checked["csr"] == {"id": "csr-1", "email": "csr-1@staff.example.com"}
    assert api.machine("portal", tenant_id="utility-b").call("GET", f"/portal/impersonation/{token}")[0] == 404
    clock.advance(15 * 60 + 1)
    assert portal.call("GET", f"/portal/impersonation/{token}")[0] == 404


def test_impersonation_of_unenrolled_customer_is_409(csr: Api) -> None:
    cid = create_customer(csr, enroll_in_portal=False)["customer_id"]
    status, error, _ = csr.call("POST", f"/customers/{cid}/impersonation")
    assert (status, error["error"]["code"]) == (409, "not_enrolled")


def test_idempotency_key_replays_the_first_answer_once(csr: Api) -> None:
    headers = {"Idempotency-Key": "create-helene-1"}
    first = csr.call("POST", "/customers", new_customer_body(), headers=headers)
    again = csr.call("POST", "/customers", new_customer_body(), headers=headers)
    assert first[0] == again[0] == 201
    assert first[1] == again[1]
    profiles = [item for item in all_items() if item["sk"] == keys.PROFILE_SK]
    assert len(profiles) == 1
    status, error, _ = csr.call("POST", "/customers", new_customer_body(2), headers=headers)
    assert (status, error["error"]["code"]) == (422, "idempotency_key_reused")


def test_idempotency_keys_are_per_tenant(api: Api, csr: Api) -> None:
    headers = {"Idempotency-Key": "same-key"}
    first = csr.call("POST", "/customers", new_customer_body(), headers=headers)
    other = api.as_(groups=["csr"], tenant_id="utility-b").call(
        "POST", "/customers", new_customer_body(), headers=headers
    )
    assert other[0] == 201
    assert other[1]["customer_id"] != first[1]["customer_id"]
