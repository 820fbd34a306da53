"""The pure rules of client groups: confirmation words, name sameness, availability, assignability."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from csr import clock
from csr.models.groups import (
    Client,
    ConfirmationRequiredError,
    Employee,
    FeedRole,
    Relationship,
    RelationshipStatus,
    require_confirmation,
)
from csr.rules.groups import (
    MAX_LISTED_IDS,
    ClientsUnavailableError,
    Unavailable,
    assignable,
    refuse_clients,
    unavailable_clients,
    unavailable_reason,
)
from csr.text import hidden_characters, mixed_script_word, name_key

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def client(status: str = "active", ends_in: timedelta = timedelta(days=1), group_id: str | None = None) -> Client:
    return Client(
        client_id="K1",
        name="Acme",
        business_number="123",
        program_accounts=[],
        relationship=Relationship(status=RelationshipStatus(status), expires_at=clock.iso(NOW + ends_in)),
        group_id=group_id,
    )


@pytest.mark.parametrize("given", [None, "", "confirm", "CONFIRM ", "DELETE", 1, ["CONFIRM"]])
def test_anything_but_the_exact_word_is_refused(given: object) -> None:
    with pytest.raises(ConfirmationRequiredError) as refused:
        require_confirmation(given, "CONFIRM")
    assert (refused.value.status, refused.value.code) == (422, "confirmation_required")


def test_the_exact_word_passes() -> None:
    require_confirmation("DELETE", "DELETE")


@pytest.mark.parametrize(
    "other",
    [
        "ACME Imports",
        "acme imports",
        "Acme  Imports",
        " acme imports ",
        "Acme\u00a0Imports",
        "\uff21\uff43\uff4d\uff45 Imports",
    ],
)
def test_names_differing_in_case_width_or_white_space_are_the_same(other: str) -> None:
    assert name_key(other) == name_key("Acme Imports")


@pytest.mark.parametrize("other", ["Acme Exports", "Acmé Imports", "AcmeImports"])
def test_different_names_differ(other: str) -> None:
    assert name_key(other) != name_key("Acme Imports")


def test_case_folding_is_unicode_case_folding() -> None:
    assert name_key("STRASSE") == name_key("straße")


@pytest.mark.parametrize("hidden", ["\u200b", "\u00ad", "\u202e", "\u2066", "\ufeff", "\x00", "\x7f", "\x85"])
def test_control_and_format_characters_are_hidden(hidden: str) -> None:
    assert hidden_characters(f"Ac{hidden}me")


@pytest.mark.parametrize(
    ("name", "mixed"),
    [
        ("Acme", False),
        ("\u0410cme", True),  # a Cyrillic A
        ("Acme \u041c\u043e\u0441\u043a\u0432\u0430", False),  # each word of one script
        ("\u03b1\u03b2c", True),  # Greek and Latin
        ("Côté 42", False),
        ("東京 Acme", False),
    ],
)
def test_a_word_mixing_latin_greek_and_cyrillic_is_found(name: str, mixed: bool) -> None:
    assert mixed_script_word(name) is mixed


@pytest.mark.parametrize(
    ("candidate", "available"),
    [
        (client(), True),
        (client(group_id="grp_this"), True),
        (client(group_id="grp_other"), False),
        (client(status="pending"), False),
        (client(status="expired", ends_in=timedelta(days=30)), False),
        (client(ends_in=timedelta(0)), False),
        (client(ends_in=-timedelta(seconds=1)), False),
        (None, False),
    ],
)
def test_availability(candidate: Client | None, available: bool) -> None:
    assert (unavailable_reason(candidate, "grp_this", NOW) is None) is available


def test_for_a_new_group_any_group_makes_a_client_unavailable() -> None:
    assert unavailable_reason(client(group_id="grp_this"), None, NOW) is Unavailable.IN_GROUP


def test_unavailable_clients_keep_request_order_without_repeats_with_their_reasons() -> None:
    found = {"K1": client(), "K2": client(status="pending"), "K4": client(group_id="grp_other")}
    assert unavailable_clients(["K3", "K1", "K2", "K3", "K4"], found, None, NOW) == {
        "K3": Unavailable.UNKNOWN,
        "K2": Unavailable.NO_ACTIVE_RELATIONSHIP,
        "K4": Unavailable.IN_GROUP,
    }


def test_a_refusal_lists_at_most_100_clients_with_reasons_and_counts_all() -> None:
    with pytest.raises(ClientsUnavailableError) as refused:
        refuse_clients({f"K{n}": Unavailable.UNKNOWN for n in range(150)})
    details = refused.value.details
    assert len(details["client_ids"]) == MAX_LISTED_IDS
    assert details["clients"][0] == {"client_id": "K0", "reason": "unknown"}
    assert [row["client_id"] for row in details["clients"]] == details["client_ids"]
    assert details["count"] == 150
    refuse_clients({})


@pytest.mark.parametrize(("role", "ok"), [(role, role is not FeedRole.BUSINESS_ACCOUNT_MANAGER) for role in FeedRole])
def test_business_account_managers_are_never_assigned(role: FeedRole, ok: bool) -> None:
    assert assignable(Employee(employee_id="E1", name="E", email="e@x.example.com", role=role)) is ok
    assert assignable(None) is False
