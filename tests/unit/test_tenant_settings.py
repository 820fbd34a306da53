"""Tenant settings come from configuration (DEFAULT_TIME_ZONE, TENANT_SETTINGS), checked at cold start."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from csr.settings import SettingsError, get_settings
from csr.tenants import tenant_settings

BASE = {
    "TABLE_NAME": "t",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "EMAIL_SENDER": "no-reply@example.com",
    "SECRET_KEY_PARAMETER": "/k",
}


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for name, value in BASE.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TENANT_SETTINGS", raising=False)
    monkeypatch.delenv("DEFAULT_TIME_ZONE", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_a_tenant_without_settings_has_the_default_zone_and_no_link(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DEFAULT_TIME_ZONE", "America/Toronto")
    settings = tenant_settings("utility-z")
    assert str(settings.time_zone) == "America/Toronto"
    assert settings.payment_admin_link("A-1") is None


def test_a_tenants_own_settings_win(environment: pytest.MonkeyPatch) -> None:
    environment.setenv("DEFAULT_TIME_ZONE", "America/Toronto")
    own = {"time_zone": "America/Vancouver", "payment_admin_url": "https://pay.example.com/a/{account_number}/view"}
    environment.setenv("TENANT_SETTINGS", json.dumps({"utility-a": own}))
    settings = tenant_settings("utility-a")
    assert str(settings.time_zone) == "America/Vancouver"
    # The account number is a path segment: anything but its own characters is escaped.
    assert settings.payment_admin_link("A 1/2") == "https://pay.example.com/a/A%201%2F2/view"
    assert tenant_settings("utility-b").payment_admin_link("A-1") is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEFAULT_TIME_ZONE", "Mars/Olympus"),
        ("TENANT_SETTINGS", '{"utility-a": {"time_zone": "EST5EDT-nope"}}'),
        ("TENANT_SETTINGS", '{"utility-a": {"payment_admin_url": "https://pay.example.com/no-placeholder"}}'),
        ("TENANT_SETTINGS", '{"utility-a": {"payment_admin_url": "javascript:alert(1)//{account_number}"}}'),
        ("TENANT_SETTINGS", "not json"),
        ("TENANT_SETTINGS", '{"utility-a": {"colour": "red"}}'),
    ],
)
def test_a_bad_setting_stops_the_cold_start_naming_it(environment: pytest.MonkeyPatch, name: str, value: str) -> None:
    environment.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        get_settings()
