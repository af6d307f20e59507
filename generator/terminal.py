"""Render progress (clusters done of all) → a rich progress bar on stderr, for a render that
has run past a second on a terminal; nothing otherwise, so scripts and CI logs stay clean."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

DELAY = 1.0  # seconds: a render that ends sooner shows no bar at all


class RenderProgress:
    """The `progress` callback of pipeline.render_all. The bar appears at the first cluster
    done after DELAY, is updated as each later one completes, and is removed by close()."""

    def __init__(
        self,
        console: Console | None = None,
        delay: float = DELAY,
        open_console: Callable[[], Console | None] | None = None,
    ) -> None:
        self._console = console  # None: not a terminal, or -q
        # rich costs 20 ms to import: a render shorter than the delay never opens a console
        self._open_console = open_console
        self.delay = delay
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    @property
    def console(self) -> Console | None:
        if self._open_console is not None:
            self._console, self._open_console = self._open_console(), None
        return self._console

    def __call__(self, done: int, total: int, cluster: str) -> None:
        if self.bar is None:
            too_soon = time.monotonic() - self.started < self.delay or done >= total
            if too_soon or self.console is None:
                return
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self.bar = Progress(
                TextColumn("rendering"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("clusters, last: {task.description}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("", total=total)
        assert self.task is not None
        self.bar.update(self.task, completed=done, description=cluster)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def stderr_progress(quiet: bool) -> RenderProgress:
    """A progress bar on stderr when it is a terminal and -q was not given."""
    return RenderProgress(open_console=None if quiet else _stderr_terminal)


def _stderr_terminal() -> Console | None:
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal else None
