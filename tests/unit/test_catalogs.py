"""The message catalogs: every message id of the code has a French and a Spanish translation with the
same placeholders, and the compiled .mo files the layer ships say what the .po files say."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from pathlib import Path

import pytest

from csr.i18n import LOCALE_DIR, negotiate, translate
from infra.catalogs import message_ids, po_path, read_catalog

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = ["fr", "es"]
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


@pytest.fixture(scope="module")
def ids() -> set[str]:
    return message_ids()


def test_the_code_has_messages_to_translate(ids: set[str]) -> None:
    # The collector sees class messages, call-site messages, refusals and marked texts.
    assert {
        "Not found.",
        "No account {account_number} on this customer.",
        "This customer already has a portal account.",
        "Reset your portal password",
        "Confirm the customer's identity before reading the code.",
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
def test_every_message_has_a_translation_with_the_same_placeholders(ids: set[str], language: str) -> None:
    catalog = read_catalog(language)
    translated = {
        message.id: message.string
        for message in catalog
        if message.id and message.string and isinstance(message.string, str)
    }
    missing = sorted(ids - set(translated))
    assert not missing, f"run `make catalogs` and translate these in {po_path(language)}: {missing}"
    for message_id in ids:
        assert sorted(PLACEHOLDER.findall(translated[message_id])) == sorted(PLACEHOLDER.findall(message_id))
        assert translated[message_id] != message_id


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalog_matches_its_po(language: str) -> None:
    with po_path(language).with_suffix(".mo").open("rb") as file:
        compiled = gettext.GNUTranslations(file)
    for message in read_catalog(language):
        if message.id:
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
