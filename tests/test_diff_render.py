"""generator diff --render with the real pipeline, on a copy of the example platform in a
temporary git repository."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.diff import diff_revisions, markdown
from tests.conftest import EXAMPLE, git

INPUTS = ("catalog", "charts", "overlays", "schemas")
OPERATOR = "catalog/operators/010-cert-manager.yaml"


def render(repo: Path) -> None:
    result = CliRunner().invoke(cli, ["render", "--repo", str(repo)], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example platform, rendered and committed."""
    if not (EXAMPLE / OPERATOR).is_file():
        pytest.skip(f"the example platform has no {OPERATOR}")
    repo = tmp_path_factory.mktemp("example")
    for folder in INPUTS:
        if (EXAMPLE / folder).is_dir():
            shutil.copytree(EXAMPLE / folder, repo / folder)
    git(repo, "init", "-q", "-b", "main")
    render(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "example platform")
    return repo


def bump(repo: Path) -> tuple[str, str]:
    """Raise the cert-manager version in the catalog; (old, new) version."""
    path = repo / OPERATOR
    text = path.read_text()
    match = re.search(r"^  version: (v\d+)\.(\d+)\.(\d+)$", text, re.MULTILINE)
    assert match, f"no version in {OPERATOR}"
    old = match.group(0).split(": ")[1]
    new = f"{match.group(1)}.{match.group(2)}.{int(match.group(3)) + 1}"
    path.write_text(text.replace(match.group(0), f"  version: {new}"))
    return old, new


def test_render_catches_a_stale_tree_and_agrees_with_the_committed_render(example: Path) -> None:
    old, new = bump(example)
    git(example, "commit", "-q", "-am", "bump cert-manager, forgot to render")
    render(example)
    git(example, "commit", "-q", "-am", "render")
    try:
        forgot = diff_revisions(example, "HEAD~2", "HEAD~1")
        fresh = diff_revisions(example, "HEAD~2", "HEAD~1", render=True)
        rendered = diff_revisions(example, "HEAD~2", "HEAD")
    finally:
        git(example, "reset", "-q", "--hard", "HEAD~2")
    assert not forgot.report
    assert [(s.revision.label, s.resources > 0) for s in fresh.stale] == [("HEAD~1", True)]
    assert "> `rendered/` at `HEAD~1` is stale: a fresh render differs in" in markdown(fresh)
    images = [a for a in fresh.attention if a.rule == "image"]
    assert images
    assert all(a.message.endswith(f":{old}` → `{new}`") for a in images)
    # Rendering the catalogs gives exactly what committing the render gives.
    assert fresh.report.changes == rendered.report.changes
    assert fresh.attention == rendered.attention
    assert rendered.stale == ()
    assert git(example, "worktree", "list").count("\n") == 1
