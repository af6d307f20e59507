"""Benchmark: whole-process `generator render` of the example platform and of a synthetic
catalog, median of 5 runs each:

- first render: empty rendered/, no cache (every file created);
- re-render: rendered/ up to date, cache bypassed (what a catalog edit costs, minus writes);
- unchanged: inputs match the cache (what pre-commit pays on a commit that touches no input).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import write_catalog

REPO = Path(__file__).resolve().parents[2]
RUNS = 5


def timed_render(repo: Path, *extra: str, empty: bool = False) -> float:
    times = []
    for _ in range(RUNS):
        if empty:
            shutil.rmtree(repo / "rendered", ignore_errors=True)
            shutil.rmtree(repo / ".generator-cache", ignore_errors=True)
        command = [sys.executable, "-m", "generator", "-q", "render", "--repo", str(repo), *extra]
        start = time.perf_counter()
        subprocess.run(command, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, repo: Path) -> None:
    first = timed_render(repo, empty=True)
    again = timed_render(repo, "--no-cache")
    unchanged = timed_render(repo)
    check = timed_render(repo, "--check")
    objects = sum(1 for _ in (repo / "rendered").rglob("*.yaml"))
    print(
        f"{name}: {objects} objects; first render {first:.3f} s, re-render {again:.3f} s "
        f"({objects / again:,.0f} objects/s), unchanged {unchanged:.3f} s, "
        f"--check unchanged {check:.3f} s (median of {RUNS})"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp, "example")
        ignore = shutil.ignore_patterns(".venv", ".git", "__pycache__", ".generator-cache")
        shutil.copytree(REPO, example, ignore=ignore)
        report("example platform", example)
        synthetic = Path(tmp, "synthetic")
        write_catalog(synthetic, clusters=10, operators=10, objects_per_operator=50)
        report("synthetic 10 clusters x 10 operators x 50 objects", synthetic)


if __name__ == "__main__":
    main()
