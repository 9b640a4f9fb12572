"""The Colab / plain-Jupyter path: a fresh venv holding only papermill and ipykernel runs a chapter copied out of
the checkout. The chapter's first cell pip-installs gancore (from a copy of this repository, as it would from
the published one), fetches its data into $GANCORE_HOME and saves its metrics there; no make, no checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_LEVEL_SKIPPED = {".git", ".venv", "data", "_build", "build", "outputs", "results"}
ANYWHERE_SKIPPED = shutil.ignore_patterns("*.egg-info", "__pycache__", ".pytest_cache", ".ruff_cache",
                                          ".ipynb_checkpoints")


def NOT_COPIED(folder: str, names: list[str]) -> set[str]:  # noqa: N802 - used like shutil.ignore_patterns
    """What a copy of the repository leaves out: the checkout's venv, data and build folders (top level only:
    gancore/data/ is code), and caches anywhere."""
    skipped = set(ANYWHERE_SKIPPED(folder, names))
    if Path(folder) == ROOT:
        skipped |= TOP_LEVEL_SKIPPED & set(names)
    return skipped


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    shown = " ".join(map(str, command))
    assert result.returncode == 0, f"{shown} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.mark.install
def test_a_chapter_runs_in_a_fresh_venv_that_only_has_papermill(tmp_path):
    source = tmp_path / "repository"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED, symlinks=True)
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    run([python, "-m", "pip", "install", "--quiet", "-c", ROOT / "constraints.txt", "papermill", "ipykernel"])
    run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"])
    check = [python, "-c", "import importlib.util; print(importlib.util.find_spec('gancore'))"]
    assert run(check, cwd=tmp_path).stdout.strip() == "None"
    work = tmp_path / "colab"
    work.mkdir()
    shutil.copy(ROOT / "chapters" / "skill01" / "vae_digits.ipynb", work)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GANCORE_", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(GANCORE_HOME=str(tmp_path / "home"), GANCORE_PIP=str(source), GANCORE_PROFILE="smoke",
               PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}", PIP_CONSTRAINT=str(ROOT / "constraints.txt"))
    run([venv / "bin" / "papermill", "vae_digits.ipynb", "executed.ipynb", "-k", "python3", "--cwd", work],
        cwd=work, env=env, timeout=1200)
    executed = json.loads((work / "executed.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in executed["cells"] if c["cell_type"] == "code"
                      for o in c.get("outputs", []))
    assert f"Installing gancore from {source}" in printed
    assert "Profile: smoke" in printed and "Devices: CPU" in printed
    metrics = json.loads((tmp_path / "home" / "outputs" / "vae-digits" / "metrics.json").read_text())
    assert metrics["profile"] == "smoke" and metrics["metrics"]["book_test_loss"] > 0
    assert (tmp_path / "home" / "data" / "mnist" / "train-images-idx3-ubyte").is_file()


def test_readme_links_every_chapter_to_colab():
    from gancore import course
    from gancore.course import notebooks

    readme = (ROOT / "README.md").read_text()
    for chapter in course.load_manifest(ROOT / "book.yml").chapters:
        assert f"[{chapter.title}]({notebooks.colab_url(chapter.notebook)})" in readme, chapter.id


def test_every_chapter_starts_with_the_install_cell():
    import nbformat

    from gancore import course
    from gancore.course import notebooks

    for chapter in course.load_manifest(ROOT / "book.yml").chapters:
        nb = nbformat.read(ROOT / chapter.notebook, as_version=4)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert first_code.source == notebooks.INSTALL_CELL, chapter.notebook
    broken = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("PROFILE = None")])
    assert any("INSTALL_CELL" in p for p in notebooks.problems(broken))
    assert notebooks.problems(notebooks.ensure_install_cell(broken)) == [
        "notebook: 0 cells tagged 'parameters' (need exactly one)"]


def test_outside_a_checkout_the_packaged_manifest_and_gancore_home_are_used(tmp_path, monkeypatch):
    from gancore import course, paths

    def no_checkout():
        raise FileNotFoundError("no checkout")

    monkeypatch.setattr(paths, "repo_root", no_checkout)
    monkeypatch.setenv("GANCORE_HOME", str(tmp_path / "home"))
    for name in ("GANCORE_DATA", "GANCORE_OUTPUTS"):
        monkeypatch.delenv(name, raising=False)
    assert paths.manifest_path() == paths.PACKAGED_MANIFEST
    assert paths.data_dir() == tmp_path / "home" / "data"
    assert paths.outputs_dir("x") == tmp_path / "home" / "outputs" / "x"
    assert [c.id for c in course.load_manifest().chapters] == [
        c.id for c in course.load_manifest(ROOT / "book.yml").chapters]
