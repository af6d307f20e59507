"""Benchmark: whole-process `generator render` of the example platform and of a synthetic
catalog (cold, and unchanged), median of 5 runs."""

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


def timed_render(repo: Path, *extra: str, fresh: bool) -> float:
    times = []
    for _ in range(RUNS):
        if fresh:
            shutil.rmtree(repo / "rendered", ignore_errors=True)
            shutil.rmtree(repo / ".generator-cache", ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "generator", "-q", "render", "--repo", str(repo), *extra],
            check=True,
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def count_files(repo: Path) -> int:
    return sum(1 for p in (repo / "rendered").rglob("*.yaml"))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp, "example")
        shutil.copytree(
            REPO,
            example,
            ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".generator-cache"),
        )
        cold = timed_render(example, fresh=True)
        warm = timed_render(example, fresh=False)
        check = timed_render(example, "--check", fresh=False)
        n = count_files(example)
        print(
            f"example platform: {n} objects; render cold {cold:.3f} s, unchanged {warm:.3f} s, --check {check:.3f} s (median of {RUNS})"
        )

        synthetic = Path(tmp, "synthetic")
        objects = write_catalog(synthetic, clusters=10, operators=10, objects_per_operator=50)
        cold = timed_render(synthetic, "--no-validate", fresh=True)
        validated = timed_render(synthetic, fresh=True)
        warm = timed_render(synthetic, fresh=False)
        print(
            f"synthetic 10 clusters x 10 operators: {objects} objects; render cold {validated:.3f} s "
            f"({objects / validated:,.0f} objects/s), without validation {cold:.3f} s, unchanged {warm:.3f} s "
            f"(median of {RUNS})"
        )


if __name__ == "__main__":
    main()
