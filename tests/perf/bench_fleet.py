"""Benchmark: whole-process `generator render` of a synthetic fleet (tests/perf/fleet.py) at 10,
30 and 100 clusters x 20 operators x 20 tenants; median of 5 runs of each scenario, wall and
CPU time (the render process and its workers) and peak RSS (the largest single process).

    python tests/perf/bench_fleet.py [--sizes 10,30,100] [--runs 5] [--jobs 1,2]

With more than one --jobs value, every scenario runs at each and the ratio is reported. Pool
workers forked from the render are its children, so CPU covers them (RSS is the largest single
process); the Jsonnet evaluators the workers fork are not reaped by them and are not counted,
nor are workers started by a fork server (then CPU covers the parent only). Wall time is
complete.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fleet import write_fleet

TENANT = "catalog/tenants/team-05.yaml"
OPERATOR = "catalog/operators/060-op-05.yaml"


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float


def run(repo: Path, *args: str, jobs: str = "") -> Run:
    """One `generator render` process; CPU and peak RSS from wait4, workers included."""
    command = [sys.executable, "-m", "generator", "-q", "render", "--repo", str(repo), *args]
    if jobs:
        command += ["--jobs", jobs]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}")
    # wait4 reports the process with the children it reaped: CPU summed, RSS of the largest
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _bump(path: Path, prefix: str) -> Callable[[], None]:
    """Change the number after `prefix` to one never used before: a value seen earlier would
    be answered by the cache of a whole earlier render, which is not what this measures."""
    counter = itertools.count(1000)

    def edit() -> None:
        text = path.read_text(encoding="utf-8")
        new = re.sub(rf"{re.escape(prefix)}\d+", f"{prefix}{next(counter)}", text, count=1)
        path.write_text(new, encoding="utf-8")

    return edit


def scenarios(repo: Path, trash: Path) -> list[tuple[str, Callable[[], None], tuple[str, ...]]]:
    moved = itertools.count()

    def empty() -> None:
        """Move rendered/ and the cache aside rather than delete them: right after 70,000
        files were deleted, ext4 spends seconds of system time skipping their inodes when the
        render creates files again (recently_deleted in its inode allocator), which measures
        the benchmark's own `rm -rf`, not a cold render (a fresh clone has no such deletion)."""
        for name in ("rendered", ".generator-cache"):
            if (repo / name).exists():
                (repo / name).rename(trash / f"{name}-{next(moved)}")

    def nothing() -> None:
        pass

    return [
        ("cold render, empty rendered/, no cache", empty, ()),
        ("re-render, cache bypassed", nothing, ("--no-cache",)),
        ("no-op render (nothing changed)", nothing, ()),
        ("render --check, nothing changed", nothing, ("--check",)),
        ("one tenant file changed", _bump(repo / TENANT, "pods: "), ()),
        ("one operator value changed", _bump(repo / OPERATOR, "replicas: "), ()),
    ]


def measure(clusters: int, runs: int, jobs: list[str], trash: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp, "fleet")
        write_fleet(repo, clusters)
        run(repo)  # warm: rendered/ and the cache exist before the first scenario
        files = sum(1 for _ in (repo / "rendered").rglob("*.yaml"))
        print(f"\n## {clusters} clusters ({files:,} rendered files), median of {runs}\n")
        heads = " | ".join(f"wall j{j} | CPU j{j} | RSS j{j}" if j else "wall | CPU | RSS"
                           for j in jobs)  # fmt: skip
        print(f"| scenario | {heads} |")
        print("| --- |" + " ---: |" * (3 * len(jobs)))
        for name, prepare, args in scenarios(repo, Path(tempfile.mkdtemp(dir=trash))):
            cells = []
            walls = []
            for j in jobs:
                results = []
                for _ in range(runs):
                    prepare()
                    results.append(run(repo, *args, jobs=j))
                wall = statistics.median(r.wall for r in results)
                walls.append(wall)
                cpu = statistics.median(r.cpu for r in results)
                rss = max(r.rss_mb for r in results)
                cells.append(f"{wall:.2f} s | {cpu:.2f} s | {rss:.0f} MB")
            ratio = f" (j{jobs[0]}/j{jobs[-1]} {walls[0] / walls[-1]:.2f})" if len(jobs) > 1 else ""
            print(f"| {name}{ratio} | {' | '.join(cells)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10,30,100")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jobs", default="", help="comma-separated --jobs values to compare")
    args = parser.parse_args()
    jobs = args.jobs.split(",") if args.jobs else [""]
    with tempfile.TemporaryDirectory() as trash:  # deleted once every size is measured
        for clusters in (int(n) for n in args.sizes.split(",")):
            measure(clusters, args.runs, jobs, Path(trash))


if __name__ == "__main__":
    main()
