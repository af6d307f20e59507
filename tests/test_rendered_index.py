"""The no-op path: a rendered/ untouched since the render of the same inputs wrote or checked
it is answered from file metadata, without reading it; any edit, deletion or new file (also
one that keeps the size and sets the modification time back) falls back to the exact
comparison."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from generator import pipeline, writer
from tests.conftest import run_cli

DEPLOYMENT = "rendered/dev-1/010-web/deployment-web.yaml"


def test_an_unchanged_render_reads_no_rendered_file(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0  # writes the index

    def no_reading(*args: object) -> None:
        raise AssertionError("rendered/ was read")

    monkeypatch.setattr(pipeline, "read_tree", no_reading)
    monkeypatch.setattr(writer, "read_tree", no_reading)
    render = run_cli(["render", "--repo", str(minimal_repo)])
    assert (render.code, render.out) == (
        0,
        "rendered 7 files for 1 cluster(s): 0 added, 0 changed, 0 removed\n",
    )
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (0, "rendered/ is up to date (7 files)\n")


def same_size_edit(path: Path) -> None:
    """Change one character and set the modification time back: size and mtime as before."""
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("replicas: 2", "replicas: 3"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (same_size_edit, f"changed: {DEPLOYMENT}\n"),
        (lambda path: path.unlink(), f"added: {DEPLOYMENT}\n"),
        (
            lambda path: path.with_name("stray.yaml").write_text("x: 1\n"),
            "removed: rendered/dev-1/010-web/stray.yaml\n",
        ),
    ],
    ids=["same-size-edit-with-old-mtime", "deleted", "new-file"],
)
def test_check_still_finds_every_change_to_rendered(
    minimal_repo: Path, change: object, expected: str
) -> None:
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).code == 0
    change(minimal_repo / DEPLOYMENT)  # type: ignore[operator]
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (1, expected)
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    again = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (again.code, again.out) == (0, "rendered/ is up to date (7 files)\n")


def test_changed_inputs_are_never_answered_from_the_index(minimal_repo: Path) -> None:
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).code == 0
    env = minimal_repo / "catalog/environments/dev.yaml"
    env.write_text(env.read_text().replace("replicas: 2", "replicas: 4"))
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (1, f"changed: {DEPLOYMENT}\n")


def test_an_unchanged_render_imports_neither_yaml_nor_rich(minimal_repo: Path) -> None:
    """Their import costs more than the rest of a no-op render's start."""
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    script = (
        "import sys\n"
        "from generator.cli import main\n"
        "try:\n"
        f"    main(['render', '--repo', {str(minimal_repo)!r}])\n"
        "finally:\n"
        "    print(sorted(m for m in ('yaml', 'rich') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (run.returncode, run.stdout.splitlines()[-1], run.stderr) == (0, "[]", "")
