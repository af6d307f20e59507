"""Render progress: the pipeline reports each cluster as it completes; the terminal shows a bar
only for a render past a second, and nothing when stderr is not a terminal or with -q."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from rich.console import Console

from generator import pipeline
from generator.terminal import RenderProgress, stderr_progress
from tests.conftest import EXAMPLE, copy_repo, run_cli


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_the_pipeline_reports_every_cluster_in_order(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    heard: list[tuple[int, int, str]] = []
    pipeline.render_all(repo, use_cache=False, progress=lambda *a: heard.append(a))
    assert heard == [
        (1, 4, "eks-prod"),
        (2, 4, "kind-local"),
        (3, 4, "linode-sandbox"),
        (4, 4, "mgmt"),
    ]


def test_a_long_render_shows_clusters_done_and_the_last_one(tmp_path: Path) -> None:
    console, out = terminal()
    progress = RenderProgress(console, delay=0)
    progress(1, 4, "eks-prod")
    progress(2, 4, "kind-local")
    progress.close()
    shown = out.getvalue()
    assert "rendering" in shown
    assert "2/4" in shown
    assert "kind-local" in shown


def test_a_short_render_shows_nothing() -> None:
    console, out = terminal()
    progress = RenderProgress(console)  # the default delay: a second
    for done, cluster in enumerate(["a", "b", "c"], start=1):
        progress(done, 3, cluster)
    progress.close()
    assert out.getvalue() == ""


def test_a_short_render_opens_no_console() -> None:
    """rich is imported only for a bar that shows."""

    def no_console() -> Console | None:
        raise AssertionError("a console was opened")

    progress = RenderProgress(open_console=no_console)
    for done, cluster in enumerate(["a", "b", "c"], start=1):
        progress(done, 3, cluster)
    progress.close()


def test_a_long_render_opens_the_console_once() -> None:
    console, out = terminal()
    opened: list[Console] = []

    def open_console() -> Console:
        opened.append(console)
        return console

    progress = RenderProgress(delay=0, open_console=open_console)
    progress(1, 3, "a")
    progress(2, 3, "b")
    progress.close()
    assert (opened, "2/3" in out.getvalue()) == ([console], True)


def test_no_bar_without_a_terminal_or_with_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a file, as in CI
    assert stderr_progress(quiet=False).console is None
    assert stderr_progress(quiet=True).console is None


def test_render_prints_no_progress_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    result = run_cli(["render", "--no-cache", "--repo", str(repo)])
    assert (result.code, result.err) == (0, "")
