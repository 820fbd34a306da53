"""Settings fail fast: a variable the deployment must set stops the cold start, naming it."""

from __future__ import annotations

import pytest

from csr.settings import SettingsError, get_settings

REQUIRED = {
    "TABLE_NAME": "DataTable",
    "PORTAL_BASE_URL": "https://portal.example.org",
    "EMAIL_SENDER": "no-reply@example.org",
    "SECRET_KEY_PARAMETER": "/csr/key",
}


@pytest.fixture(autouse=True)
def _fresh_settings() -> object:
    get_settings.cache_clear()
    yield None
    get_settings.cache_clear()


def test_all_required_variables_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    settings = get_settings()
    assert settings.portal_base_url == "https://portal.example.org"
    assert settings.email_sender == "no-reply@example.org"


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_a_missing_variable_is_named(monkeypatch: pytest.MonkeyPatch, missing: str) -> None:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv(missing)
    with pytest.raises(SettingsError, match=missing):
        get_settings()
