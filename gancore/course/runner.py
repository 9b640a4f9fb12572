"""The course runner: execute chapters with papermill, write the run report, build the site."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path

import nbformat

from gancore import course, paths
from gancore.course import dry_run, notebooks, results, site
from gancore.training.callbacks import STEP_LOG_ENV, TENSORBOARD_ENV
from gancore.training.strategies import CHAPTER_STRATEGIES, STRATEGY_ENV


@dataclass
class ChapterResult:
    """What happened to one chapter in a run."""

    id: str
    title: str
    skill: str
    notebook: str
    status: str  # "ok", "failed" or "skipped"
    seconds: float = 0.0
    headline: dict[str, float] = field(default_factory=dict)
    error: str = ""
    budget: float | None = None  # the profile's time budget from book.yml, if any
    metrics: dict = field(default_factory=dict)  # everything the chapter saved in this run
    targets: list = field(default_factory=list)  # book.yml results rows with a target: value, target, met
    machine: str = ""
    date: str = ""
    commit: str = ""
    load_before: float | None = None  # 1-minute load average when the chapter started (idle machine: < 0.5)
    step_seconds: float | None = None  # dry runs of full: the slowest steady training step (from the step log)

    @property
    def over_budget(self) -> bool:
        return self.budget is not None and self.seconds > self.budget

    @property
    def targets_met(self) -> str:
        """``"2/3"``: targets met out of targets declared (empty when the chapter declares none)."""
        if not self.targets:
            return ""
        return f"{sum(t['met'] is True for t in self.targets)}/{len(self.targets)}"


@dataclass
class RunReport:
    profile: str
    out_dir: str
    chapters: list[ChapterResult]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.chapters)

    @classmethod
    def load(cls, path: Path) -> RunReport:
        """Read a report.json written by :func:`write_report`."""
        raw = json.loads(Path(path).read_text())
        known = {f.name for f in fields(ChapterResult)}
        chapters = [ChapterResult(**{k: v for k, v in c.items() if k in known}) for c in raw.pop("chapters")]
        return cls(chapters=chapters, **{k: v for k, v in raw.items() if k in {f.name for f in fields(cls)}})

    def to_markdown(self) -> str:
        lines = [f"# Run report ({self.profile} profile)", "",
                 f"{sum(c.status == 'ok' for c in self.chapters)} of {len(self.chapters)} chapters ran; "
                 f"total {self.seconds:.0f} s.", "",
                 "| chapter | skill | status | wall time (s) | budget (s) | targets met | headline metrics |",
                 "|---|---|---|---:|---:|---|---|"]
        for c in self.chapters:
            metrics = ", ".join(f"{k} = {results.format_value(v)}" for k, v in c.headline.items())
            if c.error:
                error = c.error.replace("|", "\\|")  # a "|" of the message would split the table cell
                metrics = f"{metrics}; {error}" if metrics else error
            budget = "-" if c.budget is None else f"{c.budget:.0f}" + (" (over)" if c.over_budget else "")
            lines.append(f"| {c.title} | {c.skill} | {c.status} | {c.seconds:.1f} | {budget} | "
                         f"{c.targets_met or '-'} | {metrics or '-'} |")
        return "\n".join(lines) + "\n"


def run_metrics(metrics_path: Path, run_id: str | None = None, profile: str | None = None) -> dict:
    """The metrics a chapter saved, or {} when the file is missing, unreadable or from another run/profile.

    The outputs folder is shared between runs, so a chapter that failed before saving would otherwise
    show the previous run's numbers.
    """
    try:
        record = json.loads(Path(metrics_path).read_text())
    except (OSError, ValueError):
        return {}
    if run_id is not None and record.get("run_id") != run_id:
        return {}
    if profile is not None and record.get("profile") != profile:
        return {}
    return record.get("metrics", {})


def machine_description() -> str:
    """CPU model, core count and OS, for the run report."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def git_commit(root: Path) -> str:
    """The checkout's commit (with ``+dirty`` when files differ from it), or "" outside git."""
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{commit}+dirty" if commit and dirty else commit


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def describe_failure(error: Exception, limit: int = 300) -> str:
    """One line naming the failing cell and the exception (type and message, from papermill's
    ``PapermillExecutionError``), without the traceback; a long message is cut to ``limit`` characters."""
    cell = getattr(error, "exec_count", None)
    ename, evalue = getattr(error, "ename", type(error).__name__), getattr(error, "evalue", str(error))
    where = f"cell [{cell}]: " if cell is not None else ""
    line = " ".join(f"{where}{ename}: {evalue}".split())  # one line: newlines and runs of spaces collapsed
    return line if len(line) <= limit else line[: limit - 3] + "..."


def execute_chapter(chapter: course.Chapter, profile: str, out_dir: Path, kernel: str = "python3") -> ChapterResult:
    """Run one notebook through papermill into ``out_dir``; never raises for a failing notebook."""
    import papermill

    root = paths.repo_root()
    source = root / chapter.notebook
    target = out_dir / chapter.notebook
    target.parent.mkdir(parents=True, exist_ok=True)
    result = ChapterResult(chapter.id, chapter.title, chapter.skill, chapter.notebook, "ok",
                           budget=chapter.budget_seconds.get(profile), machine=machine_description(),
                           date=datetime.now(timezone.utc).isoformat(timespec="seconds"), commit=git_commit(root),
                           load_before=load_average())
    run_id = uuid.uuid4().hex
    previous = os.environ.get(course.RUN_ID_ENV)
    os.environ[course.RUN_ID_ENV] = run_id  # the kernel inherits it; save_metrics records it
    started = time.perf_counter()
    try:
        papermill.execute_notebook(str(source), str(target), parameters={"PROFILE": profile},
                                   kernel_name=kernel, cwd=str(source.parent), progress_bar=False)
    except Exception as error:  # noqa: BLE001 - any failure is reported, the other chapters still run
        result.status = "failed"
        result.error = f"{chapter.notebook} {describe_failure(error)}"
    finally:
        if target.is_file():  # the executed copy (also of a failed run) without TensorFlow's C++ log lines
            executed = nbformat.read(target, as_version=4)
            if notebooks.drop_tensorflow_logs(executed):
                nbformat.write(executed, target)
        if previous is None:
            os.environ.pop(course.RUN_ID_ENV, None)
        else:
            os.environ[course.RUN_ID_ENV] = previous
    result.seconds = round(time.perf_counter() - started, 1)
    if result.status == "ok":  # a failed chapter shows its error, never numbers (maybe a previous run's)
        result.metrics = run_metrics(paths.outputs_dir(chapter.id) / "metrics.json", run_id, profile)
    result.headline = {k: result.metrics[k] for k in chapter.headline if k in result.metrics}
    result.targets = results.targets_summary(results.evaluate(result.metrics, chapter.results))
    return result


def write_report(report: RunReport, out: Path) -> RunReport:
    """report.json and report.md in ``out`` (each replaced atomically)."""
    for name, text in (("report.json", json.dumps(asdict(report), indent=2)), ("report.md", report.to_markdown())):
        tmp = out / f".{name}.tmp"
        tmp.write_text(text)
        os.replace(tmp, out / name)
    return report


GPU_REFERENCE = ("an NVIDIA T4 (Colab's usual GPU)", 8.1)  # its float32 peak, TFLOP/s


def run_chapter(chapter_id: str, profile: str, out: str, env: dict[str, str]) -> ChapterResult:
    """One chapter with extra environment variables for its kernel (restored afterwards); also the unit of work
    of ``--jobs`` (a worker process each), so it takes and returns plain, picklable values."""
    chapter = course.load_manifest().chapter(chapter_id)
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        result = execute_chapter(chapter, profile, Path(out))
        if STEP_LOG_ENV in env:
            result.step_seconds = dry_run.step_seconds(dry_run.read_step_log(Path(env[STEP_LOG_ENV])))
        return result
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def progress_line(done: int, total: int, result: ChapterResult, elapsed: float, left_budget: float | None,
                  jobs: int) -> str:
    """``[3/32] gan-digits: ok in 41 s | elapsed 5 min | about 20 min left (budgets)``."""
    line = f"[{done}/{total}] {result.id}: {result.status} in {result.seconds:.0f} s | elapsed {elapsed / 60:.1f} min"
    if done < total:
        line += (f" | at most about {left_budget / jobs / 60:.0f} min left (the chapters' budgets)"
                 if left_budget is not None else " | time left unknown (no budgets for this profile)")
    if result.error:
        line += f" | {result.error}"
    return line


def run_course(profile: str | None = None, chapter_ids: list[str] | None = None, out_dir: str | Path | None = None,
               outputs_dir: str | Path | None = None, build_site: bool = True, jobs: int = 1,
               dry: bool = False, tensorboard: str | Path | None = None, strategy: str | None = None) -> RunReport:
    """Execute chapters (dependencies first; ``jobs`` at a time in worker processes), write report.json/report.md
    after each, and build the site. ``dry``: the dry run of the ``full`` profile (:mod:`gancore.course.dry_run`) on mini
    data sets in the book's layouts, with step timings and ``full-estimates.md``. ``tensorboard``: a folder for
    TensorBoard logs, one subfolder per chapter. ``strategy``: ``mirrored`` trains every chapter on all the GPUs
    of this machine (:func:`gancore.training.strategies.activate`); default ``$GANCORE_STRATEGY``, else one device."""
    profile = course.resolve_profile(profile)
    if dry and profile != "full":
        raise course.CourseError(f"--dry-run is a dry run of the full profile; got --profile {profile}")
    if jobs < 1:
        raise course.CourseError(f"--jobs must be at least 1, got {jobs}")
    if strategy and strategy not in CHAPTER_STRATEGIES:
        raise course.CourseError(f"--strategy {strategy!r}: chapters train under one of "
                                 f"{', '.join(CHAPTER_STRATEGIES)} (several machines: `gancore train`)")
    manifest = course.load_manifest()
    root = paths.repo_root()
    chapters = manifest.ordered(chapter_ids)  # an unknown chapter id stops the run before anything ran
    out = make_folder(Path(out_dir) if out_dir else root / "_build" / (f"{profile}-dry-run" if dry else profile),
                      "--out")
    if outputs_dir:
        os.environ["GANCORE_OUTPUTS"] = str(make_folder(Path(outputs_dir), "--outputs").resolve())
    os.environ["GANCORE_ROOT"] = str(root)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # kernels inherit it: no C++ start-up chatter in notebooks
    common: dict[str, str] = {STRATEGY_ENV: strategy} if strategy else {}
    if dry:
        mini = dry_run.build_mini_data(out / "mini-data", paths.data_dir())
        common |= {dry_run.DRY_RUN_ENV: "1", "GANCORE_DATA": str(mini.resolve())}
        print(f"[full dry run] mini data sets in the book's layouts: {mini}", flush=True)

    def env_for(chapter: course.Chapter) -> dict[str, str]:
        env = dict(common)
        if tensorboard:
            env[TENSORBOARD_ENV] = str((Path(tensorboard) / chapter.id).resolve())
        if not dry:
            return env
        log = out / "step-times" / f"{chapter.id}.jsonl"
        log.unlink(missing_ok=True)
        return {**env, STEP_LOG_ENV: str(log)}

    started = time.perf_counter()
    results_by_id: dict[str, ChapterResult] = {}
    failed: set[str] = set()
    report = RunReport(profile, str(out), [])
    budgets = {c.id: c.budget_seconds.get(profile) for c in chapters}

    def finish(result: ChapterResult) -> None:
        nonlocal report
        results_by_id[result.id] = result
        if result.status != "ok":
            failed.add(result.id)
        left = [budgets[c.id] for c in chapters if c.id not in results_by_id]
        left_budget = None if any(b is None for b in left) else float(sum(left))
        elapsed = time.perf_counter() - started
        print(progress_line(len(results_by_id), len(chapters), result, elapsed, left_budget, jobs), flush=True)
        ordered = [results_by_id[c.id] for c in chapters if c.id in results_by_id]
        # rewritten after every chapter, so an interrupted run still leaves a report of what ran
        report = write_report(RunReport(profile, str(out), ordered, round(elapsed, 1)), out)

    def skip_if_blocked(chapter: course.Chapter) -> bool:
        blocked = [d for d in chapter.depends_on if d in failed]
        if blocked:
            finish(ChapterResult(chapter.id, chapter.title, chapter.skill, chapter.notebook, "skipped",
                                 error=f"dependency failed: {', '.join(blocked)}"))
        return bool(blocked)

    print(f"[{profile}{' dry run' if dry else ''}] {len(chapters)} chapters, {jobs} at a time", flush=True)
    if jobs == 1:
        for chapter in chapters:
            if not skip_if_blocked(chapter):
                print(f"[{profile}] {chapter.id}: running {chapter.notebook} ...", flush=True)
                finish(run_chapter(chapter.id, profile, str(out), env_for(chapter)))
    else:
        _run_parallel(chapters, profile, out, jobs, env_for, finish, skip_if_blocked, results_by_id)
    print(report.to_markdown())
    if dry:
        write_estimates(chapters, report, out)
    if build_site and not any(c.status == "ok" for c in report.chapters):
        print(f"no chapter succeeded: site not built (the errors are in {out / 'report.md'}; fix them and run "
              "again, or build the site later with `gancore site`)", flush=True)
    elif build_site:

        html = site.build_site(report, manifest, out)
        print(f"Site: {html / 'index.html'}")
    return report


def _run_parallel(chapters, profile, out, jobs, env_for, finish, skip_if_blocked, results_by_id) -> None:
    """Run chapters ``jobs`` at a time in spawned worker processes (each with its own environment), starting a
    chapter only once every chapter it depends on has finished."""
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    pending = list(chapters)
    in_run = {c.id for c in chapters}
    running = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        while pending or running:
            for chapter in list(pending):
                if len(running) >= jobs:
                    break
                if skip_if_blocked(chapter):
                    pending.remove(chapter)
                    continue
                if all(d in results_by_id or d not in in_run for d in chapter.depends_on):
                    print(f"[{profile}] {chapter.id}: running {chapter.notebook} ...", flush=True)
                    running[pool.submit(run_chapter, chapter.id, profile, str(out), env_for(chapter))] = chapter
                    pending.remove(chapter)
            if not running:
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                chapter = running.pop(future)
                try:
                    finish(future.result())
                except Exception as error:  # noqa: BLE001 - a crashed worker fails its chapter, not the run
                    finish(ChapterResult(chapter.id, chapter.title, chapter.skill, chapter.notebook, "failed",
                                         error=f"worker process failed: {type(error).__name__}: {error}"))


def write_estimates(chapters, report: RunReport, out: Path) -> list[dict]:
    """``full-estimates.json`` and ``.md``: each chapter's dry-run status, seconds per training step here, the
    full profile's steps, and CPU / GPU hours extrapolated from them."""
    name, tflops = GPU_REFERENCE
    gflops = dry_run.measure_gflops()
    by_id = {c.id: {"status": c.status, "seconds": c.seconds, "step_seconds": c.step_seconds, "error": c.error,
                    "load": c.load_before} for c in report.chapters}
    rows = dry_run.estimate_rows(chapters, by_id, gflops, tflops)
    data = {"machine": machine_description(), "gflops_here": round(gflops, 1), "gpu": name, "gpu_tflops": tflops,
            "rows": rows}
    (out / "full-estimates.json").write_text(json.dumps(data, indent=2) + "\n")
    text = "# `full` profile: dry run and cost estimates\n\n" + dry_run.estimates_markdown(data)
    (out / "full-estimates.md").write_text(text)
    print(text)
    return rows


def make_folder(path: Path, option: str) -> Path:
    """``path`` created as a folder (with its parents), or a :class:`course.CourseError` naming ``option``."""
    if path.exists() and not path.is_dir():
        raise course.CourseError(f"{option} {path} is a file, not a folder: choose a folder (it is created if "
                                 "missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise course.CourseError(f"{option} {path}: cannot create the folder ({error.strerror or error}); "
                                 "choose another folder") from None
    return path
