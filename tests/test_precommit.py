"""The shipped pre-commit configuration passes on a clean checkout, offline."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the project's git history to clone")
def test_pre_commit_run_all_files_passes_on_a_clean_clone(tmp_path: Path) -> None:
    pre_commit = Path(sys.executable).parent / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed in this environment (make test installs it)")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    # The hooks run tools from the project's venv, which a clone does not have yet.
    (clone / ".venv").symlink_to(Path(sys.prefix))
    # mypy is left to `make lint` (CI runs it): here it would only repeat it, at ~10 s.
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "SKIP": "mypy"}
    done = subprocess.run(
        [str(pre_commit), "run", "--all-files", "--show-diff-on-failure"],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "generator render --check" in done.stdout
    shutil.rmtree(clone)
