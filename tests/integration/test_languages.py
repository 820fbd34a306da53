"""Accept-Language chooses the language of every error message and of the recovery-code instructions;
a customer's `language` chooses the language of every email to them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api, new_customer_body
from tests.support.credentials import NEW_PASSWORD, messages_to, reset_password, send_link, token_from
from tests.support.customers import create_customer

NO_CUSTOMER = {
    "en": "No customer with this id.",
    "fr": "Aucun client avec cet identifiant.",
    "es": "No hay ningún cliente con este identificador.",
}


def message_of(answer: Any) -> str:
    return str(answer["error"]["message"])


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        (None, "en"),
        ("fr", "fr"),
        ("es", "es"),
        ("fr-CA,fr;q=0.9", "fr"),
        ("ES-mx", "es"),
        ("de-DE, es;q=0.5, fr;q=0.8", "fr"),  # q-values, not order, decide
        ("fr;q=0.1, es;q=0.9", "es"),
        ("es;q=0.5, fr;q=0.5", "es"),  # a tie goes to the first
        ("fr;q=0, es;q=0.2", "es"),  # q=0 means "not French"
        ("de, it", "en"),  # nothing offered: English
        ("*", "en"),
        ("fr;q=banana, es", "es"),  # an unreadable q is ignored with its range
        ("", "en"),
    ],
)
def test_error_message_follows_accept_language(csr: Api, accept_language: str | None, language: str) -> None:
    headers = {"Accept-Language": accept_language} if accept_language is not None else None
    status, answer, _ = csr.call("GET", "/customers/cus_doesnotexist", headers=headers)
    assert status == 404
    assert answer["error"]["code"] == "not_found"
    assert message_of(answer) == NO_CUSTOMER[language]


def test_header_name_is_case_insensitive(csr: Api) -> None:
    _, answer, _ = csr.call("GET", "/customers/cus_doesnotexist", headers={"accept-language": "es"})
    assert message_of(answer) == NO_CUSTOMER["es"]


def test_errors_answered_before_routing_are_translated_too(api: Api) -> None:
    # No token: refused before any route runs.
    status, answer, _ = api.call("GET", "/customers/cus_x", headers={"Accept-Language": "fr"})
    assert status == 401
    assert message_of(answer) == "Un jeton d’accès valide est requis."  # noqa: RUF001
    status, answer, _ = api.machine("portal").call("GET", "/customers/cus_x", headers={"Accept-Language": "es"})
    assert (status, message_of(answer)) == (403, "Su rol no permite esta acción.")


def test_validation_error_and_conflict_messages_are_translated(csr: Api) -> None:
    status, answer, _ = csr.call("POST", "/customers", {"first_name": "x"}, headers={"Accept-Language": "es"})
    assert (status, message_of(answer)) == (422, "Faltan campos o no son válidos.")
    customer = create_customer(csr)
    status, answer, _ = csr.call(
        "POST", f"/customers/{customer['customer_id']}/unlock", headers={"Accept-Language": "fr-FR"}
    )
    assert (status, answer["error"]["code"]) == (409, "not_locked")
    assert message_of(answer) == "Le compte du portail n’est pas verrouillé."  # noqa: RUF001


@pytest.mark.parametrize(
    ("language", "too_long", "required", "unknown_status"),
    [
        ("en", "Must be at most 100 characters.", "Required.", "Unknown value(s): gone. Allowed: "),
        ("fr", "Doit compter au plus 100 caractères.", "Obligatoire.", "Valeur(s) inconnue(s) : gone. Permises : "),
        (
            "es",
            "Debe tener como máximo 100 caracteres.",
            "Obligatorio.",
            "Valor(es) desconocido(s): gone. Permitidos: ",
        ),
    ],
)
def test_field_messages_are_in_the_readers_language(
    csr: Api, language: str, too_long: str, required: str, unknown_status: str
) -> None:
    body = {key: value for key, value in new_customer_body(8).items() if key != "email"}
    status, answer, _ = csr.call(
        "POST", "/customers", {**body, "first_name": "x" * 101}, headers={"Accept-Language": language}
    )
    assert status == 422
    fields = {f["field"]: f["message"] for f in answer["error"]["details"]["fields"]}
    assert fields == {"first_name": too_long, "email": required}
    status, answer, _ = csr.call(
        "GET", "/customers", query={"q": "jean", "status": "gone"}, headers={"Accept-Language": language}
    )
    assert status == 422
    [field] = answer["error"]["details"]["fields"]
    assert field["field"] == "status"
    assert field["message"].startswith(unknown_status)
    assert "enrolled" in field["message"]
    status, answer, _ = csr.call(
        "GET", "/customers", query={"q": "jean", "status": " , "}, headers={"Accept-Language": language}
    )
    assert status == 422
    [field] = answer["error"]["details"]["fields"]
    assert "enrolled" in field["message"]
    assert "{" not in field["message"]


@pytest.mark.parametrize(
    ("language", "too_short"),
    [
        ("en", "Must have at least 2 characters."),
        ("fr", "Doit compter au moins 2 caractères."),
        ("es", "Debe tener al menos 2 caracteres."),
    ],
)
def test_a_too_short_field_says_its_minimum(csr: Api, language: str, too_short: str) -> None:
    status, answer, _ = csr.call("GET", "/customers", query={"q": "j"}, headers={"Accept-Language": language})
    assert status == 422
    assert answer["error"]["details"]["fields"] == [{"field": "q", "message": too_short}]


def test_message_placeholders_are_filled_in_every_language(csr: Api) -> None:
    customer = create_customer(csr)
    body = {"accounts": [{"account_number": "ACC-404", "nickname": "Chalet"}]}
    path = f"/customers/{customer['customer_id']}"
    for language, expected in (
        ("en", "No account ACC-404 on this customer."),
        ("fr", "Ce client n’a pas de compte ACC-404."),  # noqa: RUF001
        ("es", "Este cliente no tiene la cuenta ACC-404."),
    ):
        status, answer, _ = csr.call("PATCH", path, body, headers={"Accept-Language": language})
        assert (status, message_of(answer)) == (404, expected)


@pytest.mark.parametrize(
    ("language", "first_line"),
    [
        ("en", "Confirm the customer's identity before reading the code."),
        ("fr", "Confirmez l’identité du client avant de lire le code."),  # noqa: RUF001
        ("es", "Confirme la identidad del cliente antes de leer el código."),
    ],
)
def test_recovery_code_instructions_follow_accept_language(csr: Api, language: str, first_line: str) -> None:
    customer = create_customer(csr)
    path = f"/customers/{customer['customer_id']}/recovery-code"
    status, issued, _ = csr.call("POST", path, headers={"Accept-Language": f"{language};q=0.8, de"})
    assert status == 201
    assert issued["instructions"][0] == first_line
    assert len(issued["instructions"]) == 4
    _, state, _ = csr.call("GET", path, headers={"Accept-Language": language})
    assert state["instructions"] == issued["instructions"]


# --- the customer's language -------------------------------------------------------------------------


def test_language_is_set_on_create_changed_by_patch_and_read_by_get(csr: Api) -> None:
    customer = create_customer(csr, language="fr")
    assert customer["language"] == "fr"
    path = f"/customers/{customer['customer_id']}"
    status, patched, _ = csr.call("PATCH", path, {"language": "es"})
    assert (status, patched["language"]) == (200, "es")
    _, got, _ = csr.call("GET", path)
    assert got["language"] == "es"


@pytest.mark.parametrize("language", ["de", "FR", "", None, 1])
def test_an_unknown_language_is_422(csr: Api, language: object) -> None:
    status, answer, _ = csr.call("POST", "/customers", {**new_customer_body(9), "language": language})
    assert (status, answer["error"]["code"]) == (422, "validation_error")
    assert [f["field"] for f in answer["error"]["details"]["fields"]] == ["language"]


@pytest.mark.parametrize(
    ("language", "reset_subject", "changed_subject"),
    [
        ("en", "Reset your portal password", "Your portal password was changed"),
        ("fr", "Réinitialisez le mot de passe de votre portail", "Le mot de passe de votre portail a été changé"),
        ("es", "Restablezca la contraseña de su portal", "Se cambió la contraseña de su portal"),
    ],
)
def test_emails_are_written_in_the_customer_language(
    csr: Api, api: Api, language: str, reset_subject: str, changed_subject: str
) -> None:
    # Given a customer who writes in `language`, and a CSR whose browser asks for another
    customer = create_customer(csr, language=language)
    headers = {"Accept-Language": "de, en;q=0.1" if language != "en" else "fr"}
    # When the CSR sends a reset link and the customer uses it
    status, _ = send_link(csr, customer["customer_id"], headers)
    assert status == 202
    [link_email] = messages_to(customer["email"])
    assert reset_password(api, token_from(link_email), NEW_PASSWORD)[0] == 204
    # Then both emails are in the customer's language
    assert [m.subject for m in messages_to(customer["email"])] == [reset_subject, changed_subject]
