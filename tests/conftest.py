"""Shared fixtures: one smoke run of every chapter feeds the chapter, report, site and browser tests."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Tests never reach the internet: data comes from the local cache `make data` filled, and downloads are tested
# against loopback servers (those tests unset the variable themselves).
os.environ.setdefault("GANCORE_OFFLINE", "1")
SMOKE_DIR = ROOT / "_build" / "smoke"


@pytest.fixture(scope="session")
def smoke_run():
    """Execute every chapter of book.yml once in the smoke profile (papermill), then build the site."""
    from gancore.course import runner

    os.environ["GANCORE_ROOT"] = str(ROOT)
    return runner.run_course("smoke", out_dir=SMOKE_DIR, outputs_dir=SMOKE_DIR / "outputs", build_site=True)


def pytest_collection_modifyitems(items):
    """A test that uses the smoke run executes every notebook: it belongs to the slow `chapters` tier."""
    for item in items:
        if "smoke_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.chapters)


class StopAfter(keras.callbacks.Callback):
    """Simulates an interruption: raises after the given epoch has ended (and been backed up)."""

    def __init__(self, epoch: int):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 == self.epoch:
            raise KeyboardInterrupt("simulated interruption")
