"""Text folding shared by the search index and its queries."""

from __future__ import annotations

import re
import unicodedata

# Anything but a letter or digit, of any script, separates words (`_` too: it is punctuation to a person).
_SEPARATORS = re.compile(r"[\W_]+")
# Letters that Unicode does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans(
    {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l"}
)


def fold(text: str) -> str:
    """Lower-case with accents removed: `Hélène` and `helene`, `Sœurs` and `soeurs` fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def words(text: str) -> set[str]:
    """The words of a field, split on spaces and punctuation."""
    return {word for word in _SEPARATORS.split(fold(text)) if word}


def mask_email(email: str) -> str:
    """`jean@example.com` -> `j***@example.com`: enough for a CSR to confirm, not enough to harvest."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def name_key(name: str) -> str:
    """What makes two group names the same (API.md): Unicode NFKC, case folding, and runs of white space
    (any kind: `Ending\u00a0soon`) collapsed to one space. Accents count: `Côté` and `Cote` differ."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


# The scripts a word may not mix: letters that look alike across them make names that read the same and
# compare different (`Acme` spelled with a Cyrillic A, U+0410).
_CONFUSABLE_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")


def hidden_characters(text: str) -> bool:
    """A control or invisible format character (Unicode Cc, Cf: zero-width space, soft hyphen, overrides)."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def _script(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    first = unicodedata.name(ch, "").split(" ", 1)[0]
    return first if first in _CONFUSABLE_SCRIPTS else None


def mixed_script_word(text: str) -> bool:
    """A word (letters and digits between separators) holding letters of two or more of Latin, Greek and
    Cyrillic."""
    return any(
        len({script for ch in word if (script := _script(ch))}) > 1
        for word in _SEPARATORS.split(unicodedata.normalize("NFKC", text))
    )
