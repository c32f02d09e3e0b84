"""Progress of long commands: a bar for a person at a terminal, plain lines for logs and pipes.

Progress goes to standard error, so that standard output carries only a command's result.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)


class Advance(Protocol):
    def __call__(self, steps: int = 1) -> None: ...


@contextmanager
def progress(description: str, *, total: int | None) -> Iterator[Advance]:
    """Yields ``advance``; call it once per finished step. ``total=None``: unknown length."""
    console = Console(stderr=True)
    if console.is_terminal:
        with _bar(console, description, total) as advance:
            yield advance
    else:
        lines = _Lines(description, total)
        yield lines
        lines.finish()


@contextmanager
def _bar(console: Console, description: str, total: int | None) -> Iterator[Advance]:
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    with Progress(*columns, TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task(description, total=total)

        def advance(steps: int = 1) -> None:
            bar.advance(task, steps)

        yield advance


class _Lines:
    """A line at the start and one each time another tenth is done (or, with no known total,
    every hundred steps), so that a log shows movement without a line per step."""

    def __init__(self, description: str, total: int | None) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self.reported = 0
        self._print(f"{description}: 0/{total}" if total is not None else f"{description}...")

    def __call__(self, steps: int = 1) -> None:
        self.done += steps
        if self.total:
            due = self.done * 10 // self.total > self.reported * 10 // self.total
            if due or self.done == self.total:
                self._report()
        elif self.done - self.reported >= 100:
            self._report()

    def finish(self) -> None:
        if self.total is None:
            self._print(f"{self.description}: done")

    def _report(self) -> None:
        self.reported = self.done
        of = f"/{self.total}" if self.total is not None else ""
        self._print(f"{self.description}: {self.done}{of}")

    @staticmethod
    def _print(line: str) -> None:
        print(line, file=sys.stderr, flush=True)
