"""Results tables and the committed report: rendered from metrics, never typed."""

from __future__ import annotations

import json

import pytest

from gancore import course
from gancore.course import published, results
from gancore.course.runner import ChapterResult, RunReport, run_metrics, write_report


def test_targets_are_parsed_and_checked_both_ways():
    assert results.parse_target("<= 80") == ("<=", 80.0)
    assert results.parse_target(">=0.9") == (">=", 0.9)
    assert results.meets(80.0, "<= 80") is True and results.meets(80.01, "<= 80") is False
    assert results.meets(0.95, ">= 0.9") is True and results.meets(0.89, ">= 0.9") is False
    assert results.meets(float("nan"), "<= 80") is None and results.meets(None, "<= 80") is None
    assert results.meets(3, None) is None
    with pytest.raises(ValueError, match="comparison"):
        results.parse_target("about 80")


def test_rows_are_validated():
    row = results.ResultRow.from_yaml({"label": "FD", "key": "fd", "better": "lower", "target": "<= 80"})
    assert row.target == "<= 80" and row.better == "lower"
    with pytest.raises(ValueError, match="label and key"):
        results.ResultRow.from_yaml({"label": "FD", "key": "fd", "colour": "red"})
    with pytest.raises(ValueError, match="better"):
        results.ResultRow.from_yaml({"label": "FD", "key": "fd", "better": "smaller"})
    with pytest.raises(ValueError, match="comparison"):
        results.ResultRow.from_yaml({"label": "FD", "key": "fd", "target": "small"})


def test_table_is_filled_from_metrics():
    rows = [results.ResultRow("domain FD", "fd", "lower", baseline="blur_fd", floor="real_fd", book="not measured",
                              target="<= 80"),
            results.ResultRow("class accuracy", "acc", "higher", target=">= 0.9")]
    table = results.evaluate({"fd": 61.23456, "blur_fd": 62.0, "real_fd": 3.7, "acc": 0.5}, rows)
    assert [r["met"] for r in table] == [True, False]
    text = results.to_markdown(table, "quick")
    assert "| domain FD (lower is better) | 61.23 | 62 | 3.7 | not measured | <= 80 met |" in text
    assert "| class accuracy (higher is better) | 0.5 | - | - | - | >= 0.9 **not met** |" in text
    assert results.targets_summary(table)[1] == {"label": "class accuracy", "key": "acc", "value": 0.5,
                                                 "target": ">= 0.9", "met": False}


def test_every_manifest_results_row_names_a_headline_or_saved_metric():
    """Rows parse (load_manifest validates them) and each chapter with targets lists them."""
    manifest = course.load_manifest()
    for chapter in manifest.chapters:
        for row in chapter.results:
            assert row.key and row.label, chapter.id


def test_stale_metrics_are_not_reported(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"run_id": "old", "profile": "quick", "metrics": {"fd": 1.0}}))
    assert run_metrics(path) == {"fd": 1.0}
    assert run_metrics(path, run_id="new", profile="quick") == {}
    assert run_metrics(path, run_id="old", profile="smoke") == {}
    assert run_metrics(path, run_id="old", profile="quick") == {"fd": 1.0}
    path.write_text("{truncated")
    assert run_metrics(path) == {}
    assert run_metrics(tmp_path / "missing.json") == {}


def _run(tmp_path, name, chapters):
    folder = tmp_path / name
    folder.mkdir()
    write_report(RunReport("quick", str(folder), chapters, 1.0), folder)
    return folder


def test_record_merges_runs_and_readme_is_generated(tmp_path):
    manifest = course.load_manifest()
    first, second = manifest.chapters[0], manifest.chapters[1]
    store = tmp_path / "results" / "quick" / "report.json"
    targets = [{"label": "FD", "key": "fd", "value": 50.0, "target": "<= 80", "met": True},
               {"label": "score", "key": "s", "value": 4.0, "target": ">= 8", "met": False}]
    run1 = _run(tmp_path, "run1", [ChapterResult(first.id, first.title, first.skill, first.notebook, "ok", 100.0,
                                                 {"fd": 50.0}, targets=targets, commit="aaa", date="2026-12-01",
                                                 load_before=0.1),
                                   ChapterResult(second.id, second.title, second.skill, second.notebook, "failed",
                                                 5.0, error="cell [3]: ValueError: bad")])
    published.record(run1, store=store, manifest=manifest)
    # a later run of the second chapter alone replaces only its entry
    run2 = _run(tmp_path, "run2", [ChapterResult(second.id, second.title, second.skill, second.notebook, "ok", 200.0,
                                                 {"bpd": 0.2}, budget=600, commit="bbb", load_before=2.5)])
    merged = published.record(run2, store=store, manifest=manifest)
    assert [c.id for c in merged.chapters] == [first.id, second.id]
    assert [c.commit for c in merged.chapters] == ["aaa", "bbb"]
    table = published.readme_table(RunReport.load(store), manifest)
    assert f"| {first.skill} | {first.title} | 100 | 0.1 | 1/2 | FD 50 (target <= 80: met); score 4 (target >= 8: " \
           "not met) | 2026-12-01 aaa |" in table
    assert f"| {second.title} | 200 | 2.5 | - | bpd 0.2 |" in table
    assert f"| {manifest.chapters[2].title} | - | - | - | not in this report yet | - |" in table
    readme = tmp_path / "README.md"
    readme.write_text("intro\n" + published.START.format(profile="quick") + "\nold\n"
                      + published.END.format(profile="quick") + "\nend\n")
    block = published.readme_block(RunReport.load(store), manifest)
    assert not published.update_readme(readme, block, check=True)
    published.update_readme(readme, block)
    assert published.update_readme(readme, block, check=True)
    assert readme.read_text().startswith("intro\n") and readme.read_text().endswith("\nend\n")
    with pytest.raises(course.CourseError, match="no chapter"):
        published.record(run2, ["not-a-chapter"], store=store, manifest=manifest)


def test_committed_readme_table_is_generated_from_the_committed_report():
    """README.md's results table must be exactly what `gancore results readme` makes of results/quick."""
    from gancore import paths

    manifest = course.load_manifest()
    report = published.load_store(published.store_path("quick"), "quick")
    block = published.readme_block(report, manifest)
    assert published.update_readme(paths.repo_root() / "README.md", block, check=True), \
        "README results table is stale: run `gancore results readme`"


def test_chapter_run_renders_its_results(tmp_path, monkeypatch):
    monkeypatch.setenv("GANCORE_OUTPUTS", str(tmp_path))
    manifest = course.load_manifest()
    chapter = manifest.chapters[0]
    chapter = course.Chapter(**{**chapter.__dict__, "results": (results.ResultRow("test loss", "loss", "lower",
                                                                                    target="<= 40"),)})
    run = course.ChapterRun(chapter, "quick", course.Settings(), tmp_path)
    with pytest.raises(RuntimeError, match="save_metrics"):
        run.results_table()
    run.save_metrics({"loss": 35.5})
    text = run.results_table()
    assert "| test loss (lower is better) | 35.5 | - | - | - | <= 40 met |" in text
    assert "the book reports" in text


def test_committed_readme_estimates_are_generated_from_the_committed_dry_run():
    """README.md's table of the full profile's dry run is exactly what `gancore results readme` makes of
    results/full-dry-run/full-estimates.json."""
    from gancore import paths

    path = published.estimates_path()
    assert path.is_file(), "record a dry run: make test-full, then gancore results record --run _build/full-dry-run"
    block = published.estimates_block(path)
    assert published.update_readme(paths.repo_root() / "README.md", block, published.ESTIMATES_PROFILE,
                                   check=True), "README estimates table is stale: run `gancore results readme`"


def test_recording_a_dry_run_keeps_only_its_estimates(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    data = {"machine": "m", "gflops_here": 100.0, "gpu": "g", "gpu_tflops": 10.0,
            "rows": [{"chapter": "a", "status": "failed", "dry_run_seconds": 3.0, "load": 0.2, "step_seconds": None,
                      "full_steps": 1000, "cpu_hours": None, "gpu_hours": None, "error": "cell [3]: ValueError: x"},
                     {"chapter": "b", "status": "ok", "dry_run_seconds": 30.0, "load": None, "step_seconds": 0.5,
                      "full_steps": 7200, "cpu_hours": 1.0, "gpu_hours": 0.01, "error": ""}]}
    (run / published.ESTIMATES_FILE).write_text(json.dumps(data))
    store = published.record_estimates(run, tmp_path / "results" / "full-estimates.json")
    block = published.estimates_block(store)
    assert block.startswith("<!-- results:full-dry-run:start") and block.endswith("<!-- results:full-dry-run:end -->")
    assert "| b | ok | 30 | - | 0.50 | 7,200 | 1.0 | 0.01 |" in block
    assert "- a: cell [3]: ValueError: x" in block
    (run / published.ESTIMATES_FILE).write_text("{}")
    with pytest.raises(course.CourseError, match="not a dry run"):
        published.record_estimates(run, store)
