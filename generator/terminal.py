"""Render progress (clusters done of all) → a rich progress bar on stderr, for a render that
has run past a second on a terminal; nothing otherwise, so scripts and CI logs stay clean."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

DELAY = 1.0  # seconds: a render that ends sooner shows no bar at all


class RenderProgress:
    """The `progress` callback of pipeline.render_all. The bar appears at the first cluster
    done after DELAY, is updated as each later one completes, and is removed by close()."""

    def __init__(self, console: Console | None, delay: float = DELAY) -> None:
        self.console = console  # None: not a terminal, or -q
        self.delay = delay
        self.started = time.monotonic()
        self.bar: Progress | None = None
        self.task: TaskID | None = None

    def __call__(self, done: int, total: int, cluster: str) -> None:
        if self.console is None:
            return
        if self.bar is None:
            if time.monotonic() - self.started < self.delay or done >= total:
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
    from rich.console import Console

    console = Console(stderr=True)
    return RenderProgress(console if console.is_terminal and not quiet else None)
