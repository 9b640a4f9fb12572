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


def test_tensorflow_start_up_lines_are_dropped_and_python_warnings_kept():
    stderr = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
              "I0000 00:00:1796281194.749782   16343 port.cc:153] oneDNN custom operations are on.\n"
              "E0000 00:00:1796281200.983258   16343 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
              "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow\n"
              "W0000 00:00:1796280812.1 12 meta_optimizer.cc:967] remapper failed: INVALID_ARGUMENT: Mutation\n")
    warning = "epoch_iterator.py:74: UserWarning: `shuffle=True` was passed\n"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import tensorflow"), nbformat.v4.new_code_cell("fit()")]
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stderr", text=stderr),
                           nbformat.v4.new_output("stream", name="stdout", text="ready\n")]
    first_line = stderr.splitlines(keepends=True)[0]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stderr", text=first_line + warning)]
    assert notebooks.drop_tensorflow_logs(nb) == 6  # five in the first cell, one in the second
    assert [o["name"] for o in nb.cells[0].outputs] == ["stdout"]  # the emptied stderr output is gone
    assert nb.cells[1].outputs[0]["text"] == warning
    assert notebooks.drop_tensorflow_logs(nb) == 0



def test_detour_sections_fold_on_the_site_up_to_the_next_heading():
    md = nbformat.v4.new_markdown_cell
    bug = md("## Bug 1: one Adam for two models\n\nThe book shares one optimizer.", metadata={"tags": ["book-bug"]})
    nb = nbformat.v4.new_notebook()
    nb.cells = [md("# Chapter\n\nThe idea."), bug, nbformat.v4.new_code_cell("shared = Adam()"),
                md("More about it."), md("### A sub-point of the bug"), md("## Training\n\nBack on the main path."),
                nbformat.v4.new_code_cell("fit()")]
    assert notebooks.fold_detours(nb) == 4
    assert nb.cells[1].source == (":::{admonition} Bug 1: one Adam for two models\n:class: dropdown\n\n"
                                  "The book shares one optimizer.\n:::\n")
    assert nb.cells[2].metadata["tags"] == ["hide-cell"]
    assert nb.cells[3].source.startswith(":::{admonition} Bug 1: one Adam for two models (continued)")
    assert nb.cells[4].source.startswith(":::{admonition} Bug 1")  # a deeper heading stays in the detour
    assert nb.cells[5].source.startswith("## Training") and "tags" not in nb.cells[6].metadata
    assert notebooks.fold_detours(nb) == 0  # folding twice changes nothing
