"""The course manifest (book.yml), profile resolution and per-chapter set-up."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gancore import paths
from gancore.course import dry_run, repro, results
from gancore.errors import UserError

PROFILES = ("smoke", "quick", "full")
DEFAULT_PROFILE = "quick"
PROFILE_ENV = "GANCORE_PROFILE"
RUN_ID_ENV = "GANCORE_RUN_ID"  # set by the runner, recorded in metrics.json: a report never shows a stale run


class CourseError(UserError):
    """A bad profile, chapter id, manifest entry or run folder."""


@dataclass(frozen=True)
class Chapter:
    """One notebook of the course, as book.yml describes it."""

    id: str
    title: str
    skill: str
    notebook: str
    data: tuple[str, ...]
    params: Mapping[str, Mapping[str, Any]]
    budget_seconds: Mapping[str, float]
    depends_on: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()
    book: Mapping[str, Any] = field(default_factory=dict)
    results: tuple[results.ResultRow, ...] = ()

    def settings(self, profile: str) -> dict[str, Any]:
        """Parameters of this chapter for a profile (``common`` merged under the profile's own)."""
        profile = check_profile(profile)
        merged = dict(self.params.get("common", {}))
        merged.update(self.params.get(profile, {}))
        return merged


@dataclass(frozen=True)
class Exercise:
    """An exercise notebook: the learner version and the reference solution it is generated from."""

    skill: str
    notebook: str
    source: str


@dataclass(frozen=True)
class Manifest:
    """Every chapter of the course, in book order."""

    title: str
    chapters: tuple[Chapter, ...]
    path: Path
    skills: tuple[tuple[str, str], ...] = ()  # (skill id, title) in the book's order
    exercises: tuple[Exercise, ...] = ()

    def by_skill(self) -> list[tuple[str, list[Chapter]]]:
        """The chapters grouped under headings in the book's order ("Skill 4: Deep convolutional GANs"); skills
        that share a title (the four WGAN projects) share one heading, and chapters of unlisted skills come last."""
        groups: dict[str, list[Chapter]] = {}
        titles = dict(self.skills)
        for skill, title in self.skills:
            heading = title if list(titles.values()).count(title) > 1 else f"Skill {skill}: {title}"
            groups.setdefault(heading, []).extend(c for c in self.chapters if c.skill == skill)
        rest = [c for c in self.chapters if c.skill not in titles]
        if rest:
            groups.setdefault("Other chapters", []).extend(rest)
        return [(heading, chapters) for heading, chapters in groups.items() if chapters]

    def chapter(self, chapter_id: str) -> Chapter:
        for chapter in self.chapters:
            if chapter.id == chapter_id:
                return chapter
        known = ", ".join(c.id for c in self.chapters)
        raise CourseError(f"Unknown chapter id {chapter_id!r}. Chapters in {self.path.name}: {known}")

    def ordered(self, ids: list[str] | None = None) -> list[Chapter]:
        """Chapters (all, or the given ids plus what they depend on) so dependencies run first."""
        wanted = [self.chapter(i) for i in ids] if ids else list(self.chapters)
        order: list[Chapter] = []
        visiting: set[str] = set()

        def visit(chapter: Chapter) -> None:
            if chapter in order:
                return
            if chapter.id in visiting:
                raise CourseError(f"Dependency cycle through chapter {chapter.id!r}")
            visiting.add(chapter.id)
            for dep in chapter.depends_on:
                visit(self.chapter(dep))
            visiting.discard(chapter.id)
            order.append(chapter)

        for chapter in wanted:
            visit(chapter)
        return order


def check_profile(profile: str) -> str:
    if profile not in PROFILES:
        raise CourseError(f"Unknown profile {profile!r}: choose one of {', '.join(PROFILES)}.")
    return profile


def resolve_profile(profile: str | None = None) -> str:
    """Papermill/explicit parameter, else ``$GANCORE_PROFILE``, else ``quick``."""
    chosen = profile or os.environ.get(PROFILE_ENV) or DEFAULT_PROFILE
    return check_profile(chosen)


def load_manifest(path: str | Path | None = None) -> Manifest:
    """Parse book.yml and check that every entry is complete and consistent."""
    path = Path(path) if path else paths.manifest_path()
    raw = yaml.safe_load(path.read_text())
    chapters = []
    for entry in raw.get("chapters", []):
        missing = {"id", "title", "skill", "notebook", "params"} - set(entry)
        if missing:
            raise CourseError(f"{path.name}: chapter {entry.get('id', '?')} lacks {sorted(missing)}")
        unknown = set(entry["params"]) - set(PROFILES) - {"common"}
        if unknown:
            raise CourseError(f"{path.name}: chapter {entry['id']} has unknown profiles {sorted(unknown)}")
        chapters.append(
            Chapter(
                id=entry["id"],
                title=entry["title"],
                skill=str(entry["skill"]),
                notebook=entry["notebook"],
                data=tuple(entry.get("data", [])),
                params=entry["params"],
                budget_seconds=entry.get("budget_seconds", {}),
                depends_on=tuple(entry.get("depends_on", [])),
                headline=tuple(entry.get("headline", [])),
                book=entry.get("book", {}),
                results=tuple(results.ResultRow.from_yaml(r, f"{path.name}: chapter {entry['id']}")
                              for r in entry.get("results", [])),
            )
        )
    ids = [c.id for c in chapters]
    if len(ids) != len(set(ids)):
        raise CourseError(f"{path.name}: duplicate chapter ids")
    skills = tuple((str(s["id"]), str(s["title"])) for s in raw.get("skills", []))
    exercises = tuple(Exercise(str(e["skill"]), str(e["notebook"]), str(e["source"])) for e in raw.get("exercises", []))
    if skills:
        unknown_skills = sorted({item.skill for item in (*chapters, *exercises)} - {skill for skill, _ in skills})
        if unknown_skills:
            raise CourseError(f"{path.name}: chapters or exercises of skills {unknown_skills} missing from the "
                              "skills list")
    manifest = Manifest(title=raw.get("title", "GAN course"), chapters=tuple(chapters), path=path, skills=skills,
                        exercises=exercises)
    for chapter in chapters:
        for dep in chapter.depends_on:
            manifest.chapter(dep)
    return manifest


class Settings(dict):
    """A chapter's resolved parameters; keys are also attributes (``cfg.steps``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(f"No setting {name!r}; known: {sorted(self)}") from err


@dataclass
class ChapterRun:
    """What a notebook needs after set-up: its settings, output folder and a metrics writer."""

    chapter: Chapter
    profile: str
    settings: Settings
    outputs: Path
    strategy: str = "one device"  # where it trains: gancore.training.strategies.describe
    started: float = field(default_factory=time.time)
    record: dict[str, Any] | None = None  # the last metrics.json written by save_metrics

    @property
    def interactive(self) -> bool:
        """True in a learner's own session (JupyterLab, Colab); False when the course runner executes the notebook
        headlessly (papermill, then the site), where widgets cannot be used and static figures stand in."""
        return RUN_ID_ENV not in os.environ

    def save_metrics(self, metrics: Mapping[str, Any], notes: Mapping[str, Any] | None = None) -> Path:
        """Write ``outputs/<chapter>/metrics.json`` with our numbers beside the book's."""
        record = {
            "chapter": self.chapter.id,
            "title": self.chapter.title,
            "profile": self.profile,
            "settings": dict(self.settings),
            "strategy": self.strategy,
            "metrics": _plain(metrics),
            "book": _plain(self.chapter.book),
            "headline": list(self.chapter.headline),
            "notes": _plain(notes or {}),
            "seconds": round(time.time() - self.started, 1),
            "run_id": os.environ.get(RUN_ID_ENV),
        }
        path = self.outputs / "metrics.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(record, indent=2))
        os.replace(tmp, path)
        self.record = record
        return path

    def results_table(self) -> str:
        """Markdown: the chapter's ``results`` rows from book.yml filled from the saved metrics, then the book."""
        record = self.record
        if record is None:
            raise RuntimeError("Call run.save_metrics(...) before run.show_results().")
        parts = []
        if self.chapter.results:
            parts.append(results.to_markdown(results.evaluate(record["metrics"], self.chapter.results), self.profile))
        else:
            rows = [results.ResultRow(label=k, key=k) for k in self.chapter.headline]
            parts.append(results.to_markdown(results.evaluate(record["metrics"], rows), self.profile))
        if self.chapter.book:
            parts.append(results.book_markdown(self.chapter.book))
        return "\n".join(parts)

    def show_results(self) -> None:
        """Render :meth:`results_table` (as Markdown in a notebook, as text elsewhere)."""
        text = self.results_table()
        try:
            from IPython import get_ipython
            from IPython.display import Markdown, display
        except ImportError:  # pragma: no cover - IPython ships with the course's kernel
            print(text)
            return
        if get_ipython() is None:
            print(text)
        else:
            display(Markdown(text))


def _plain(value: Any) -> Any:
    """Convert numpy scalars/arrays nested in dicts and lists into JSON types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def setup_chapter(chapter_id: str, profile: str | None = None, seed: int | None = None,
                  overrides: Mapping[str, Any] | None = None) -> ChapterRun:
    """Resolve the profile and settings of a chapter, seed everything and print what was chosen."""

    chapter = load_manifest().chapter(chapter_id)
    resolved = resolve_profile(profile)
    settings = Settings(chapter.settings(resolved))
    unknown = set(overrides or {}) - set(settings)
    if unknown:
        raise CourseError(f"Unknown override(s) {sorted(unknown)} for {chapter_id}; settings: {sorted(settings)}")
    settings.update(overrides or {})
    cut: dict = {}
    if dry_run.active() and resolved == "full":
        cut_values, cut = dry_run.cut_settings(settings)
        settings = Settings(cut_values)
    from gancore.training import strategies  # lazy: imports TensorFlow, which the runner's own process never needs

    strategy = strategies.activate()  # before any TensorFlow work: it may split the CPU into logical devices
    seed = settings.get("seed", 0) if seed is None else seed
    repro.seed_everything(seed)
    run = ChapterRun(chapter=chapter, profile=resolved, settings=settings, outputs=paths.outputs_dir(chapter_id),
                     strategy=strategies.describe(strategy))
    print(f"Chapter: {chapter.title} ({chapter.id}), skill {chapter.skill}")
    print(f"Profile: {resolved}   (papermill PROFILE parameter > ${PROFILE_ENV} > {DEFAULT_PROFILE})")
    print("Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    print(f"Outputs: {run.outputs}")
    if strategy.num_replicas_in_sync > 1 or os.environ.get(strategies.STRATEGY_ENV):
        print(f"Strategy: {run.strategy} (${strategies.STRATEGY_ENV}); batch sizes are global batches, split over "
              "the replicas")
    if cut:
        print("DRY RUN of the full profile (networks, resolutions and data layouts as in full; run length cut): "
              + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in cut.items()))
    print(repro.environment_report())
    return run
