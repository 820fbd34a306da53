"""`make serve` from a fresh start: seconds until the first search over the demo data answers.

Starts the local server (`python -m infra.local_server`, the default seed) in a fresh process `--runs`
times, one after the other, and for each prints the wall seconds until the banner, the wall seconds until
a search for `tremblay` (the CSR token of the banner) has answered 200 with rows, and the CPU seconds the
server process had spent by then. The server answers only once its seed is written, so the search answers
over the demo data. On a shared machine wall time moves with the load (printed with each run); the CPU
seconds move much less. This measures the emulated stack (moto) on this machine, not DynamoDB.

    python -m bench.serve_start [--runs 3] [--root DIR]   (DIR: another checkout to measure, e.g. the old one)
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

import requests

from infra import server_process
from infra.template import ROOT


def cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(root: Path) -> tuple[float, float, float]:
    started = time.perf_counter()
    process, banner = server_process.start(["--port", "0"], root=root)
    try:
        to_banner = time.perf_counter() - started
        text = "\n".join(banner)
        url = re.search(r"on (http://\S+)", text)
        token = re.search(r"^  csr:\s+(\S+)$", text, re.MULTILINE)
        if not url or not token:
            raise RuntimeError(f"no banner: {text}")
        response = requests.get(
            f"{url.group(1)}/customers",
            params={"q": "tremblay"},
            headers={"Authorization": f"Bearer {token.group(1)}"},
            timeout=60,
        )
        to_answer = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        if response.status_code != 200 or not response.json():
            raise RuntimeError(f"search answered {response.status_code}: {response.text[:200]}")
        return to_banner, to_answer, cpu
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    answers, cpus = [], []
    for run in range(1, args.runs + 1):
        to_banner, to_answer, cpu = one_start(args.root)
        load = os.getloadavg()[0]
        print(
            f"run {run}: banner {to_banner:.1f} s, first search answered {to_answer:.1f} s, "
            f"server CPU {cpu:.1f} s (load average {load:.1f})"
        )
        answers.append(to_answer)
        cpus.append(cpu)
    print(
        f"median: first search answered {statistics.median(answers):.1f} s, server CPU {statistics.median(cpus):.1f} s"
    )


if __name__ == "__main__":
    main()
