"""The message catalogs: every message id of the code has a French and a Spanish translation with the
same placeholders, and the compiled .mo files the layer ships say what the .po files say."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csr.i18n import LOCALE_DIR, Language, negotiate, translate
from csr.models.common import FIELD_MESSAGES
from infra.catalogs import MessageId, message_ids, po_path, read_catalog

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ["fr", "es"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.fixture(scope="module")
def ids() -> set[MessageId]:
    return message_ids()


def test_the_code_has_messages_to_translate(ids: set[MessageId]) -> None:
    # The collector sees class messages, call-site messages, refusals and marked texts.
    assert {
        "Not found.",
        "No account {account_number} on this customer.",
        "This customer already has a portal account.",
        "Reset your portal password",
        "Confirm the customer's identity before reading the code.",
        ("Must hold at least {min_length} item.", "Must hold at least {min_length} items."),
    } <= ids


def test_collecting_the_messages_leaves_the_garbage_collector_on() -> None:
    # Collecting imports every module of the package, but not the one that turns collection off for a handler
    paths = [str(ROOT), str(ROOT / "layers" / "csr_common")]
    probe = (
        f"import gc, sys; sys.path[:0] = {paths!r}; "
        "from infra.catalogs import message_ids; message_ids(); print(gc.isenabled())"
    )
    result = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "True"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_translation_with_the_same_placeholders(ids: set[MessageId], language: str) -> None:
    catalog = read_catalog(language)
    translated = {
        (tuple(message.id) if isinstance(message.id, tuple | list) else message.id): message.string
        for message in catalog
        if message.id and message.string
    }
    missing = sorted(str(message_id) for message_id in ids - set(translated))
    assert not missing, f"run `make catalogs` and translate these in {po_path(language)}: {missing}"
    for message_id in ids:
        english = message_id if isinstance(message_id, tuple) else (message_id,)
        forms = translated[message_id]
        forms = (forms,) if isinstance(forms, str) else tuple(forms)
        assert all(forms)
        assert forms != english
        for form in forms:
            # Every form names the placeholders of the English plural (a singular may spell out its one).
            assert set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(english[-1]))
            assert sorted(PLACEHOLDER.findall(forms[-1])) == sorted(PLACEHOLDER.findall(english[-1]))


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("en", "Must hold at least 1 item.", "Must hold at least 2 items."),
        ("fr", "Doit contenir au moins 1 élément.", "Doit contenir au moins 2 éléments."),
        ("es", "Debe contener al menos 1 elemento.", "Debe contener al menos 2 elementos."),
    ],
)
def test_a_count_takes_the_languages_plural_form(language: Language, one: str, two: str) -> None:
    message = FIELD_MESSAGES["too_short"]
    assert translate(message, language, {"min_length": "1"}) == one
    assert translate(message, language, {"min_length": 2}) == two


def test_french_counts_zero_as_singular() -> None:
    message = FIELD_MESSAGES["too_short"]
    assert translate(message, "fr", {"min_length": 0}) == "Doit contenir au moins 0 élément."
    assert translate(message, "es", {"min_length": 0}) == "Debe contener al menos 0 elementos."


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_po(language: str) -> None:
    with po_path(language).with_suffix(".mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in read_catalog(language):
        if isinstance(message.id, tuple | list):
            forms = [compiled.ngettext(message.id[0], message.id[1], n) for n in (1, 2)]
            assert forms == list(message.string or ()), "run `make catalogs` and commit the .mo"
        elif message.id:
            assert compiled.gettext(str(message.id)) == message.string, "run `make catalogs` and commit the .mo"


def test_catalogs_live_in_the_shared_package() -> None:
    assert LOCALE_DIR.parent.name == "i18n"
    assert {path.parent.parent.name for path in LOCALE_DIR.rglob("messages.mo")} == set(TRANSLATED)


def test_an_unknown_text_stays_english() -> None:
    assert translate("Not a message id.", "fr") == "Not a message id."


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-CA,fr;q=0.9", "fr"),
        ("en-US,en;q=0.9,fr;q=0.8", "en"),
        ("de;q=1, es;q=0.001", "es"),
        ("es;q=1.5, fr", "fr"),  # q above 1 is not a valid weight
        (" fr ; Q=0.7 , es ; q=0.6 ", "fr"),
        (",,;", "en"),
        ("x" * 5000, "en"),
        (None, "en"),
    ],
)
def test_negotiate(header: str | None, language: str) -> None:
    assert negotiate(header) == language
