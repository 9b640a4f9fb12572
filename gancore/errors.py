"""The error a user can fix: the ``gancore`` command prints its message on one line and exits 2."""

from __future__ import annotations


class UserError(ValueError):
    """A mistake in how a command was called (an option, a folder, a damaged file); the message says what
    went wrong and what to do. :func:`gancore.app.cli.main` prints ``gancore <command>: error: <message>``
    to stderr, without a traceback, and returns 2."""
