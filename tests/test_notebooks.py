"""Notebook hygiene and the nbval comparison of NBVAL_CHECK_OUTPUT cells."""

import nbformat
from nbformat.v4 import new_code_cell, new_notebook, new_output

from gancore.course import notebooks


def notebook_with(text: str, stderr: str = ""):
    cell = new_code_cell("# NBVAL_CHECK_OUTPUT\nprint(counts)")
    cell.outputs = [new_output("stream", name="stdout", text=text)]
    if stderr:
        cell.outputs.append(new_output("stream", name="stderr", text=stderr))
    params = new_code_cell("PROFILE = None", metadata={"tags": ["parameters"]})
    return new_notebook(cells=[new_code_cell(notebooks.INSTALL_CELL), params, cell, new_code_cell("x = 1")])


def test_same_check_outputs_pass_and_stderr_is_ignored():
    committed = notebook_with("{'generator': 2055784}\n")
    executed = notebook_with("{'generator': 2055784}\n", stderr="I0000 oneDNN custom operations are on\n")
    assert notebooks.compare_check_cells(committed, executed) == []


def test_changed_check_output_is_reported():
    found = notebooks.compare_check_cells(notebook_with("{'generator': 2055784}\n"),
                                          notebook_with("{'generator': 2055785}\n"))
    assert len(found) == 1 and "2055785" in found[0] and "check cell 0 differs" in found[0]


def test_missing_check_cell_is_reported():
    executed = notebook_with("x")
    executed.cells[2].source = "# NBVAL_CHECK_OUTPUT\nprint(other)"
    assert "missing" in notebooks.compare_check_cells(notebook_with("x"), executed)[0]


def test_strip_keeps_only_check_outputs_and_problems_finds_leftovers():
    nb = notebook_with("kept\n")
    nb.cells[3].outputs = [new_output("stream", name="stdout", text="dropped")]
    nb.cells[3].execution_count = 3
    assert notebooks.problems(nb) == ["notebook: cell 3 has outputs but is not a NBVAL_CHECK_OUTPUT cell"]
    clean = notebooks.strip(nbformat.from_dict(nb))
    assert notebooks.problems(clean) == []
    assert clean.cells[2].outputs[0]["text"] == "kept\n" and clean.cells[3].outputs == []
    nb.cells[1].metadata = {}
    assert "0 cells tagged 'parameters'" in notebooks.problems(nb)[0]
