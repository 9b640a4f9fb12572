"""Build the Jupyter Book static site from executed notebooks (offline, no re-execution)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from gancore import course
from gancore.course import notebooks, results


def landing_page(report, manifest: course.Manifest) -> str:
    """index.md: what the course is and a table of every chapter with its runtime and headline metric."""
    by_id = {c.id: c for c in report.chapters}
    lines = [f"# {manifest.title}", "",
             "Executed notebooks of the course, one per experiment of *The GAN Book*, each ending with "
             f"measured results. This build ran the **{report.profile}** profile.", "",
             "Each chapter also opens in Google Colab (its first cell installs the course's package).", "",
             "| Skill | Chapter | Status | Runtime (s) | Headline metric | Colab |", "|---|---|---|---:|---|---|"]
    for chapter in manifest.chapters:
        result = by_id.get(chapter.id)
        if result is None:
            continue
        link = f"[{chapter.title}]({chapter.notebook})" if result.status == "ok" else chapter.title
        metric = ", ".join(f"{k} = {results.format_value(v)}" for k, v in result.headline.items())
        if result.status != "ok" and result.error:
            metric = result.error.replace("|", "\\|")  # a failed chapter shows why, never numbers
        metric = metric or "-"
        colab = f"[open]({notebooks.colab_url(chapter.notebook)})"
        lines.append(f"| {chapter.skill} | {link} | {result.status} | {result.seconds:.0f} | {metric} | {colab} |")
    return "\n".join(lines) + "\n"


def write_book_files(report, manifest: course.Manifest, source: Path) -> None:
    """_config.yml, _toc.yml and index.md for the executed notebooks in ``source``."""
    ok = [c for c in report.chapters if c.status == "ok"]
    config = {
        "title": manifest.title,
        "author": "The GAN course",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        # stderr holds TensorFlow's C++ log lines, which differ by machine and teach nothing
        # html_theme_options replaces what jupyter-book derives from `repository` / `launch_buttons`, so the
        # "Open in Colab" launch button is configured here (the notebook's path in the repository)
        "sphinx": {"config": {"html_show_copyright": False, "nb_output_stderr": "remove",
                              "html_theme_options": {
                                  "use_download_button": False, "repository_url": notebooks.COURSE_REPOSITORY,
                                  "repository_branch": "main", "path_to_docs": "",
                                  "launch_buttons": {"colab_url": "https://colab.research.google.com"}}}},
        "exclude_patterns": ["_build", "outputs", "site", "mini-data", "step-times", "**.ipynb_checkpoints"],
    }
    toc = {"format": "jb-book", "root": "index", "chapters": [{"file": c.notebook.removesuffix(".ipynb")} for c in ok]}
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (source / "_toc.yml").write_text(yaml.safe_dump(toc, sort_keys=False))
    (source / "index.md").write_text(landing_page(report, manifest))


def build_site(report, manifest: course.Manifest, source: Path) -> Path:
    """Build the HTML site into ``source/site/_build/html`` and return that folder."""
    source = Path(source)
    if not any(c.status == "ok" for c in report.chapters):
        raise course.CourseError(f"no chapter succeeded in {source}: nothing to build (the errors are in "
                                 f"{source / 'report.md'}); fix them and run `gancore run` again")
    write_book_files(report, manifest, source)
    out = source / "site"
    command = [sys.executable, "-c", "from jupyter_book.cli.main import main; main()", "build", str(source),
               "--path-output", str(out),
               "--builder", "html", "--keep-going"]
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"Jupyter Book build failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return out / "_build" / "html"
