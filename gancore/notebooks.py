"""Keep committed notebooks clean: outputs only in ``# NBVAL_CHECK_OUTPUT`` cells, one parameters cell."""

from __future__ import annotations

from pathlib import Path

import nbformat

CHECK_MARK = "NBVAL_CHECK_OUTPUT"


def is_check_cell(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def problems(nb, name: str = "notebook") -> list[str]:
    """What is wrong with a committed notebook (empty list when it is clean)."""
    found = []
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        found.append(f"{name}: {len(tagged)} cells tagged 'parameters' (need exactly one)")
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.outputs and not is_check_cell(cell):
            found.append(f"{name}: cell {index} has outputs but is not a {CHECK_MARK} cell")
    return found


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
