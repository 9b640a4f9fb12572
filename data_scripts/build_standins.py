"""Fetch the Skill 4 face sets, or build their offline stand-ins from real images.

    python data_scripts/build_standins.py                 # both: real set if present/downloadable, else stand-in
    python data_scripts/build_standins.py celeba --rebuild  # rebuild the CelebA stand-in
    python data_scripts/build_standins.py --download        # fetch the real sets first (see fetch_data.py)

See data_scripts/README.md and gancore/data/standins.py for what the stand-ins contain.
"""

from __future__ import annotations

import argparse
import shutil
import sys

from gancore.data import faces, standins


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help=f"any of {sorted(faces.KAGGLE)} (default: all)")
    parser.add_argument("--download", action="store_true",
                        help="fetch missing real sets first (gancore.data.archives: Drive / Kaggle)")
    parser.add_argument("--rebuild", action="store_true", help="delete and rebuild the stand-ins")
    args = parser.parse_args(argv)
    for name in args.names or sorted(faces.KAGGLE):
        if args.rebuild:
            shutil.rmtree(faces.standin_root(name), ignore_errors=True)
        found = faces.resolve_faces(name, download=args.download)
        print(f"{name}: {len(found)} images in {found.folder}")
        print(f"  {found.source}")
        if found.standin:
            print(f"  stand-in record: {standins.standin_info(found.folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
