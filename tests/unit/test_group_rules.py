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
    assignable,
    available_for,
    refuse_clients,
    unavailable_clients,
)
from csr.text import name_key

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


@pytest.mark.parametrize("other", ["ACME Imports", "acme imports", "Acmé  Imports", " acme imports "])
def test_names_differing_in_case_accents_or_spaces_are_the_same(other: str) -> None:
    assert name_key(other) == name_key("Acme Imports")


def test_different_names_differ() -> None:
    assert name_key("Acme Imports") != name_key("Acme Exports")


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
    assert available_for(candidate, "grp_this", NOW) is available


def test_for_a_new_group_any_group_makes_a_client_unavailable() -> None:
    assert available_for(client(group_id="grp_this"), None, NOW) is False


def test_unavailable_clients_keep_request_order_without_repeats() -> None:
    found = {"K1": client(), "K2": client(status="pending")}
    assert unavailable_clients(["K3", "K1", "K2", "K3"], found, None, NOW) == ["K3", "K2"]


def test_a_refusal_lists_at_most_100_ids_and_counts_all() -> None:
    with pytest.raises(ClientsUnavailableError) as refused:
        refuse_clients([f"K{n}" for n in range(150)])
    assert len(refused.value.details["client_ids"]) == MAX_LISTED_IDS
    assert refused.value.details["count"] == 150
    refuse_clients([])


@pytest.mark.parametrize(("role", "ok"), [(role, role is not FeedRole.BUSINESS_ACCOUNT_MANAGER) for role in FeedRole])
def test_business_account_managers_are_never_assigned(role: FeedRole, ok: bool) -> None:
    assert assignable(Employee(employee_id="E1", name="E", email="e@x.example.com", role=role)) is ok
    assert assignable(None) is False
