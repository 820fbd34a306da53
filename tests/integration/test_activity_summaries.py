"""The activity log speaks the reader's language: `summary` is composed when read from the entry's type
and machine details (nothing stored in one language), and the route names every type for the filter.
Lock, deactivate and hide log each live reset link and recovery code they void, in the same change."""

from __future__ import annotations

from typing import Any

import pytest

from csr import clock
from csr.models.activity import ActivityType
from tests.support.api import Api
from tests.support.customers import TENANT, activity, create_customer, set_password
from tests.support.tables import activity_of, table

WRONG = "not the password at all"


def served(csr: Api, customer_id: str, language: str, **query: str) -> dict[str, Any]:
    status, page, _ = csr.call(
        "GET", f"/customers/{customer_id}/activity", query=query, headers={"Accept-Language": language}
    )
    assert status == 200, page
    return dict(page)


def summaries(csr: Api, customer_id: str, language: str) -> list[str]:
    return [item["summary"] for item in served(csr, customer_id, language)["items"]]


def lock(csr: Api, customer_id: str, note: str | None = "Demande par téléphone") -> None:
    body = {"reason": "opt_out"} | ({"note": note} if note else {})
    status, answer, _ = csr.call("POST", f"/customers/{customer_id}/lock", body)
    assert status == 200, answer


@pytest.mark.parametrize(
    ("language", "locked", "unlocked"),
    [
        (
            "en",
            "Portal access locked by a CSR (the customer opted out). Note: Demande par téléphone",
            "Portal access unlocked",
        ),
        (
            "fr",
            "Accès au portail verrouillé par un agent (à la demande du client). Note : Demande par téléphone",
            "Accès au portail déverrouillé",
        ),
        (
            "es",
            "Acceso al portal bloqueado por un agente (a petición del cliente). Nota: Demande par téléphone",
            "Acceso al portal desbloqueado",
        ),
    ],
)
def test_summaries_are_in_the_readers_language_and_keep_the_lock_note(
    csr: Api, language: str, locked: str, unlocked: str
) -> None:
    customer_id = create_customer(csr, 1)["customer_id"]
    lock(csr, customer_id)
    assert csr.call("POST", f"/customers/{customer_id}/unlock")[0] == 200
    # The note is cleared from the account by the unlock, and stays in the lock's entry.
    assert summaries(csr, customer_id, language)[:2] == [unlocked, locked]


def test_the_stored_entry_holds_machine_values_only(csr: Api) -> None:
    customer_id = create_customer(csr, 1)["customer_id"]
    lock(csr, customer_id)
    stored = activity_of(TENANT, customer_id)
    assert stored
    assert all("summary" not in item for item in stored)
    assert stored[-1]["details"] == {
        "reason": "opt_out",
        "note": "Demande par téléphone",
    }


def test_an_entry_stored_with_an_english_summary_reads_in_the_readers_language(csr: Api) -> None:
    # Given an entry written before summaries were composed when read (its sentence stored in English)
    customer_id = create_customer(csr, 1)["customer_id"]
    item = activity_of(TENANT, customer_id)[0]
    table().put_item(Item={**item, "summary": "Customer added"})
    # Then the stored sentence is ignored
    assert summaries(csr, customer_id, "es") == ["Cliente añadido"]


@pytest.mark.parametrize(
    ("language", "failed", "locked_after"),
    [
        (
            "fr",
            "Échec de connexion au portail : mauvais mot de passe (10 échecs consécutifs)",
            "Accès au portail verrouillé après 10 échecs de connexion",
        ),
        (
            "es",
            "Inicio de sesión fallido: contraseña incorrecta (10 fallos seguidos)",
            "Acceso al portal bloqueado tras 10 inicios de sesión fallidos",
        ),
    ],
)
def test_the_failed_login_lockout_reads_with_its_count(
    api: Api, csr: Api, language: str, failed: str, locked_after: str
) -> None:
    customer = create_customer(csr, 1)
    set_password(customer["customer_id"], "the right password, long enough")
    portal = api.machine("portal")
    for _ in range(10):
        portal.call("POST", "/portal/login", {"email": customer["email"], "password": WRONG})
    page = served(csr, customer["customer_id"], language, types="login_failed,account_locked")
    first_failure = page["items"][-1]["summary"]
    assert [item["summary"] for item in page["items"][:2]] == [locked_after, failed]
    assert first_failure.endswith("(1 échec consécutif)" if language == "fr" else "(1 fallo seguido)")
    assert page["items"][0]["actor"]["kind"] == "system"


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_route_names_every_type_in_the_readers_language(csr: Api, language: str) -> None:
    customer_id = create_customer(csr, 1)["customer_id"]
    types = served(csr, customer_id, language)["types"]
    assert [item["type"] for item in types] == [str(kind) for kind in ActivityType]
    labels = {item["type"]: item["label"] for item in types}
    expected = {"en": "Permanent lock", "fr": "Verrouillage permanent", "es": "Bloqueo permanente"}[language]
    assert labels["account_deactivated"] == expected
    assert len(set(labels.values())) == len(labels)


# --- what a status change voids ------------------------------------------------------------------------


def with_link_and_code(csr: Api) -> str:
    customer_id = str(create_customer(csr, 1)["customer_id"])
    assert csr.call("POST", f"/customers/{customer_id}/password-reset-link")[0] == 202
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    return customer_id


@pytest.mark.parametrize(
    ("route", "body", "cause", "groups"),
    [
        ("lock", {"reason": "compromised"}, "account_locked", ["csr"]),
        ("deactivate", {"acknowledge_pending_payments": False}, "account_deactivated", ["csr"]),
        ("hide", {}, "account_hidden", ["csr", "csr_supervisor"]),
    ],
)
def test_a_status_change_logs_each_credential_it_voids_in_the_same_change(
    csr: Api, route: str, body: dict[str, Any], cause: str, groups: list[str]
) -> None:
    customer_id = with_link_and_code(csr)
    status, answer, _ = csr.as_(groups=groups).call("POST", f"/customers/{customer_id}/{route}", body)
    assert status == 200, answer
    entries = activity(customer_id)
    own = next(item for item in entries if item["type"] == cause)
    voided = [item for item in entries if item["details"].get("voided_by") == cause]
    assert sorted(item["type"] for item in voided) == ["password_reset_link_revoked", "recovery_code_revoked"]
    # Written with the change itself: one moment, one transaction (sort keys in the change's order)
    assert {item["at"] for item in voided} == {own["at"]}
    assert all(item["actor"] == own["actor"] for item in voided)
    # And the credentials are gone: the code's status says so
    assert csr.call("GET", f"/customers/{customer_id}/recovery-code")[1]["active"] is False


@pytest.mark.parametrize(
    ("language", "link", "code"),
    [
        ("en", "Reset link voided by the lock", "Recovery code voided by the lock"),
        (
            "fr",
            "Lien de réinitialisation annulé par le verrouillage",
            "Code de récupération annulé par le verrouillage",
        ),
        ("es", "Enlace de restablecimiento anulado por el bloqueo", "Código de recuperación anulado por el bloqueo"),
    ],
)
def test_the_voiding_reads_in_the_readers_language(csr: Api, language: str, link: str, code: str) -> None:
    customer_id = with_link_and_code(csr)
    lock(csr, customer_id, note=None)
    page = served(csr, customer_id, language, types="password_reset_link_revoked,recovery_code_revoked")
    assert sorted(item["summary"] for item in page["items"]) == sorted([link, code])


def test_nothing_is_logged_as_voided_when_nothing_was_live(csr: Api) -> None:
    customer_id = create_customer(csr, 1)["customer_id"]
    lock(csr, customer_id)
    types = [item["type"] for item in activity(customer_id)]
    assert "password_reset_link_revoked" not in types
    assert "recovery_code_revoked" not in types


def test_an_expired_code_is_not_logged_as_voided(csr: Api) -> None:
    customer_id = create_customer(csr, 1)["customer_id"]
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    clock.advance(25 * 3600)
    lock(csr, customer_id)
    assert "recovery_code_revoked" not in [item["type"] for item in activity(customer_id)]


def test_the_failed_login_lockout_logs_what_it_voids(api: Api, csr: Api) -> None:
    customer = create_customer(csr, 1)
    customer_id = customer["customer_id"]
    set_password(customer_id, "the right password, long enough")
    assert csr.call("POST", f"/customers/{customer_id}/recovery-code")[0] == 201
    portal = api.machine("portal")
    for _ in range(10):
        portal.call("POST", "/portal/login", {"email": customer["email"], "password": WRONG})
    voided = [item for item in activity(customer_id) if item["type"] == "recovery_code_revoked"]
    assert [(item["actor"]["kind"], item["details"]["voided_by"]) for item in voided] == [("system", "account_locked")]
