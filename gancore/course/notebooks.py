"""Keep committed notebooks clean: outputs only in ``# NBVAL_CHECK_OUTPUT`` cells, one parameters cell."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

CHECK_MARK = "NBVAL_CHECK_OUTPUT"

#: Where the course is published; the install cell and the "Open in Colab" links are built from it.
COURSE_REPOSITORY = "https://github.com/the-gan-book/gan-course"
#: The first code cell of every chapter: installs gancore when the kernel lacks it (Colab, any Jupyter with
#: TensorFlow); in the course's own environment it finds gancore and does nothing.
INSTALL_CELL = f"""# Outside the course's environment (Colab, any Jupyter with TensorFlow) this installs gancore first;
# set GANCORE_PIP to install another copy (a fork, a local folder). In the course's venv it does nothing.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("gancore") is None:
    source = os.environ.get("GANCORE_PIP", "git+{COURSE_REPOSITORY}.git")
    print(f"Installing gancore from {{source}} (about a minute) ...")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", source], check=True)
    importlib.invalidate_caches()"""


def colab_url(notebook: str, branch: str = "main") -> str:
    """The "Open in Colab" address of a chapter notebook (its path in the repository)."""
    return f"https://colab.research.google.com/github/{COURSE_REPOSITORY.removeprefix('https://github.com/')}" \
           f"/blob/{branch}/{notebook}"


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


# Prose that reports one of our runs ("what our quick run measured", "in our runs", "we measured") ...
_OUR_RUN = re.compile(r"\b(our|this|the)\s+(measured\s+)?`?(quick|smoke|full)`?\s+runs?\b|\bour\s+(measured\s+)?runs?\b"
                      r"|\bwe\s+(measured|tried|found|saw|got)\b|\bmeasured\s+in\s+`?(quick|smoke)`?"
                      r"|`?(quick|smoke|full)`?\s+(runs?\s+)?(measured|showed|gave|reached|took)\b|\bin\s+`?quick`?\s*(,|:)?\s*(the|it|we)\b",
                      re.IGNORECASE)
# ... together with a measured-looking number: a decimal, a percentage, decibels, seconds, or a metric name and value.
_MEASURED = re.compile(r"\d+\.\d+|\d\s?%|\d\s?dB\b|\d\s?(s|seconds|minutes)\b"
                       r"|\b(FD|KID|PSNR|SSIM|accuracy|score|loss|agreement)\s+(of\s+)?(about\s+)?-?\d",
                       re.IGNORECASE)


def typed_results(nb) -> list[str]:
    """Markdown paragraphs that state a result of our own runs as a typed number (it goes stale:
    print it from the metrics in a code cell instead). Returns the offending paragraphs, shortened."""
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        announced = False  # a paragraph about our run that ends in ":" carries over to the list below it
        for paragraph in re.split(r"\n\s*\n|\n(?=\s*[-*] |\s*\d+\. )", cell.source):
            item = re.match(r"\s*([-*]|\d+\.) ", paragraph) is not None
            ours = _OUR_RUN.search(paragraph) is not None or (announced and item)
            if ours and _MEASURED.search(paragraph):
                found.append(f"cell {index}: {' '.join(paragraph.split())[:160]}")
            if not item:
                announced = _OUR_RUN.search(paragraph) is not None and paragraph.rstrip().endswith(":")
    return found


def problems(nb, name: str = "notebook") -> list[str]:
    """What is wrong with a committed notebook (empty list when it is clean)."""
    found = []
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        found.append(f"{name}: {len(tagged)} cells tagged 'parameters' (need exactly one)")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.outputs and not is_check_cell(cell):
            found.append(f"{name}: cell {index} has outputs but is not a {CHECK_MARK} cell")
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not code or code[0].source != INSTALL_CELL:
        found.append(f"{name}: the first code cell is not gancore.course.notebooks.INSTALL_CELL (Colab / plain Jupyter "
                     "install); run `gancore notebooks strip`")
    return found


def ensure_install_cell(nb):
    """Make the first code cell :data:`INSTALL_CELL` (replacing an older version of it, else inserted first)."""
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if code and "find_spec(\"gancore\")" in nb.cells[code[0]].source:
        nb.cells[code[0]].source = INSTALL_CELL
    else:
        nb.cells.insert(code[0] if code else len(nb.cells), nbformat.v4.new_code_cell(INSTALL_CELL))
    return nb


def strip(nb, keep_checks: bool = True):
    """Clear outputs and execution counts, keeping the outputs of check cells (and their counts)."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)
        cell.metadata.pop("papermill", None)
        if keep_checks and is_check_cell(cell):
            continue
        cell.outputs = []
        cell.execution_count = None
    for key in ("papermill", "widgets"):
        nb.metadata.pop(key, None)
    return nb


# TensorFlow's C++ start-up log lines ("I0000 00:00:... port.cc:153] oneDNN ...", "failed call to cuInit",
# "remapper failed", the absl preamble, the CPU-instructions note): they differ by machine and teach nothing.
TF_LOG_LINE = re.compile(r"^([IWEF]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\]|WARNING: All log messages before absl|"
                         r"To enable the following instructions:)")


def drop_tensorflow_logs(nb) -> int:
    """Remove TensorFlow's C++ log lines from the stderr outputs of ``nb`` (an output left empty goes too);
    returns the number of lines removed. Python warnings and errors stay."""
    removed = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                lines = output["text"].splitlines(keepends=True)
                clean = [line for line in lines if not TF_LOG_LINE.match(line)]
                removed += len(lines) - len(clean)
                if not clean:
                    continue
                output["text"] = "".join(clean)
            kept.append(output)
        cell.outputs = kept
    return removed


#: A markdown heading cell with this tag opens a detour (a book bug, a side experiment): on the site, it and every
#: cell up to the next heading of the same or a higher level fold away behind one click.
DETOUR_TAG = "book-bug"
_FOLDED_TAG = "book-bug-folded"
_HEADING = re.compile(r"^(#+)\s+(.*)$")


def _heading(cell) -> tuple[int, str] | None:
    match = _HEADING.match("".join(cell.get("source", "")).split("\n", 1)[0]) if cell.cell_type == "markdown" else None
    return (len(match.group(1)), match.group(2).strip()) if match else None


def fold_detours(nb) -> int:
    """For the site: turn each detour section (see ``DETOUR_TAG``) into collapsed content, markdown cells into
    dropdown admonitions titled by the section's heading and code cells into hidden cells (``hide-cell``), so the
    page's path from idea to code to result stays short. Idempotent; returns the number of cells folded."""
    folded, section = 0, None  # section: (level, title) of the detour being folded
    for cell in nb.cells:
        heading, tags = _heading(cell), list(cell.metadata.get("tags", []))
        if heading and section and heading[0] <= section[0]:
            section = None
        text = "".join(cell.source)
        if heading and DETOUR_TAG in tags:
            section = heading
            cell.metadata["tags"] = [_FOLDED_TAG if t == DETOUR_TAG else t for t in tags]
            body = text.split("\n", 1)[1].strip() if "\n" in text else ""
            cell.source = f":::{{admonition}} {heading[1]}\n:class: dropdown\n\n{body}\n:::\n"
        elif section and cell.cell_type == "markdown":
            cell.source = f":::{{admonition}} {section[1]} (continued)\n:class: dropdown\n\n{text.strip()}\n:::\n"
        elif section and cell.cell_type == "code":
            cell.metadata["tags"] = tags + ([] if "hide-cell" in tags else ["hide-cell"])
        else:
            continue
        folded += 1
    return folded


def refresh_checks(committed: Path, executed: Path) -> int:
    """Copy check-cell outputs from an executed copy into the committed notebook; returns cells updated."""
    target = nbformat.read(committed, as_version=4)
    source = nbformat.read(executed, as_version=4)
    by_source = {c.source: c for c in source.cells if is_check_cell(c)}
    updated = 0
    for cell in target.cells:
        if is_check_cell(cell) and cell.source in by_source:
            outputs = [o for o in by_source[cell.source].outputs if not (o.get("name") == "stderr")]
            cell.outputs = outputs
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = None
            cell.execution_count = None
            updated += 1
    strip(target)
    nbformat.write(target, committed)
    return updated


# nbval's own settings for `--nbval-lax` runs: what it never compares, and images (compared only with nbdime).
NBVAL_SKIP_COMPARE = ("metadata", "traceback", "prompt_number", "output_type", "name", "execution_count",
                      "application/vnd.jupyter.widget-view+json", "image/png", "image/jpeg")


def _without_stderr(outputs) -> list:
    return [o for o in outputs if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def compare_check_cells(committed, executed, sanitize_patterns: dict[str, str] | None = None) -> list[str]:
    """Compare the ``NBVAL_CHECK_OUTPUT`` cells of a committed notebook with an executed copy.

    Uses nbval's own comparison (``IPyNbCell.compare_outputs``, as ``pytest --nbval-lax`` does) on
    outputs that papermill already produced, so the chapters are executed once per test run.
    stderr is ignored (TensorFlow's log lines vary by machine). Returns one message per mismatch.
    """
    from types import SimpleNamespace

    from nbval.plugin import IPyNbCell, coalesce_streams, nocolors

    checker = SimpleNamespace(parent=SimpleNamespace(skip_compare=NBVAL_SKIP_COMPARE,
                                                     sanitize_patterns=dict(sanitize_patterns or {})),
                              colors=nocolors, comparison_traceback=[], config=None,
                              ihook=SimpleNamespace(pytest_assertrepr_compare=lambda **_: []))
    checker.sanitize = lambda s: IPyNbCell.sanitize(checker, s)
    checker.format_output_compare = lambda key, left, right: IPyNbCell.format_output_compare(
        checker, key, left, right)
    ran = {c.source: c for c in executed.cells if is_check_cell(c)}
    found = []
    for index, cell in enumerate(c for c in committed.cells if is_check_cell(c)):
        if cell.source not in ran:
            found.append(f"check cell {index} is missing from the executed notebook:\n{cell.source[:200]}")
            continue
        expected = coalesce_streams(_without_stderr(cell.outputs))
        actual = coalesce_streams(_without_stderr(ran[cell.source].outputs))
        if not IPyNbCell.compare_outputs(checker, actual, expected):
            details = "\n".join(checker.comparison_traceback)
            found.append(f"check cell {index} differs:\n{cell.source[:200]}\n{details}")
    return found
