"""book.yml parsing, profile resolution and the per-chapter set-up."""

import json

import pytest

from gancore import course, paths


def test_manifest_lists_existing_notebooks_once():
    manifest = course.load_manifest()
    assert len(manifest.chapters) >= 3
    for chapter in manifest.chapters:
        assert (paths.repo_root() / chapter.notebook).is_file(), chapter.notebook
        for profile in course.PROFILES:
            assert chapter.settings(profile), f"{chapter.id} has no {profile} settings"
    notebooks = [c.notebook for c in manifest.chapters]
    assert len(notebooks) == len(set(notebooks))


def test_profile_resolution_order(monkeypatch):
    monkeypatch.delenv(course.PROFILE_ENV, raising=False)
    assert course.resolve_profile(None) == "quick"
    monkeypatch.setenv(course.PROFILE_ENV, "smoke")
    assert course.resolve_profile(None) == "smoke"
    assert course.resolve_profile("full") == "full"


def test_unknown_profile_and_chapter_are_clear_errors(monkeypatch):
    with pytest.raises(course.CourseError, match="choose one of smoke, quick, full"):
        course.resolve_profile("fast")
    monkeypatch.setenv(course.PROFILE_ENV, "turbo")
    with pytest.raises(course.CourseError, match="turbo"):
        course.resolve_profile(None)
    with pytest.raises(course.CourseError, match="Unknown chapter id 'gan-digitz'.*gan-digits"):
        course.load_manifest().chapter("gan-digitz")


def test_common_settings_are_merged_under_profile():
    chapter = course.load_manifest().chapter("gan-digits")
    smoke, full = chapter.settings("smoke"), chapter.settings("full")
    assert smoke["latent_dim"] == full["latent_dim"] == 50
    assert smoke["steps"] < full["steps"] == 100_000


def test_dependencies_come_first(tmp_path):
    (tmp_path / "book.yml").write_text(
        "chapters:\n"
        "  - {id: b, title: B, skill: 1, notebook: b.ipynb, depends_on: [a], params: {smoke: {x: 1}}}\n"
        "  - {id: a, title: A, skill: 1, notebook: a.ipynb, params: {smoke: {x: 1}}}\n")
    manifest = course.load_manifest(tmp_path / "book.yml")
    assert [c.id for c in manifest.ordered()] == ["a", "b"]
    assert [c.id for c in manifest.ordered(["b"])] == ["a", "b"]


def test_cycles_and_bad_profiles_in_manifest_are_rejected(tmp_path):
    (tmp_path / "book.yml").write_text(
        "chapters:\n"
        "  - {id: a, title: A, skill: 1, notebook: a.ipynb, depends_on: [b], params: {smoke: {}}}\n"
        "  - {id: b, title: B, skill: 1, notebook: b.ipynb, depends_on: [a], params: {smoke: {}}}\n")
    with pytest.raises(course.CourseError, match="cycle"):
        course.load_manifest(tmp_path / "book.yml").ordered()
    (tmp_path / "book.yml").write_text(
        "chapters:\n  - {id: a, title: A, skill: 1, notebook: a.ipynb, params: {fast: {}}}\n")
    with pytest.raises(course.CourseError, match="unknown profiles"):
        course.load_manifest(tmp_path / "book.yml")


def test_setup_chapter_prints_profile_and_writes_metrics(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("GANCORE_OUTPUTS", str(tmp_path))
    monkeypatch.setenv(course.PROFILE_ENV, "smoke")
    run = course.setup_chapter("vae-digits")
    out = capsys.readouterr().out
    assert "Profile: smoke" in out and "TensorFlow" in out
    assert run.settings.epochs == 1
    with pytest.raises(AttributeError, match="No setting"):
        _ = run.settings.no_such_setting
    import numpy as np

    path = run.save_metrics({"loss": np.float32(1.5), "curve": np.arange(3)})
    record = json.loads(path.read_text())
    assert record["metrics"] == {"loss": 1.5, "curve": [0, 1, 2]}
    assert record["book"]["val_loss"] == pytest.approx(34.0148)
    with pytest.raises(course.CourseError, match="Unknown override"):
        course.setup_chapter("vae-digits", overrides={"epochz": 3})
    monkeypatch.delenv(course.RUN_ID_ENV, raising=False)
    assert run.interactive  # a learner's own session
    monkeypatch.setenv(course.RUN_ID_ENV, "abc")
    assert not run.interactive  # executed by the course runner: static figures instead of widgets


def test_chapter_titles_need_no_html_escaping():
    """The site and its tests look for each title verbatim in the built HTML, where ' & < > " would be escaped."""
    import html

    for chapter in course.load_manifest(paths.repo_root() / "book.yml").chapters:
        assert html.escape(chapter.title) == chapter.title, f"{chapter.id}: avoid ' \" & < > in {chapter.title!r}"
