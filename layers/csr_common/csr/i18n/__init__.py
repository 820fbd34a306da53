"""Texts a person reads, in English, French or Spanish.

The English text is the message id; the French and Spanish texts live in gettext catalogs beside this
module (`locale/<language>/LC_MESSAGES/messages.po`, compiled to `.mo` by `make catalogs` and shipped in
the layer). `python -m infra.catalogs` collects every message id (error messages, refusals, instructions,
emails) and a test checks that each has a translation in every language. A message that counts
something is a `Plural` (`NP_`): its singular and plural ids and the value that chooses between them, so
that each language applies its own plural rule (French counts 0 and 1 as singular, Spanish only 1).
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

Language = Literal["en", "fr", "es"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "en"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark for translation, translate later"
    """Mark `message` as a message id; it is translated where the reader's language is known."""
    return message


class Plural(NamedTuple):
    """A message with a singular and a plural form, chosen by the whole number in `values[count]`."""

    singular: str
    plural: str
    number: str


def NP_(singular: str, plural: str, count: str) -> Plural:  # noqa: N802 - gettext's ngettext, marked
    """Mark a message whose form follows the number `{count}` of its values."""
    return Plural(singular, plural, count)


Message = str | Plural


@lru_cache(maxsize=len(LANGUAGES))
def _catalog(language: Language) -> gettext.NullTranslations:
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language])


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def translate(message: Message, language: Language, values: Mapping[str, Any] | None = None) -> str:
    """`message` in `language`, its `{name}` placeholders filled from `values` (a missing one stays as is)."""
    if isinstance(message, Plural):
        text = _catalog(language).ngettext(message.singular, message.plural, _count(values, message.number))
    else:
        text = _catalog(language).gettext(message)
    return text.format_map(_Keep(values)) if values and "{" in text else text


def _count(values: Mapping[str, Any] | None, name: str) -> int:
    """The number that chooses a plural form (a count given as text, as pydantic's contexts give it)."""
    try:
        return int((values or {}).get(name, 0))
    except (TypeError, ValueError):
        return 0


def negotiate(accept_language: str | None) -> Language:
    """The language an `Accept-Language` header asks for (RFC 9110 12.5.4): ranges by descending q (the
    header's order breaks ties), a range matching by its primary subtag (`fr-CA` is French), `q=0` meaning
    "not this one", `*` any language; English when nothing offered matches."""
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "")[:1000].split(",")):
        tag, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and 0 < quality <= 1:
            ranked.append((-quality, position, tag.lower()))
    for _quality, _position, tag in sorted(ranked):
        primary = tag.split("-")[0]
        if primary == "*":
            return DEFAULT_LANGUAGE
        for language in LANGUAGES:
            if primary == language:
                return language
    return DEFAULT_LANGUAGE


def request_language(event: Mapping[str, Any]) -> Language:
    """The language of an API Gateway proxy event's `Accept-Language` header (any case)."""
    headers = event.get("headers") or {}
    value = next((v for k, v in headers.items() if str(k).lower() == "accept-language"), None)
    return negotiate(str(value) if value is not None else None)
