"""The console's files without a browser: how infra.console serves them, and the three message catalogs
(same keys, same placeholders, every key the code uses present)."""

from __future__ import annotations

import json
import re

import pytest

from infra import console
from infra.template import ROOT

CATALOGS = {
    lang: json.loads((ROOT / "console" / "locales" / f"{lang}.json").read_text()) for lang in ("en", "fr", "es")
}


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/console/", "text/html; charset=utf-8"),
        ("/console/index.html", "text/html; charset=utf-8"),
        ("/console/js/app.js", "text/javascript; charset=utf-8"),
        ("/console/css/console.css", "text/css; charset=utf-8"),
        ("/console/locales/fr.json", "application/json; charset=utf-8"),
        ("/console/config.json", "application/json; charset=utf-8"),
    ],
)
def test_serves_console_files_with_their_type(path: str, content_type: str) -> None:
    status, headers, body = console.serve("GET", path)
    assert status == 200
    assert headers["Content-Type"] == content_type
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    served = console.console_file(path)
    assert served is not None
    assert body == served.read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/console/../template.yaml",
        "/console/../../etc/passwd",
        "/console//etc/passwd",
        "/console/js/../../infra/console.py",
        "/console/js",
        "/console/.hidden",
        "/console/js/app.js\x00.png",
        "/console/js\\app.js",
        "/console/missing.html",
    ],
)
def test_refuses_anything_but_a_console_file(path: str) -> None:
    status, headers, body = console.serve("GET", path)
    assert status == 404
    assert json.loads(body)["error"]["code"] == "not_found"
    assert headers["Content-Type"] == "application/json"


def test_only_get_and_head_are_served() -> None:
    assert console.serve("HEAD", "/console/")[0] == 200
    assert console.serve("POST", "/console/")[0] == 404
    assert console.serve("DELETE", "/console/index.html")[0] == 404


def test_root_and_bare_console_redirect_to_the_console() -> None:
    for path in ("/", "/console"):
        status, headers, _ = console.serve("GET", path)
        assert (status, headers["Location"]) == (302, "/console/")
    assert console.is_console_path("/console/js/app.js")
    assert not console.is_console_path("/customers")
    assert not console.is_console_path("/consoles")


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    english = CATALOGS["en"]
    for lang, catalog in CATALOGS.items():
        assert set(catalog) == set(english), f"{lang}: {set(catalog) ^ set(english)}"
        for key, text in catalog.items():
            assert text.strip(), f"{lang}: {key} is empty"
            assert set(re.findall(r"\{(\w+)\}", text)) == set(re.findall(r"\{(\w+)\}", english[key])), f"{lang}: {key}"


def test_every_text_the_console_uses_is_in_the_catalogs() -> None:
    sources = [path.read_text() for path in (ROOT / "console").rglob("*") if path.suffix in {".js", ".html"}]
    used = {key for source in sources for key in re.findall(r"""(?:\bt\(|data-i18n=)["']([a-z_.]+)["']""", source)}
    counted = {key for source in sources for key in re.findall(r"""\btn\(["']([a-z_.]+)["']""", source)}
    assert used, "no text found: the pattern no longer matches the code"
    assert used - set(CATALOGS["en"]) == set()
    assert {f"{key}.other" for key in counted} - set(CATALOGS["en"]) == set()
