"""The raw-body guard: what it refuses and what it leaves to the parser."""

from __future__ import annotations

import base64
import sys

import pytest

from csr.errors import MalformedRequestError, PayloadTooLargeError
from csr.request_body import MAX_BODY_BYTES, checked_text


def event(body: str | None, *, base64_encoded: bool = False) -> dict[str, object]:
    return {"body": body, "isBase64Encoded": base64_encoded}


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "[" * 32 + "]" * 32,
        '{"a": ' * 32 + "1" + "}" * 32,
        "1" * 30,
        "-0.12345678901234567890123456789",  # 30 digits in one number
        '"' + "[" * 100 + "9" * 100 + '"',  # structure and digits inside a string are text
        '"\\"' + "[" * 40 + '"',  # an escaped quote does not end the string
        "]]]]" + "[" * 32,  # closing brackets never make the depth negative
        "[1e5, true, false, null]",
        "{not json at all",  # left to the parser, which answers 400 itself
    ],
)
def test_accepted_as_is(body: str | None) -> None:
    assert checked_text(event(body)) == (body or "")


@pytest.mark.parametrize(
    "body",
    [
        "[" * 33,  # unbalanced still counts
        '{"a": ' * 33 + "1" + "}" * 33,
        "[" * 20_000 + "]" * 20_000,
        "1" * 31,
        "1.234567890123456789012345678901",
        "1e" + "9" * 30,
        '["x", ' + "7" * 4301 + "]",
        "\ud800",  # text with a lone surrogate is not UTF-8
    ],
)
def test_refused_as_malformed(body: str) -> None:
    with pytest.raises(MalformedRequestError):
        checked_text(event(body))


def test_an_unterminated_string_hides_what_follows() -> None:
    assert checked_text(event('"' + "[" * 40)) == '"' + "[" * 40


def test_base64_bodies_are_decoded_and_held_to_utf8() -> None:
    good = base64.b64encode('{"n": "Zoë"}'.encode()).decode()
    assert checked_text(event(good, base64_encoded=True)) == '{"n": "Zoë"}'
    for bad in (base64.b64encode(b"\xff\xfe").decode(), "not base64!"):
        with pytest.raises(MalformedRequestError):
            checked_text(event(bad, base64_encoded=True))


def test_size_is_counted_in_bytes() -> None:
    assert checked_text(event("é" * (MAX_BODY_BYTES // 2)))
    with pytest.raises(PayloadTooLargeError):
        checked_text(event("é" * (MAX_BODY_BYTES // 2 + 1)))


def test_the_scan_does_not_recurse() -> None:
    # Deeper than the interpreter's recursion limit, and still a clean refusal.
    with pytest.raises(MalformedRequestError):
        checked_text(event("[" * (sys.getrecursionlimit() * 10)))
