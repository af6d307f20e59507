"""The repository's own platform: whatever catalog/, charts/, overlays/ and rendered/ the root
holds (the example, or yours after `generator init --here`) must lint and render exactly to
the committed rendered/, schemas and policies included, so `make test` guards it. Skipped
when the root has no catalog/. Proven on a second platform swapped into a copy of the
checkout."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

PLATFORM_FOLDERS = ("catalog", "charts", "overlays", "rendered")
NORTHWIND = REPO / "tests" / "platforms" / "northwind"


@pytest.mark.skipif(
    not (REPO / "catalog").is_dir(),
    reason="the repository root has no catalog/ of its own (generator init --here writes one)",
)
def test_the_repositorys_own_platform_lints_and_rendered_is_up_to_date() -> None:
    lint = run_cli(["lint", "--repo", str(REPO)])
    assert lint.code == 0, lint.err
    # render --check renders every cluster, validates it against its own Kubernetes version
    # and the platform policies, then compares with the committed rendered/
    check = run_cli(["render", "--check", "--repo", str(REPO)])
    assert check.code == 0, check.out + check.err


def copy_of_the_checkout(target: Path) -> Path:
    """The checkout without its platform folders (and without .git, .venv and caches)."""
    anywhere = shutil.ignore_patterns("__pycache__", ".generator-cache", "*.egg-info")

    def skip(folder: str, names: list[str]) -> set[str]:
        top = {".git", ".venv", "build", *PLATFORM_FOLDERS} if Path(folder) == REPO else set()
        return set(anywhere(folder, names)) | (top & set(names))

    shutil.copytree(REPO, target, ignore=skip)
    return target


def own_platform_test(copy: Path) -> subprocess.CompletedProcess[str]:
    # its own --basetemp: pytest prunes old temporary folders under the shared default one,
    # which this very run (the outer pytest) is using
    basetemp = copy.parent / f"pytest-{len(list(copy.parent.glob('pytest-*')))}"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", f"--basetemp={basetemp}",
         "tests/test_own_platform.py::test_the_repositorys_own_platform_lints_and_rendered_is_up_to_date"],
        cwd=copy, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_another_platform_in_place_of_the_example_is_checked(tmp_path: Path) -> None:
    copy = copy_of_the_checkout(tmp_path / "checkout")
    for folder in PLATFORM_FOLDERS:
        shutil.copytree(NORTHWIND / folder, copy / folder)
    done = own_platform_test(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    # ...and it catches a stale rendered/ of that platform
    echo = copy / "catalog/operators/010-echo.yaml"
    echo.write_text(echo.read_text().replace("port: 5678", "port: 5679"))
    done = own_platform_test(copy)
    assert done.returncode == 1
    assert "rendered/ is stale" in done.stdout


def test_without_a_root_catalog_the_check_is_skipped_with_the_reason(tmp_path: Path) -> None:
    done = own_platform_test(copy_of_the_checkout(tmp_path / "checkout"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert (
        "SKIPPED [1] tests/test_own_platform.py:22: the repository root has no catalog/ of its own"
        in done.stdout
    )
