"""The rich Console every command prints with: full names when output is not a terminal.

Rich lays tables out for 80 columns when stdout is a pipe or a CI log, cutting names to a few
characters. Off a terminal the console is wide (or `COLUMNS` wide), so columns keep full names.
"""

from __future__ import annotations

import os
from typing import IO

from rich.console import Console

PLAIN_WIDTH = 240


def make_console(*, stderr: bool = False, file: IO[str] | None = None) -> Console:
    """A Console on stdout (or stderr / `file`), `PLAIN_WIDTH` wide when not a terminal."""
    console = Console(stderr=stderr, file=file)
    if console.is_terminal or os.environ.get("COLUMNS"):
        return console
    return Console(stderr=stderr, file=file, width=PLAIN_WIDTH)
