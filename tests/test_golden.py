"""Golden render cases: each folder under tests/golden/ (except helm/) holds a small platform
(catalog/, charts/, overlays/) and expected/, the rendered tree it must produce byte for byte.
Adding a case means adding a folder; `pytest --update-golden` rewrites expected/."""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_cli, snapshot

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "catalog").is_dir())


@pytest.mark.parametrize("case", CASES)
def test_case_renders_its_expected_tree(case: str, tmp_path: Path, update_golden: bool) -> None:
    repo = tmp_path / case
    shutil.copytree(GOLDEN / case, repo, ignore=shutil.ignore_patterns("expected"))
    result = run_cli(["render", "--no-cache", "--repo", str(repo)])
    assert result.code == 0, result.err
    expected = GOLDEN / case / "expected"
    if update_golden:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(repo / "rendered", expected)
    got, want = snapshot(repo / "rendered"), snapshot(expected)
    assert sorted(got) == sorted(want), "files differ: run pytest --update-golden and review"
    for name in sorted(want):
        if got[name] != want[name]:
            diff = difflib.unified_diff(
                want[name].decode().splitlines(keepends=True),
                got[name].decode().splitlines(keepends=True),
                f"expected/{name}",
                f"rendered/{name}",
            )
            pytest.fail("".join(diff))
