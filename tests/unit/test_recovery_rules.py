"""The pure rules of account recovery: who may get a link or code, passwords, code format, emails."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csr.email import enrollment_email, password_changed_email, reset_link_email, written_moment
from csr.errors import ConflictError, ValidationFailedError
from csr.i18n import Language
from csr.models.customers import PortalStatus
from csr.rules.expiry import is_live
from csr.rules.password_policy import check_password_length, check_password_not_email
from csr.rules.recovery import (
    CODE_DIGITS,
    RECOVERY_INSTRUCTIONS,
    format_code,
    new_code_digits,
    normalize_code,
    recovery_instructions,
    require_issuable,
)


def test_enrolled_accounts_may_get_links_and_codes() -> None:
    require_issuable(PortalStatus.ENROLLED)


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (PortalStatus.UNENROLLED, "not_enrolled"),
        (PortalStatus.LOCKED, "account_locked"),
        (PortalStatus.PERMANENT_LOCK, "account_locked"),
        (PortalStatus.HIDDEN, "account_locked"),
    ],
)
def test_other_statuses_are_refused(status: PortalStatus, code: str) -> None:
    with pytest.raises(ConflictError) as refused:
        require_issuable(status)
    assert refused.value.code == code
    assert refused.value.status == 409


@pytest.mark.parametrize("length", [15, 16, 127, 128])
def test_password_lengths_accepted(length: int) -> None:
    check_password_length("p" * length)


@pytest.mark.parametrize("length", [0, 1, 14, 129, 1024])
def test_password_lengths_refused(length: int) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        check_password_length("p" * length)
    assert refused.value.code == "weak_password"
    assert refused.value.details["fields"][0]["field"] == "new_password"


def test_length_counts_characters_not_bytes() -> None:
    check_password_length("é" * 15)


@pytest.mark.parametrize(
    "password", ["jean.tremblay@example.org", "JEAN.Tremblay@Example.ORG", " jean.tremblay@example.org "]
)
def test_password_equal_to_the_email_is_refused(password: str) -> None:
    with pytest.raises(ValidationFailedError) as refused:
        check_password_not_email(password, "jean.tremblay@example.org")
    assert refused.value.code == "weak_password"


def test_password_containing_the_email_is_allowed() -> None:
    check_password_not_email("jean.tremblay@example.org!", "jean.tremblay@example.org")


def test_new_codes_are_ten_random_digits() -> None:
    codes = {new_code_digits() for _ in range(200)}
    assert all(len(code) == CODE_DIGITS and code.isdigit() for code in codes)
    assert len(codes) == 200
    # Every digit appears in every position over many codes (no fixed or biased position).
    for position in range(CODE_DIGITS):
        assert len({code[position] for code in codes}) == 10


def test_code_is_grouped_for_reading_aloud() -> None:
    assert format_code("4821093755") == "4821-0937-55"


@pytest.mark.parametrize(
    "typed",
    ["4821-0937-55", "4821 0937 55", " 4821093755 ", "48-21 09--37 55", "4821\t0937\t55", "4821\u20130937\u201455"],
)
def test_spaces_and_dashes_are_ignored(typed: str) -> None:
    assert normalize_code(typed) == "4821093755"


def test_other_characters_are_kept_so_they_do_not_match() -> None:
    assert normalize_code("4821.0937.55") == "4821.0937.55"


@given(st.text(alphabet="0123456789", min_size=CODE_DIGITS, max_size=CODE_DIGITS))
def test_reading_aloud_and_typing_back_round_trips(digits: str) -> None:
    assert normalize_code(format_code(digits)) == digits


def test_expiry_is_checked_against_the_moment() -> None:
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    item = {"expires_at": "2026-01-01T00:00:01.000Z"}
    assert is_live(item, moment)
    assert not is_live(item, moment + timedelta(seconds=1))
    assert not is_live(None, moment)


EXPIRES = datetime(2026, 1, 2, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "language", "written"),
    [
        ("UTC", "en", "January 2, 2026 at 00:00 (UTC)"),
        ("America/Vancouver", "fr", "1 janvier 2026 à 16 h 00 (PST)"),
        ("Europe/Madrid", "es", "2 de enero de 2026, a las 01:00 (CET)"),
    ],
)
def test_an_emails_moment_is_in_the_utilitys_zone_and_the_readers_words(
    zone: str, language: Language, written: str
) -> None:
    assert written_moment(EXPIRES, ZoneInfo(zone), language) == written


def test_reset_email_carries_the_link_in_both_bodies() -> None:
    link = "https://portal.example.com/reset-password?token=abc_DEF-123"
    content = reset_link_email(link, EXPIRES, ZoneInfo("America/Toronto"), "en")
    assert link in content.text
    assert f'href="{link}"' in content.html
    assert "expires on January 1, 2026 at 19:00 (EST)." in content.text


def test_reset_email_escapes_the_link_in_html() -> None:
    content = reset_link_email('https://portal.example.com/x?a=1&b="2"', EXPIRES, ZoneInfo("UTC"), "en")
    assert "&amp;b=&quot;2&quot;" in content.html


def test_password_changed_notice_says_what_to_do_if_unexpected() -> None:
    content = password_changed_email("en")
    assert content.subject == "Your portal password was changed"
    assert "customer service" in content.text
    assert "customer service" in content.html


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_instructions_are_sentences_that_hold_no_code(language: Language) -> None:
    # GET shows them too, so they must never embed a code.
    lines = recovery_instructions(language)
    assert len(lines) == len(RECOVERY_INSTRUCTIONS)
    assert all(line.endswith(".") for line in lines)
    assert not re.search(r"\d{4}-\d{4}-\d{2}", " ".join(lines))


def test_instructions_are_translated() -> None:
    assert recovery_instructions("en") == RECOVERY_INSTRUCTIONS
    assert recovery_instructions("fr")[0] == "Confirmez l’identité du client avant de lire le code."  # noqa: RUF001
    assert recovery_instructions("es")[0] == "Confirme la identidad del cliente antes de leer el código."


@pytest.mark.parametrize(
    ("language", "subject", "line"),
    [
        ("en", "Your customer portal account is ready", "expires on January 1, 2026 at 19:00 (EST)."),
        ("fr", "Votre compte du portail client est prêt", "expire le 1 janvier 2026 à 19 h 00 (EST)."),
        ("es", "Su cuenta del portal de clientes está lista", "caduca el 1 de enero de 2026, a las 19:00 (EST)."),
    ],
)
def test_enrollment_email_is_written_in_the_language_asked(language: Language, subject: str, line: str) -> None:
    link = "https://portal.example.com/reset-password?token=abc"
    content = enrollment_email(link, EXPIRES, ZoneInfo("America/Toronto"), language)
    assert content.subject == subject
    assert line in content.text
    assert link in content.text
    assert f'href="{link}"' in content.html
