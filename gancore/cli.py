"""The ``gancore`` command: run the course, list its chapters."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gancore", description="Run and inspect the GAN course.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute chapters with papermill, write the run report, build the site")
    run.add_argument("--profile", default=None, help="smoke, quick or full (default: $GANCORE_PROFILE or quick)")
    run.add_argument("--chapters", nargs="*", default=None, help="chapter ids (default: all, in book order)")
    run.add_argument("--out", default=None, help="folder for executed notebooks, report and site")
    run.add_argument("--outputs", default=None, help="folder for chapter outputs (default: outputs/)")
    run.add_argument("--no-site", action="store_true", help="skip the Jupyter Book build")
    sub.add_parser("list", help="list the chapters of book.yml")
    nb = sub.add_parser("notebooks", help="check/strip committed notebooks, refresh their check cells")
    nb.add_argument("action", choices=["check", "strip", "refresh"])
    nb.add_argument("--executed", default="_build/smoke", help="folder of executed copies (for refresh)")
    nb.add_argument("--chapters", nargs="*", default=None, help="chapter ids (default: all)")
    args = parser.parse_args(argv)

    from gancore import course

    try:
        if args.command == "list":
            for chapter in course.load_manifest().chapters:
                print(f"{chapter.id:24s} skill {chapter.skill:4s} {chapter.notebook}")
            return 0
        if args.command == "notebooks":
            return notebooks_command(args.action, args.executed, args.chapters)
        from gancore import runner

        report = runner.run_course(args.profile, args.chapters, args.out, args.outputs, build_site=not args.no_site)
        return 0 if report.ok else 1
    except course.CourseError as error:
        print(f"gancore: {error}", file=sys.stderr)
        return 2


def notebooks_command(action: str, executed: str, chapter_ids: list[str] | None = None) -> int:
    """Apply a notebook hygiene action to every chapter of book.yml."""
    from pathlib import Path

    import nbformat

    from gancore import course, notebooks, paths

    root = paths.repo_root()
    issues = []
    manifest = course.load_manifest()
    for chapter in [manifest.chapter(i) for i in chapter_ids] if chapter_ids else manifest.chapters:
        path = root / chapter.notebook
        if action == "refresh":
            updated = notebooks.refresh_checks(path, Path(executed) / chapter.notebook)
            print(f"{chapter.notebook}: {updated} check cells refreshed")
        elif action == "strip":
            nbformat.write(notebooks.strip(nbformat.read(path, as_version=4)), path)
        else:
            issues += notebooks.problems(nbformat.read(path, as_version=4), chapter.notebook)
    print("\n".join(issues) or "notebooks clean")
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
