"""The gancore command: listing chapters and clear errors for bad arguments."""

import subprocess
import sys
from pathlib import Path

from gancore.app import cli

from .conftest import ROOT


def test_list_prints_every_chapter(capsys):
    assert cli.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "gan-digits" in out and "chapters/skill01/vae_digits.ipynb" in out


def test_unknown_profile_and_chapter_exit_2_with_a_message(capsys):
    assert cli.main(["run", "--profile", "turbo", "--no-site"]) == 2
    assert "Unknown profile 'turbo'" in capsys.readouterr().err
    assert cli.main(["run", "--profile", "smoke", "--chapters", "nope", "--no-site"]) == 2
    assert "Unknown chapter id 'nope'" in capsys.readouterr().err


def test_committed_notebooks_are_clean_through_the_cli(capsys):
    assert cli.main(["notebooks", "check"]) == 0
    assert "notebooks clean" in capsys.readouterr().out


def test_console_script_and_module_entry_points():
    script = Path(sys.executable).parent / "gancore"
    for command in ([str(script), "list"], [sys.executable, "-m", "gancore", "list"]):
        out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0 and "pixelcnn-digits" in out.stdout, out.stderr
