"""The runner on bigger machines: --jobs N runs chapters in worker processes, dependencies first, with progress
lines and the report in book order; --dry-run only with the full profile."""

from __future__ import annotations

import nbformat
import pytest

from gancore import course
from gancore.course import runner

CODE = """
import time
from pathlib import Path
from gancore import course, paths
chapter = course.load_manifest().chapter(CHAPTER)
run = course.ChapterRun(chapter=chapter, profile="smoke", settings=course.Settings(),
                        outputs=paths.outputs_dir(CHAPTER))
start = time.time()
time.sleep(1.0)
run.save_metrics({"start": start, "end": time.time()})
"""


@pytest.fixture
def course_of_three(tmp_path, monkeypatch):
    """Chapters a, b (depends on a) and c; each sleeps a second and saves when it started and ended."""
    root = tmp_path / "course"
    root.mkdir()
    lines = ["title: Three", "chapters:"]
    for chapter, deps in (("a", []), ("b", ["a"]), ("c", [])):
        lines.append(f"  - {{id: {chapter}, title: {chapter.upper()}, skill: 1, notebook: {chapter}.ipynb, "
                     f"headline: [start, end], depends_on: {deps}, budget_seconds: {{smoke: 60}}, "
                     "params: {smoke: {}, quick: {}, full: {}}}")
        parameters = nbformat.v4.new_code_cell("PROFILE = None")
        parameters.metadata["tags"] = ["parameters"]
        nb = nbformat.v4.new_notebook(cells=[parameters, nbformat.v4.new_code_cell(f"CHAPTER = {chapter!r}" + CODE)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / f"{chapter}.ipynb")
    (root / "book.yml").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("GANCORE_ROOT", str(root))
    monkeypatch.setenv("GANCORE_OUTPUTS", str(root / "outputs"))
    return root


def test_two_jobs_respect_dependencies_and_report_in_book_order(course_of_three, capsys):
    report = runner.run_course("smoke", None, course_of_three / "run", build_site=False, jobs=2)
    assert report.ok and [c.id for c in report.chapters] == ["a", "b", "c"]
    times = {c.id: c.metrics for c in report.chapters}
    assert times["b"]["start"] >= times["a"]["end"]  # b waited for a
    out = capsys.readouterr().out
    assert "3 chapters, 2 at a time" in out and "[3/3]" in out
    first = next(line for line in out.splitlines() if line.startswith("[1/3]"))
    assert "elapsed" in first and "min left (the chapters' budgets)" in first


def test_progress_line_without_budgets():
    result = runner.ChapterResult("x", "X", "1", "x.ipynb", "ok", seconds=12.0)
    assert runner.progress_line(1, 2, result, 90.0, None, 1) == (
        "[1/2] x: ok in 12 s | elapsed 1.5 min | time left unknown (no budgets for this profile)")
    assert runner.progress_line(2, 2, result, 90.0, None, 1) == "[2/2] x: ok in 12 s | elapsed 1.5 min"


def test_dry_run_needs_the_full_profile_and_jobs_at_least_one(course_of_three):
    with pytest.raises(course.CourseError, match="dry run of the full profile"):
        runner.run_course("smoke", None, course_of_three / "run", build_site=False, dry=True)
    with pytest.raises(course.CourseError, match="--jobs must be at least 1"):
        runner.run_course("smoke", None, course_of_three / "run", build_site=False, jobs=0)
