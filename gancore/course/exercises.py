"""The exercises' learner notebooks, generated from their sources by nbgrader's own preprocessors.

The sources, ``chapters/exercises/solutions/<skill>_<topic>.ipynb``, hold the reference solutions in nbgrader's
markup: solution cells (metadata ``nbgrader.solution``) with the answer between ``### BEGIN SOLUTION`` and
``### END SOLUTION``, and graded check cells (``nbgrader.grade``, ``points``) that may hide extra tests between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``. :func:`release` runs the preprocessors of
``nbgrader generate_assignment`` on each source, without its gradebook database, and writes the learner version to
``chapters/exercises/``: answers replaced by ``raise NotImplementedError()``, hidden tests and outputs removed,
check cells locked, checksums recorded. ``python -m gancore.course.exercises release`` (or ``gancore exercises
release``) regenerates them; ``check`` exits 1 when a committed learner notebook differs from a fresh generation.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)

from gancore import paths

RELEASE_DIR = Path("chapters") / "exercises"
SOURCE_DIR = RELEASE_DIR / "solutions"


def release_preprocessors() -> list:
    """``nbgrader generate_assignment``'s pipeline minus the gradebook (SaveCells) and test templates: checksums are
    computed before and again after the hidden tests are cleared, as nbgrader does."""
    return [LockCells(), ClearSolutions(), ClearOutput(), CheckCellMetadata(), ComputeChecksums(), ClearHiddenTests(),
            ClearMarkScheme(), ComputeChecksums(), CheckCellMetadata()]


def release_notebook(source) -> nbformat.NotebookNode:
    """The learner version of a source notebook (the source is not changed)."""
    nb = copy.deepcopy(source)
    resources: dict = {}
    for preprocessor in release_preprocessors():
        nb, resources = preprocessor.preprocess(nb, resources)
    return nb


def release_text(source_path: Path) -> str:
    """The learner notebook of ``source_path`` as committed (nbformat's JSON and a final newline)."""
    return nbformat.writes(release_notebook(nbformat.read(source_path, as_version=4))) + "\n"


def source_notebooks(root: Path | None = None) -> list[Path]:
    """Every exercise source, sorted by name."""
    return sorted(((root or paths.repo_root()) / SOURCE_DIR).glob("*.ipynb"))


def release_path(source_path: Path) -> Path:
    """Where the learner version of a source notebook lives: one folder up, same name."""
    return source_path.parent.parent / source_path.name


def release(root: Path | None = None, check: bool = False) -> list[Path]:
    """Write the learner notebook of every source (``check``: write nothing). Returns the learner notebooks that
    were stale or missing (and are now rewritten, unless ``check``)."""
    stale = []
    for source in source_notebooks(root):
        target = release_path(source)
        text = release_text(source)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            stale.append(target)
            if not check:
                target.write_text(text, encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    """``release``: regenerate the learner notebooks; ``check``: exit 1 if any is stale."""
    parser = argparse.ArgumentParser(prog="python -m gancore.course.exercises", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["release", "check"])
    args = parser.parse_args(argv)
    root = paths.repo_root()
    sources = source_notebooks(root)
    stale = release(root, check=args.action == "check")
    names = ", ".join(str(p.relative_to(root)) for p in stale)
    if args.action == "check":
        print(f"stale learner notebooks (run `make exercises`): {names}" if stale else
              f"{len(sources)} learner notebooks match their sources")
        return 1 if stale else 0
    print(f"{len(sources)} learner notebooks generated in {RELEASE_DIR}" + (f"; updated: {names}" if stale else
                                                                             "; all were current"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
