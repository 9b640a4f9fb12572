"""User mistakes get one clear line (what went wrong, what to do) instead of a traceback, a wrong result or a
silently mixed run: ``gancore run``/``site`` on a tiny course of its own, ``gancore train`` on tiny images."""

from __future__ import annotations

import csv
import json
import re

import imageio.v3 as iio
import nbformat
import numpy as np
import pytest

from gancore import course
from gancore.app import cli, train_command
from gancore.course import runner, site

from .conftest import ROOT, StopAfter

TINY = ["--image-size", "16", "--width", "8", "--batch-size", "4", "--latent-dim", "8", "--critic-steps", "1",
        "--progress", "none"]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """Twelve small random colour PNGs."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    for i in range(12):
        iio.imwrite(folder / f"{i:02d}.png", rng.integers(0, 256, (20, 20, 3), dtype=np.uint8))
    return folder


def train(images, out, *options):
    return cli.main(["train", "--data", str(images), "--out", str(out), *TINY, *options])


def error_line(err: str, command: str = "train") -> str:
    """The one line ``gancore <command>: error: ...`` of stderr (TensorFlow may log other lines)."""
    lines = [line for line in err.splitlines() if line.startswith(f"gancore {command}: error: ")]
    assert len(lines) == 1, err
    return lines[0]


def losses_epochs(out) -> list[int]:
    with open(out / "losses.csv") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


# --- gancore run / site on a course of two tiny notebooks -----------------------------------------------------

NOTEBOOK_CODE = """
from pathlib import Path
from gancore import course, paths
chapter = course.load_manifest().chapter(CHAPTER)
run = course.ChapterRun(chapter=chapter, profile=course.resolve_profile(PROFILE), settings=course.Settings(),
                        outputs=paths.outputs_dir(CHAPTER))
if Path(CHAPTER + ".fail").exists():
    raise ValueError("bad | input\\nsecond line")
run.save_metrics({"fd": 1.5})
if Path(CHAPTER + ".fail-late").exists():
    raise RuntimeError("failed after saving its metrics")
"""


@pytest.fixture
def tiny_course(tmp_path, monkeypatch):
    """A course root with chapters ``alpha`` and ``beta``; a chapter fails when ``<id>.fail`` exists."""
    root = tmp_path / "course"
    root.mkdir()
    lines = ["title: Tiny course", "chapters:"]
    for chapter in ("alpha", "beta"):
        lines.append(f"  - {{id: {chapter}, title: {chapter.title()}, skill: 1, notebook: {chapter}.ipynb, "
                     "headline: [fd], params: {smoke: {}, quick: {}, full: {}}}")
        nb = nbformat.v4.new_notebook()
        parameters = nbformat.v4.new_code_cell("PROFILE = None")
        parameters.metadata["tags"] = ["parameters"]
        nb.cells = [parameters, nbformat.v4.new_code_cell(f"CHAPTER = {chapter!r}\n" + NOTEBOOK_CODE)]
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / f"{chapter}.ipynb")
    (root / "book.yml").write_text("\n".join(lines) + "\n")
    # run_course sets these for the kernels: registered here so that they are restored afterwards
    monkeypatch.setenv("GANCORE_ROOT", str(root))
    monkeypatch.setenv("GANCORE_OUTPUTS", str(root / "outputs"))
    monkeypatch.delenv(course.RUN_ID_ENV, raising=False)
    return root


def test_a_chapter_failing_on_a_rerun_shows_its_error_not_the_previous_runs_metrics(tiny_course):
    first = runner.run_course("smoke", ["alpha"], tiny_course / "run", build_site=False)
    assert first.ok and first.chapters[0].headline == {"fd": 1.5}
    record = json.loads((tiny_course / "outputs" / "alpha" / "metrics.json").read_text())
    assert record["profile"] == "smoke" and re.fullmatch(r"[0-9a-f]{32}", record["run_id"])

    (tiny_course / "alpha.fail").write_text("")
    second = runner.run_course("smoke", ["alpha"], tiny_course / "run", build_site=False)
    result = second.chapters[0]
    assert result.status == "failed" and result.headline == {} and result.metrics == {}
    assert "ValueError: bad" in result.error and "\n" not in result.error
    row = next(line for line in (tiny_course / "run" / "report.md").read_text().splitlines() if "| Alpha |" in line)
    assert "fd = 1.5" not in row and "ValueError: bad" in row and "second line" in row
    assert row.count("|") - row.count("\\|") == 8  # the error's own "|" does not add a column

    (tiny_course / "alpha.fail").rename(tiny_course / "alpha.fail-late")  # numbers of this run, then an error
    third = runner.run_course("smoke", ["alpha"], tiny_course / "run", build_site=False).chapters[0]
    assert third.status == "failed" and third.headline == {} and "RuntimeError: failed after" in third.error


def test_a_run_where_every_chapter_failed_skips_the_site_with_a_message(tiny_course, monkeypatch, capsys):
    for chapter in ("alpha", "beta"):
        (tiny_course / f"{chapter}.fail").write_text("")

    real_build_site = site.build_site

    def no_site(*args, **kwargs):
        raise AssertionError("the site must not be built when no chapter ran")

    monkeypatch.setattr(site, "build_site", no_site)
    assert cli.main(["run", "--profile", "smoke", "--out", str(tiny_course / "run")]) == 1
    out = capsys.readouterr().out
    assert "no chapter succeeded" in out and "site not built" in out
    assert (tiny_course / "run" / "report.md").is_file()
    monkeypatch.setattr(site, "build_site", real_build_site)  # its own check stops `gancore site` alike
    assert cli.main(["site", "--out", str(tiny_course / "run")]) == 2
    assert "no chapter succeeded" in error_line(capsys.readouterr().err, "site")


def test_run_and_site_with_a_wrong_out_folder_give_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GANCORE_OUTPUTS", str(tmp_path / "outputs"))  # restored afterwards
    monkeypatch.setenv("GANCORE_ROOT", str(ROOT))
    file = tmp_path / "notes.txt"
    file.write_text("not a folder")
    assert cli.main(["run", "--profile", "smoke", "--chapters", "vae-digits", "--out", str(file)]) == 2
    assert str(file) in error_line(capsys.readouterr().err, "run")
    assert cli.main(["run", "--profile", "smoke", "--chapters", "vae-digits", "--out", str(tmp_path / "r"),
                     "--outputs", str(file)]) == 2
    assert "--outputs" in error_line(capsys.readouterr().err, "run")
    assert cli.main(["site", "--out", str(tmp_path / "missing")]) == 2
    line = error_line(capsys.readouterr().err, "site")
    assert "missing" in line and "gancore run" in line


@pytest.mark.parametrize("command", [["run"], ["notebooks", "check"], ["results", "record"]])
def test_chapters_needs_at_least_one_id(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.build_parser().parse_args([*command, "--chapters"])
    assert exit_info.value.code == 2
    assert "--chapters: expected at least one argument" in capsys.readouterr().err


# --- gancore train ---------------------------------------------------------------------------------------------


def test_resuming_with_other_options_is_refused_naming_each_change(images, tmp_path, capsys):
    out = tmp_path / "run"
    assert train(images, out, "--steps", "4", "--steps-per-epoch", "2") == 0
    saved = (out / "config.json").read_bytes()
    capsys.readouterr()
    assert train(images, out, "--steps", "12", "--steps-per-epoch", "4") == 2
    line = error_line(capsys.readouterr().err)
    assert "--steps-per-epoch 2 -> 4" in line and "--steps " not in line
    assert "same options" in line and "another --out" in line
    assert train(images, out, "--steps", "4", "--steps-per-epoch", "2", "--width", "16", "--model", "dcgan") == 2
    line = error_line(capsys.readouterr().err)
    assert "--width 8 -> 16" in line and "--model wgan-gp -> dcgan" in line
    assert "--critic-norm" not in line  # follows from --model, not chosen
    assert (out / "config.json").read_bytes() == saved


def test_resuming_may_extend_steps_and_change_cosmetic_options(images, tmp_path, capsys):
    out = tmp_path / "run"
    assert train(images, out, "--steps", "2", "--steps-per-epoch", "1") == 0
    assert train(images, out, "--steps", "3", "--steps-per-epoch", "1", "--progress", "epoch",
                 "--cache-mb", "0") == 0
    assert "Trained steps 2-3" in capsys.readouterr().out
    assert losses_epochs(out) == [0, 1, 2]


def test_out_inside_data_is_refused(images, tmp_path, capsys):
    import shutil

    images = shutil.copytree(images, tmp_path / "images")  # a run written into it must not reach the other tests
    for out in (images / "run", images):
        assert train(images, out, "--steps", "1", "--steps-per-epoch", "1") == 2
        line = error_line(capsys.readouterr().err)
        assert "inside --data" in line and "--out" in line
    assert not (images / "run").exists()


def test_out_naming_a_file_is_one_line(images, tmp_path, capsys):
    file = tmp_path / "run.txt"
    file.write_text("")
    assert train(images, file, "--steps", "1", "--steps-per-epoch", "1") == 2
    assert "is a file" in error_line(capsys.readouterr().err)


def test_ctrl_c_says_where_training_stopped_and_how_to_resume(images, tmp_path, capsys, monkeypatch):
    from gancore.training import fitting

    real_fit_steps = fitting.fit_steps

    def interrupted_fit_steps(*args, callbacks=(), **kwargs):
        return real_fit_steps(*args, callbacks=[*callbacks, StopAfter(2)], **kwargs)

    monkeypatch.setattr(train_command, "fit_steps", interrupted_fit_steps)  # the name the command calls
    out = tmp_path / "run"
    assert train(images, out, "--steps", "4", "--steps-per-epoch", "1") == 130
    err = capsys.readouterr().err
    assert "interrupted at step 2; run the same command to resume" in err and "Traceback" not in err
    monkeypatch.setattr(train_command, "fit_steps", real_fit_steps)
    assert train(images, out, "--steps", "4", "--steps-per-epoch", "1") == 0
    assert "Trained steps 2-4" in capsys.readouterr().out


@pytest.fixture
def two_epochs(images, tmp_path):
    """A run of 2 steps, one per epoch: the backup holds step 2, its previous copy (.bkp) step 1."""
    out = tmp_path / "run"
    assert train(images, out, "--steps", "2", "--steps-per-epoch", "1") == 0
    return out


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.parametrize("damaged", ["latest.weights.h5", "training_metadata.json"])
def test_a_damaged_backup_resumes_consistently_from_its_previous_copy(two_epochs, images, capsys, damaged):
    truncate(two_epochs / "backup" / damaged)
    capsys.readouterr()
    assert train(images, two_epochs, "--steps", "3", "--steps-per-epoch", "1") == 0
    captured = capsys.readouterr()
    assert damaged in captured.err and "resuming from the previous copy at step 1" in captured.err
    assert "Trained steps 1-3" in captured.out
    assert losses_epochs(two_epochs) == [0, 1, 2]  # no duplicate rows: losses.csv cut back to step 1


def test_a_backup_damaged_beyond_repair_is_one_line_with_ways_out(two_epochs, images, capsys):
    for name in ("latest.weights.h5", "latest.weights.h5.bkp"):
        truncate(two_epochs / "backup" / name)
    assert train(images, two_epochs, "--steps", "3", "--steps-per-epoch", "1") == 2
    line = error_line(capsys.readouterr().err)
    assert "latest.weights.h5 " in line and "latest.weights.h5.bkp" in line
    assert f"delete {two_epochs / 'backup'}" in line


def test_weights_at_another_step_than_the_metadata_are_not_resumed(two_epochs, images, capsys):
    backup = two_epochs / "backup"
    (backup / "latest.weights.h5").write_bytes((backup / "latest.weights.h5.bkp").read_bytes())  # step 1, says 2
    assert train(images, two_epochs, "--steps", "3", "--steps-per-epoch", "1") == 0
    captured = capsys.readouterr()
    assert "resuming from the previous copy at step 1" in captured.err
    assert losses_epochs(two_epochs) == [0, 1, 2]


def test_the_cost_of_the_run_is_printed_before_training(images, tmp_path, capsys):
    out = tmp_path / "run"
    assert train(images, out, "--steps", "3", "--steps-per-epoch", "1") == 0
    printed = capsys.readouterr().out
    gan = train_command.build_gan(train_command.TrainConfig(data=images, out=out, image_size=16, width=8, latent_dim=8,
                                                critic_steps=1, batch_size=4))
    parameters = gan.generator.count_params() + gan.discriminator.count_params()
    plan = next(line for line in printed.splitlines() if line.startswith("Cost:"))
    assert f"{parameters:,} parameters" in plan and "3 steps" in plan and "--image-size" in plan
    measured = next(line for line in printed.splitlines() if line.startswith("Measured:"))
    assert "s per step" in measured
    assert printed.index("Cost:") < printed.index("Measured:") < printed.index("Trained steps")
