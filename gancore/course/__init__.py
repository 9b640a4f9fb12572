"""The course machinery: the manifest (``book.yml``), the runner, results, the site and notebook checks.

``from gancore import course`` gives a notebook the manifest API (``course.setup_chapter(...)``); the runner,
report and site live in the submodules and are imported by name.
"""

from gancore.course.manifest import (
    DEFAULT_PROFILE,
    PROFILE_ENV,
    PROFILES,
    RUN_ID_ENV,
    Chapter,
    ChapterRun,
    CourseError,
    Manifest,
    Settings,
    check_profile,
    load_manifest,
    resolve_profile,
    setup_chapter,
)

__all__ = ["DEFAULT_PROFILE", "PROFILE_ENV", "PROFILES", "RUN_ID_ENV", "Chapter", "ChapterRun", "CourseError",
           "Manifest", "Settings", "check_profile", "load_manifest", "resolve_profile", "setup_chapter"]
