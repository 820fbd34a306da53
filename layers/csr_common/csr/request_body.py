"""The request body as a handler may read it: UTF-8 text, at most 64 KiB, nested at most 32 levels deep,
no number of more than 30 digits (API.md, Conventions).

Checked on the raw text before anything parses it: `json.loads` recurses (about 1,000 levels crash it,
and any recursive walk of the value fails sooner) and refuses integers of more than 4,300 digits. The scan
here is a few linear regular-expression passes, with no recursion and no parsing.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Any

from csr.errors import MalformedRequestError, PayloadTooLargeError
from csr.i18n import NP_

MAX_BODY_BYTES = 64 * 1024
MAX_DEPTH = 32
MAX_DIGITS = 30

# A JSON string (an unterminated one runs to the end), whose brackets and digits are text, not structure.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
# What can make up one number outside strings (keywords' `e`s hold no digit).
_NUMBER = re.compile(r"[0-9.eE+-]+")


def body_bytes(event: Mapping[str, Any]) -> bytes:
    """The body's bytes: API Gateway hands a binary body base64-encoded, any other as text."""
    raw = event.get("body") or ""
    try:
        return base64.b64decode(raw, validate=True) if event.get("isBase64Encoded") else raw.encode()
    except ValueError as exc:  # bad base64, or text with a lone surrogate (never UTF-8)
        raise MalformedRequestError("The request body is not valid UTF-8.") from exc


def checked_text(event: Mapping[str, Any]) -> str:
    """The body as text, once it is known to be safe to parse; 413 or 400 `malformed_request` otherwise."""
    return safe_text(body_bytes(event))


def safe_text(data: bytes) -> str:
    """A body's bytes as text, once it is known to be safe to parse; 413 or 400 `malformed_request` otherwise."""
    if len(data) > MAX_BODY_BYTES:
        raise PayloadTooLargeError()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedRequestError("The request body is not valid UTF-8.") from exc
    refuse_hostile_json(text)
    return text


def refuse_hostile_json(text: str) -> None:
    """400 for JSON text nested deeper than MAX_DEPTH or holding a number of more than MAX_DIGITS digits;
    anything else (valid or not) is left to the parser."""
    structure = _STRING.sub('""', text)
    depth = 0
    for bracket in _BRACKET.finditer(structure):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise MalformedRequestError(
                    NP_(
                        "The request body nests deeper than {levels} level.",
                        "The request body nests deeper than {levels} levels.",
                        "levels",
                    ),
                    levels=MAX_DEPTH,
                )
        else:
            depth = max(depth - 1, 0)
    for number in _NUMBER.finditer(structure):
        if sum(char.isdigit() for char in number.group()) > MAX_DIGITS:
            raise MalformedRequestError(
                NP_(
                    "The request body holds a number of more than {digits} digit.",
                    "The request body holds a number of more than {digits} digits.",
                    "digits",
                ),
                digits=MAX_DIGITS,
            )
