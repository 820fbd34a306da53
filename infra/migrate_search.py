"""Backfill the search index of the table named by TABLE_NAME (csr.data.search_backfill): `make migrate-search`.

    TABLE_NAME=<DataTable's name> AWS_REGION=<region> make migrate-search [ARGS="--max-pages 10"]

Resumable: a run cut short (Ctrl-C, a timeout) goes on from its last recorded page when started again;
`--restart` walks the table from the start again (harmless: every step is idempotent).
"""

from __future__ import annotations

import argparse
import sys

from csr.data import search_backfill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--page-size", type=int, default=1000, help="table items scanned per page")
    parser.add_argument("--max-pages", type=int, default=None, help="stop after this many pages (resume later)")
    parser.add_argument("--restart", action="store_true", help="walk the table from the start again")
    args = parser.parse_args(argv)
    progress = search_backfill.run(page_size=args.page_size, max_pages=args.max_pages, restart=args.restart)
    state = "finished" if progress.finished else "stopped; run again to go on"
    print(f"search index backfill: {progress.customers} customers, {state}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
