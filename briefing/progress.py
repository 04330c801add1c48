"""Progress display for long builds: a bar naming what is being rendered, on terminals only."""

from __future__ import annotations

import sys
from typing import Protocol


class Progress(Protocol):
    """What the build reports while it renders; implementations decide how to show it."""

    def start(self, total: int, label: str) -> None: ...

    def advance(self, done: str) -> None: ...

    def finish(self) -> None: ...


class TerminalProgress:
    """A rich progress bar on standard error (rich is imported only when a bar is shown)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress as Bar, TextColumn, TimeElapsedColumn

        self._bar = Bar(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("[dim]{task.fields[last]}"), console=Console(stderr=True), transient=True,
                        auto_refresh=False)  # no refresh thread: PDF workers are forked from this process
        self._task = None

    def start(self, total: int, label: str) -> None:
        self._bar.start()
        self._task = self._bar.add_task(label, total=total, last="")
        self._bar.refresh()

    def advance(self, done: str) -> None:
        self._bar.update(self._task, advance=1, last=done)
        self._bar.refresh()

    def finish(self) -> None:
        self._bar.stop()


def terminal_progress(quiet: bool) -> Progress | None:
    """A progress bar when standard error is a terminal and the user did not ask for quiet."""
    if quiet or not sys.stderr.isatty():
        return None
    return TerminalProgress()
