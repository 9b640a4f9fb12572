"""Build the Jupyter Book static site from executed notebooks (offline, no re-execution)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import yaml

from gancore import course
from gancore.course import glossary, notebooks, results

SMOKE_BANNER = ("Plumbing check: this site was built from the smoke profile, which runs every chapter for a few "
                "steps on tiny data. Its images are noise and its numbers mean nothing; build with the quick "
                "profile to see the techniques work.")
RECORDED_QUICK_RUN = Path("results") / "quick" / "report.json"  # the committed record of the last full quick run
GLOSSARY_PAGE = "glossary"


def recorded_quick_seconds(manifest: course.Manifest) -> dict[str, float]:
    """Chapter id -> wall time of the committed quick run (empty when the record is missing)."""
    record = manifest.path.parent / RECORDED_QUICK_RUN
    if not record.is_file():
        return {}
    chapters = json.loads(record.read_text()).get("chapters", [])
    return {c["id"]: float(c["seconds"]) for c in chapters if c.get("status") == "ok" and c.get("seconds")}


def minutes(seconds: float | None) -> str:
    """``95`` -> ``"1 min 35 s"``; a dash when unknown."""
    if seconds is None:
        return "-"
    whole = round(seconds)
    return f"{whole // 60} min {whole % 60:02d} s" if whole >= 60 else f"{whole} s"


def headline_in_words(chapter: course.Chapter, metrics: dict) -> list[str]:
    """The chapter's headline results as sentences: label, value, which way is better, baseline and real data."""
    lines = []
    for row in results.evaluate(metrics, [r for r in chapter.results if r.key in chapter.headline]):
        if row["value"] is None:
            continue
        notes = [{"lower": "lower is better", "higher": "higher is better"}.get(row["better"] or "", "")]
        if row["baseline"] is not None:
            notes.append(f"simplest baseline {results.format_value(row['baseline'])}")
        if row["floor"] is not None:
            notes.append(f"real data {results.format_value(row['floor'])}")
        notes = [n for n in notes if n]
        lines.append(f"{row['label']}: **{results.format_value(row['value'])}**"
                     + (f" ({'; '.join(notes)})" if notes else ""))
    return lines


def landing_page(report, manifest: course.Manifest) -> str:
    """index.md: what the course is, then every chapter grouped by skill with its quick run time and its headline
    results in words (units in the labels, which way is better, the simplest baseline and real data)."""
    by_id = {c.id: c for c in report.chapters}
    if report.profile == "quick":
        quick, time_label = {c.id: c.seconds for c in report.chapters}, "quick run"
    else:
        quick, time_label = recorded_quick_seconds(manifest), "quick run (recorded)"
    lines = [f"# {manifest.title}", ""]
    if report.profile == "smoke":
        lines += [":::{warning}", SMOKE_BANNER, ":::", ""]
    lines += ["Executed notebooks of the course, one per experiment of *The GAN Book*, each ending with measured "
              f"results. This build ran the **{report.profile}** profile. Each chapter also opens in Google Colab "
              "(its first cell installs the course's package). Terms such as FD, KID or PatchGAN are explained in "
              f"the [glossary]({GLOSSARY_PAGE}.md).", ""]
    for heading, chapters in manifest.by_skill():
        shown = [c for c in chapters if c.id in by_id]
        if not shown:
            continue
        lines += [f"## {heading}", "", f"| Chapter | Status | {time_label} | Headline results ({report.profile}) "
                  "| Colab |", "|---|---|---:|---|---|"]
        for chapter in shown:
            result = by_id[chapter.id]
            link = f"[{chapter.title}]({chapter.notebook})" if result.status == "ok" else chapter.title
            if result.status != "ok" and result.error:
                text = result.error  # a failed chapter shows why, never numbers
            else:
                text = "<br>".join(headline_in_words(chapter, result.metrics or {})) or "-"
            colab = f"[open]({notebooks.colab_url(chapter.notebook)})"
            cells = [link, result.status, minutes(quick.get(chapter.id)), text.replace("|", "\\|"), colab]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def table_of_contents(report, manifest: course.Manifest) -> dict:
    """_toc.yml: the landing page, one part per skill in the book's order, the glossary last."""
    ok = {c.id for c in report.chapters if c.status == "ok"}
    parts = [{"caption": heading, "chapters": [{"file": c.notebook.removesuffix(".ipynb")} for c in chapters
                                               if c.id in ok]}
             for heading, chapters in manifest.by_skill()]
    parts = [part for part in parts if part["chapters"]]
    parts.append({"caption": "Reference", "chapters": [{"file": GLOSSARY_PAGE}]})
    return {"format": "jb-book", "root": "index", "parts": parts}


def write_book_files(report, manifest: course.Manifest, source: Path) -> None:
    """_config.yml, _toc.yml, index.md and the glossary for the executed notebooks in ``source``."""
    theme = {"use_download_button": False, "repository_url": notebooks.COURSE_REPOSITORY,
             "repository_branch": "main", "path_to_docs": "",
             "launch_buttons": {"colab_url": "https://colab.research.google.com"}}
    if report.profile == "smoke":
        theme["announcement"] = SMOKE_BANNER  # a banner on every page
    config = {
        "title": manifest.title,
        "author": "The GAN course",
        "only_build_toc_files": True,
        "execute": {"execute_notebooks": "off"},
        # stderr holds TensorFlow's C++ log lines, which differ by machine and teach nothing
        # html_theme_options replaces what jupyter-book derives from `repository` / `launch_buttons`, so the
        # "Open in Colab" launch button is configured here (the notebook's path in the repository)
        "sphinx": {"config": {"html_show_copyright": False, "nb_output_stderr": "remove",
                              "html_theme_options": theme}},
        "exclude_patterns": ["_build", "outputs", "site", "mini-data", "step-times", "**.ipynb_checkpoints"],
    }
    for chapter in report.chapters:  # the executed copies: book-bug detours fold away behind one click
        path = source / chapter.notebook
        if chapter.status == "ok" and path.is_file():
            executed = nbformat.read(path, as_version=4)
            if notebooks.fold_detours(executed):
                nbformat.write(executed, path)
    (source / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    (source / "_toc.yml").write_text(yaml.safe_dump(table_of_contents(report, manifest), sort_keys=False))
    (source / "index.md").write_text(landing_page(report, manifest))
    (source / f"{GLOSSARY_PAGE}.md").write_text(glossary.markdown())


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
