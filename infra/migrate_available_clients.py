"""Backfill the available-clients index of the table named by TABLE_NAME (csr.data.available_backfill):
`make migrate-available-clients`.

    TABLE_NAME=<DataTable's name> AWS_REGION=<region> make migrate-available-clients [ARGS="--max-pages 10"]

Idempotent: a run cut short is started again from the start.
"""

from __future__ import annotations

import argparse
import sys

from csr.data import available_backfill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--page-size", type=int, default=1000, help="table items scanned per page")
    parser.add_argument("--max-pages", type=int, default=None, help="stop after this many pages")
    args = parser.parse_args(argv)
    progress = available_backfill.run(page_size=args.page_size, max_pages=args.max_pages)
    state = "finished" if progress.finished else "stopped; run again to go on"
    print(
        f"available-clients backfill: {progress.clients} clients, "
        f"{progress.old_entries_deleted} old index entries deleted, {state}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
