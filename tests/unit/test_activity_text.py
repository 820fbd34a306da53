"""The activity log's words: every type has a name and a summary, and an entry missing a detail (stored
before the detail existed) still reads as a plain sentence in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from csr.i18n import LANGUAGES, Language
from csr.i18n.activity import LABELS, SUMMARIES, summary, type_labels
from csr.models.activity import ActivityRecord, ActivityType, Actor


def record(kind: ActivityType, **details: object) -> ActivityRecord:
    return ActivityRecord(at="2026-11-22T14:03:00.123Z", type=kind, actor=Actor.system(), details=details)


def test_every_type_has_a_name_and_a_summary() -> None:
    assert set(LABELS) == set(ActivityType)
    assert set(SUMMARIES) == set(ActivityType)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(ActivityType))
def test_an_entry_without_details_reads_plainly(kind: ActivityType, language: Language) -> None:
    text = summary(record(kind), language)
    assert text
    assert "{" not in text


@pytest.mark.parametrize("language", ["fr", "es"])
def test_no_name_or_summary_stays_english(language: Language) -> None:
    english = {item.label for item in type_labels("en")}
    assert not english & {item.label for item in type_labels(language)}
    for kind in ActivityType:
        assert summary(record(kind), language) != summary(record(kind), "en")


@pytest.mark.parametrize(
    ("details", "en", "fr"),
    [
        ({"reason": "wrong_password", "failed_login_count": 1}, "(1 failed login in a row)", "(1 échec consécutif)"),
        ({"reason": "wrong_password", "failed_login_count": 0}, "(0 failed logins in a row)", "(0 échec consécutif)"),
        ({"reason": "wrong_password", "failed_login_count": 3}, "(3 failed logins in a row)", "(3 échecs consécutifs)"),
    ],
)
def test_counts_take_each_languages_plural(details: dict[str, object], en: str, fr: str) -> None:
    entry = record(ActivityType.LOGIN_FAILED, **details)
    assert summary(entry, "en").endswith(en)
    assert summary(entry, "fr").endswith(fr)


def test_an_unknown_lock_reason_reads_as_other() -> None:
    entry = record(ActivityType.ACCOUNT_LOCKED, reason="something new")
    assert summary(entry, "es") == "Acceso al portal bloqueado por un agente (otro motivo)"


CONSOLE = Path(__file__).resolve().parents[2] / "console"


def test_the_console_restates_no_activity_type() -> None:
    # The console names types from the activity route's `types` (this module's LABELS): no locale key of
    # its own, and no file of it lists them (a name or two may appear as an error code, never a list).
    names = {str(kind) for kind in ActivityType}
    for path in sorted(CONSOLE.rglob("*")):
        if path.suffix not in {".js", ".json", ".html"}:
            continue
        text = path.read_text()
        assert "activity.type." not in text, path
        named = {name for name in names if re.search(rf"\b{name}\b", text)}
        assert len(named) <= 2, f"{path.relative_to(CONSOLE)} restates activity types: {sorted(named)}"
