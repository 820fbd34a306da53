"""The CSR console's static files (console/ at the repo top), served by the local server at /console/.

Only regular files inside console/ with a known type are served; anything else (a path that climbs out,
a hidden file, an unknown extension, a directory) is the same 404 as an unknown route. In AWS the same
files are served from S3 (docs/deploy.md), put there by csr.services.console_site with the same content
types; console/config.json is the one file the deploy writes anew.
"""

from __future__ import annotations

import json
from pathlib import Path

from csr.errors import NotFoundError
from csr.services.console_site import CONTENT_TYPES
from infra.template import ROOT

CONSOLE_ROOT = (ROOT / "console").resolve()
PREFIX = "/console/"
# Same origin locally: the page talks to the API that serves it, and nothing else.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

Answer = tuple[int, dict[str, str], bytes]


def is_console_path(path: str) -> bool:
    """`/`, `/console` and everything under `/console/` belong to the console."""
    return path in {"/", "/console"} or path.startswith(PREFIX)


def console_file(path: str) -> Path | None:
    """The file a decoded request path names, or None when it is not a servable console file."""
    relative = path.removeprefix(PREFIX) or "index.html"
    if "\x00" in relative or "\\" in relative or any(part.startswith(".") for part in relative.split("/")):
        return None
    candidate = (CONSOLE_ROOT / relative).resolve()
    if not candidate.is_relative_to(CONSOLE_ROOT) or not candidate.is_file():
        return None
    return candidate if candidate.suffix in CONTENT_TYPES else None


def serve(method: str, path: str) -> Answer:
    """GET or HEAD of a console path (see is_console_path); `/` and `/console` redirect to `/console/`."""
    if method in {"GET", "HEAD"} and path in {"/", "/console"}:
        return 302, {"Location": PREFIX, "Cache-Control": "no-cache"}, b""
    found = console_file(path) if method in {"GET", "HEAD"} else None
    if found is None:
        error = NotFoundError()
        return error.status, {"Content-Type": "application/json"}, json.dumps(error.body()).encode()
    return 200, {"Content-Type": CONTENT_TYPES[found.suffix], **SECURITY_HEADERS}, found.read_bytes()
