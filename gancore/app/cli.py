"""The ``gancore`` command: run the course, list its chapters."""

from __future__ import annotations

import argparse
import sys

from gancore import course, paths
from gancore.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    """The ``gancore`` command line: run, site, list, notebooks, results, exercises and train."""
    parser = argparse.ArgumentParser(prog="gancore", description="Run and inspect the GAN course.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute chapters with papermill, write the run report, build the site")
    run.add_argument("--profile", default=None, help="smoke, quick or full (default: $GANCORE_PROFILE or quick)")
    run.add_argument("--chapters", nargs="+", default=None,
                     help="one or more chapter ids (default: all, in book order)")
    run.add_argument("--out", default=None, help="folder for executed notebooks, report and site")
    run.add_argument("--outputs", default=None, help="folder for chapter outputs (default: outputs/)")
    run.add_argument("--no-site", action="store_true", help="skip the Jupyter Book build")
    run.add_argument("--jobs", type=int, default=1,
                     help="chapters run at the same time, each in its own worker process (default 1); dependencies "
                     "still run first. Each chapter's TensorFlow uses every core, so more jobs than cores slows all")
    run.add_argument("--dry-run", action="store_true",
                     help="with --profile full: the book's networks and data layouts (mini data sets built from "
                     "real photos), training cut to 2 steps; writes full-estimates.md (s/step here, GPU hours)")
    run.add_argument("--tensorboard", default=None, metavar="DIR",
                     help="also write TensorBoard logs (losses, metrics, sample grids) to DIR/<chapter id>; "
                     "view them with `tensorboard --logdir DIR`")
    run.add_argument("--strategy", default=None, choices=["one", "mirrored"],
                     help="mirrored: train each chapter on every GPU of this machine (tf.distribute; without GPUs "
                     "the logical CPU devices of $GANCORE_CPU_DEVICES); the chapters' batch sizes are then global "
                     "batches. Default: $GANCORE_STRATEGY, else one device")
    site = sub.add_parser("site", help="build the site from a run folder's report.json (e.g. after an interruption)")
    site.add_argument("--out", default="_build/quick", help="the run folder (holds report.json and the notebooks)")
    sub.add_parser("list", help="list the chapters of book.yml")
    nb = sub.add_parser("notebooks", help="check/strip committed notebooks, refresh their check cells")
    nb.add_argument("action", choices=["check", "strip", "refresh"])
    nb.add_argument("--executed", default="_build/smoke", help="folder of executed copies (for refresh)")
    nb.add_argument("--chapters", nargs="+", default=None, help="one or more chapter ids (default: all)")
    res = sub.add_parser("results", help="commit a run's results (results/<profile>/report.json) and regenerate "
                         "the README's results table from it")
    res.add_argument("action", choices=["record", "readme"],
                     help="record: merge a run folder's chapters into results/<profile>/report.json; "
                     "readme: rewrite the README table from it (--check: fail if it is stale)")
    res.add_argument("--run", default="_build/quick", help="run folder holding report.json (for record)")
    res.add_argument("--chapters", nargs="+", default=None,
                     help="one or more chapter ids to record (default: all in the run)")
    res.add_argument("--profile", default="quick", help="which committed report the README shows")
    res.add_argument("--check", action="store_true", help="readme: exit 1 if README.md is not up to date")
    ex = sub.add_parser("exercises", help="generate the learner exercise notebooks from their sources (nbgrader)")
    ex.add_argument("action", choices=["release", "check"],
                    help="release: regenerate chapters/exercises/*.ipynb from chapters/exercises/solutions/; "
                    "check: exit 1 if a learner notebook is stale")
    add_train_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one ``gancore`` command; a :class:`gancore.errors.UserError` is printed on one line (exit 2)."""

    args = build_parser().parse_args(argv)
    try:
        return run_command(args)
    except UserError as error:
        print(f"gancore {args.command}: error: {error}", file=sys.stderr)
        return 2


def run_command(args) -> int:
    if args.command == "train":
        return train_command(args)

    from pathlib import Path


    if args.command == "list":
        for chapter in course.load_manifest().chapters:
            print(f"{chapter.id:24s} skill {chapter.skill:4s} {chapter.notebook}")
        return 0
    if args.command == "site":
        from gancore.course import (  # lazy: papermill and nbformat cost a second; `gancore --help` should not wait
            runner,
            site,
        )

        report_path = Path(args.out) / "report.json"
        if not report_path.is_file():
            raise course.CourseError(f"{args.out} holds no report.json: `gancore site` builds the site of a run "
                                     f"folder; run the chapters first with `gancore run --out {args.out}`, or "
                                     "name an existing run folder with --out")
        report = runner.RunReport.load(report_path)
        print(f"Site: {site.build_site(report, course.load_manifest(), Path(args.out)) / 'index.html'}")
        return 0
    if args.command == "notebooks":
        return notebooks_command(args.action, args.executed, args.chapters)
    if args.command == "results":
        return results_command(args)
    if args.command == "exercises":
        from gancore.course import exercises  # lazy: nbgrader takes seconds to import; only this command needs it

        return exercises.main([args.action])
    from gancore.course import runner  # lazy: papermill and nbformat cost a second; `gancore --help` should not wait

    report = runner.run_course(args.profile, args.chapters, args.out, args.outputs, build_site=not args.no_site,
                               jobs=args.jobs, dry=args.dry_run, tensorboard=args.tensorboard,
                               strategy=args.strategy)
    return 0 if report.ok else 1


def add_train_parser(sub) -> None:
    """``gancore train``: options mirror :class:`gancore.app.train_command.TrainConfig`."""
    train = sub.add_parser("train", help="train a GAN on a folder of images (resumes when --out holds a backup)",
                           description="Train a GAN on any folder of images. Writes sample grids and their GIF, "
                           "losses.csv/png, generator weights every --save-every epochs, generator.keras and a "
                           "backup: run the same command again to continue after an interruption, or with a "
                           "larger --steps to train further (other options cannot change within a run: use a new "
                           "--out for them). A run's cost (parameters, steps, measured seconds per step) is "
                           "printed as it starts.")
    train.add_argument("--data", required=True, help="folder of .jpg/.png/.gif/.bmp images (searched recursively)")
    train.add_argument("--out", required=True, help="output folder (created; not inside --data)")
    train.add_argument("--model", default="wgan-gp", choices=["wgan-gp", "wgan", "dcgan"],
                       help="loss and optimizer defaults: wgan-gp (Adam 1e-4, betas 0/0.9, penalty 10), "
                       "wgan (RMSprop 5e-5, clip 0.01), dcgan (Adam 2e-4, beta_1 0.5)")
    train.add_argument("--arch", default="default", choices=["default", "s1", "s2", "s3"],
                       help="networks: default (DCGAN-style, any size s*2^k, tanh); the seed projects' s1 (48x48, "
                       "conv+ReLU critic with Dense 150/50, z 15), s2 (64x64, BN-ReLU-ConvT blocks, sigmoid, "
                       "noise 128) or s3 (64x64 DCGAN style, sigmoid, z 100; --critic-norm batch or layer)")
    train.add_argument("--image-size", type=int, default=None,
                       help="images are resized on the fly to this square size (default: the arch's, else 64)")
    train.add_argument("--channels", type=int, default=3, choices=[1, 3])
    train.add_argument("--latent-dim", type=int, default=None, help="noise size (default: the arch's, else 128)")
    train.add_argument("--batch-size", type=int, default=64)
    train.add_argument("--steps", type=int, default=2000, help="generator updates in total")
    train.add_argument("--steps-per-epoch", type=int, default=100, help="steps between checkpoints and logs")
    train.add_argument("--critic-steps", type=int, default=None, help="critic updates per generator update")
    train.add_argument("--gp-weight", type=float, default=None, help="WGAN-GP penalty weight (lambda)")
    train.add_argument("--clip-value", type=float, default=None, help="WGAN weight clipping bound")
    train.add_argument("--critic-norm", default=None, choices=["batch", "layer", "none"])
    train.add_argument("--allow-batchnorm-critic", action="store_true",
                       help="let WGAN-GP train a batchnorm critic anyway (to compare with a project that did)")
    train.add_argument("--g-lr", type=float, default=None, help="generator learning rate")
    train.add_argument("--d-lr", type=float, default=None, help="critic learning rate")
    train.add_argument("--beta-1", type=float, default=None, help="Adam's beta_1 for both optimizers")
    train.add_argument("--beta-2", type=float, default=None, help="Adam's beta_2 for both optimizers")
    for which in ("g", "d"):
        train.add_argument(f"--{which}-schedule", default="constant",
                           help="constant, step:FACTOR:EPOCHS (e.g. step:0.1:50) or linear[:EPOCHS]")
    train.add_argument("--width", type=int, default=64,
                       help="filters of the narrowest layer (default arch); seed archs scale channels by width/64")
    train.add_argument("--save-every", type=int, default=1,
                       help="epochs between sample grids, generator weights and full checkpoints")
    train.add_argument("--frame-every", type=int, default=0,
                       help="also render one fixed noise vector every N steps into frames.gif (0: off)")
    train.add_argument("--no-fresh-real", dest="fresh_real", action="store_false",
                       help="reuse one real batch for all critic updates of a step (default: a new one for each)")
    train.add_argument("--cache-mb", type=int, default=512,
                       help="decode the whole folder into memory when it fits in this many MB (0: always stream)")
    train.add_argument("--progress", default="bar", choices=["bar", "epoch", "none"],
                       help="a progress bar per epoch, one line per epoch, or silence")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--tensorboard", action="store_true",
                       help="also log losses, learning rates and sample grids for TensorBoard in OUT/tensorboard "
                       "(view: tensorboard --logdir OUT/tensorboard)")
    train.add_argument("--strategy", default="one", choices=["one", "mirrored", "multiworker"],
                       help="one device (default); mirrored: every GPU of this machine (without GPUs: the logical "
                       "CPU devices of $GANCORE_CPU_DEVICES); multiworker: the machines of $TF_CONFIG, one command "
                       "per machine, the chief writing --out. --batch-size is the global batch, split over the "
                       "replicas; learning rates are unchanged")
    train.add_argument("--mixed-precision", action="store_true",
                       help="compute in float16 with float32 weights and loss scaling (mixed_float16; for GPUs)")
    train.add_argument("--xla", action="store_true",
                       help="compile the training step with XLA (jit_compile=True; default: Keras decides, XLA "
                       "only on a GPU with --strategy one)")


PROGRESS = {"bar": 1, "epoch": 2, "none": 0}  # --progress -> Keras' fit(verbose=...)


def config_from_args(args):
    """The :class:`gancore.app.train_command.TrainConfig` of parsed ``gancore train`` arguments."""
    from pathlib import Path

    from gancore.app import train_command  # lazy: imports TensorFlow (seconds); only `gancore train` needs it

    options = {k: v for k, v in vars(args).items() if k not in ("command", "progress")}
    return train_command.TrainConfig(**{**options, "data": Path(args.data), "out": Path(args.out),
                                  "verbose": PROGRESS[args.progress]})


def train_command_line(config) -> str:
    """The ``gancore train`` command that runs ``config`` (options left at their defaults are omitted)."""
    import dataclasses
    import shlex

    from gancore.app import train_command  # lazy: imports TensorFlow (seconds); only `gancore train` needs it

    defaults = train_command.TrainConfig(data=config.data, out=config.out)
    parts = ["gancore", "train", "--data", str(config.data), "--out", str(config.out)]
    for item in dataclasses.fields(config):
        name, value = item.name, getattr(config, item.name)
        if name in ("data", "out", "extra") or value == getattr(defaults, name):
            continue
        if name == "verbose":
            parts += ["--progress", {v: k for k, v in PROGRESS.items()}.get(value, "bar")]
        elif name == "fresh_real":
            parts.append("--no-fresh-real")
        elif isinstance(value, bool):
            parts.append("--" + name.replace("_", "-"))
        else:
            parts += ["--" + name.replace("_", "-"), str(value)]
    return shlex.join(parts)


def train_command(args) -> int:
    """``gancore train``; Ctrl-C stops it with one line saying how to resume (exit 130, as for SIGINT)."""
    from gancore.app import train_command  # lazy: imports TensorFlow (seconds); only `gancore train` needs it

    config = config_from_args(args)
    try:
        result = train_command.train(config)
    except train_command.TrainingInterrupted as stop:
        resume = "" if stop.resume_step == stop.step else f" (from the last backup, step {stop.resume_step})"
        print(f"gancore train: interrupted at step {stop.step}; run the same command to resume{resume}",
              file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("gancore train: interrupted before training started (nothing new saved); run the same command to "
              "start again", file=sys.stderr)
        return 130
    print(f"Trained steps {result.start_step}-{result.end_step} on {result.images} images "
          f"({result.skipped} skipped). Outputs in {result.out}")
    return 0


def results_command(args) -> int:
    """``gancore results record|readme``."""
    from pathlib import Path

    from gancore.course import published  # lazy: papermill and nbformat cost a second; `gancore --help` should not wait

    manifest = course.load_manifest()
    if args.action == "record":
        if (Path(args.run) / published.ESTIMATES_FILE).is_file():  # a dry run: only its estimates are recorded
            print(f"{published.record_estimates(args.run)}: the full profile's dry-run estimates")
        else:
            report = published.record(args.run, args.chapters, manifest=manifest)
            print(f"{published.store_path(report.profile)}: {len(report.chapters)} chapters")
    readme = paths.repo_root() / "README.md"
    blocks = [(args.profile, published.readme_block(published.load_store(published.store_path(args.profile),
                                                                            args.profile), manifest))]
    if published.estimates_path().is_file():
        blocks.append((published.ESTIMATES_PROFILE, published.estimates_block(published.estimates_path())))
    if args.action == "readme" and args.check:
        stale = [name for name, block in blocks if not published.update_readme(readme, block, name, check=True)]
        print(f"README tables are stale ({', '.join(stale)}): run `gancore results readme`" if stale else
              "README results tables are current")
        return 1 if stale else 0
    for name, block in blocks:
        published.update_readme(readme, block, name)
    print(f"{readme}: tables regenerated ({', '.join(name for name, _ in blocks)})")
    return 0


def notebooks_command(action: str, executed: str, chapter_ids: list[str] | None = None) -> int:
    """Apply a notebook hygiene action to every chapter of book.yml."""
    from pathlib import Path

    import nbformat

    from gancore.course import notebooks  # lazy: papermill and nbformat cost a second; `gancore --help` should not wait

    root = paths.repo_root()
    issues = []
    manifest = course.load_manifest()
    for chapter in [manifest.chapter(i) for i in chapter_ids] if chapter_ids else manifest.chapters:
        path = root / chapter.notebook
        if action == "refresh":
            updated = notebooks.refresh_checks(path, Path(executed) / chapter.notebook)
            print(f"{chapter.notebook}: {updated} check cells refreshed")
        elif action == "strip":
            nbformat.write(notebooks.strip(notebooks.ensure_install_cell(nbformat.read(path, as_version=4))), path)
        else:
            issues += notebooks.problems(nbformat.read(path, as_version=4), chapter.notebook)
    print("\n".join(issues) or "notebooks clean")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
