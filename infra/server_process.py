"""The local server (`make serve`) in a process of its own, as the end-to-end tests and bench.serve_start
start it: `python -m infra.local_server` from the repository's root with the layer on the path, read up to
the last line of its banner (it prints the banner once the demo data is seeded)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

from infra.template import ROOT

BANNER_END = "Serving until"


def start(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    stderr: int | IO[Any] | None = subprocess.DEVNULL,
    limit_seconds: float | None = None,
    root: Path = ROOT,
) -> tuple[subprocess.Popen[str], list[str]]:
    """The running server and its banner's lines. Past `limit_seconds` without the banner's end (a hung
    start), the process is killed and the lines read so far are returned."""
    layer = root / "layers" / "csr_common"
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.local_server", *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(layer)]), **(env or {})},
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    watchdog = threading.Timer(limit_seconds, process.kill) if limit_seconds else None
    if watchdog:
        watchdog.start()
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if line.startswith(BANNER_END):
            break
    if watchdog:
        watchdog.cancel()
    return process, lines
