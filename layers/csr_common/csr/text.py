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
    """What makes two group names the same: case, accents and surrounding or repeated spaces aside."""
    return " ".join(fold(name).split())
