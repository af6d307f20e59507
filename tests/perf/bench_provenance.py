"""Benchmark: `generator explain` on the example platform, and what provenance tracking (the
Jinja value recorder, the Jsonnet and Helm value scans, the overlay trace and the overlay
blame of findings) adds to a cold render. Median of 5 runs each.

- explain, whole process: `generator explain eks-prod/payments ResourceQuota/tenant-quota
  spec.hard.requests.cpu` (interpreter start, imports, catalog, one unit rendered);
- explain, in process: the same call with the modules already imported;
- tracking: `render_all(use_cache=False)` in process, with tracking and with every tracking
  hook replaced by a no-op, alternating runs.
"""

from __future__ import annotations

import contextlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RUNS = 5
EXPLAIN = ["eks-prod/payments", "ResourceQuota/tenant-quota", "spec.hard.requests.cpu"]


def median_of(run: Callable[[], Any]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


@contextlib.contextmanager
def without_tracking() -> Iterator[None]:
    """Every provenance hook a render runs, replaced by a no-op, restored afterwards."""
    from generator.engines import jinja, value_reads
    from generator.overlays import scopes, trace
    from generator.provenance import blame

    @contextlib.contextmanager
    def inactive() -> Iterator[trace.Trace]:
        yield trace.Trace()  # never made active: every step records nothing

    saved = (
        jinja.TrackedValues,
        value_reads.jsonnet_reads,
        value_reads.helm_reads,
        scopes.tracing,
        blame.blame_overlays,
    )
    jinja.TrackedValues = lambda data, path, reads: data  # type: ignore[assignment, misc]
    value_reads.jsonnet_reads = lambda source, main: frozenset()  # type: ignore[assignment]
    value_reads.helm_reads = lambda source: frozenset()  # type: ignore[assignment]
    scopes.tracing = inactive  # type: ignore[assignment]
    blame.blame_overlays = lambda cluster, found, *rest: list(found)  # type: ignore[assignment]
    try:
        yield
    finally:
        (
            jinja.TrackedValues,
            value_reads.jsonnet_reads,
            value_reads.helm_reads,
            scopes.tracing,
            blame.blame_overlays,
        ) = saved  # type: ignore[misc]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        example = Path(tmp, "example")
        shutil.copytree(REPO / "tests" / "example", example)
        command = [sys.executable, "-m", "generator", "explain", *EXPLAIN, "--repo", str(example)]
        process = median_of(lambda: subprocess.run(command, check=True, capture_output=True))

        from generator.provenance.explain import explain

        explain(example, *EXPLAIN)  # imports and caches warm
        in_process = median_of(lambda: explain(example, *EXPLAIN))
        print(
            f"explain on the example: {process:.3f} s whole process, {in_process:.3f} s in "
            f"process (median of {RUNS})"
        )

        from generator.pipeline import render_all

        render_all(example, use_cache=False)
        tracked, plain = [], []
        for _ in range(RUNS):
            start = time.perf_counter()
            render_all(example, use_cache=False)
            tracked.append(time.perf_counter() - start)
            with without_tracking():
                start = time.perf_counter()
                render_all(example, use_cache=False)
                plain.append(time.perf_counter() - start)
        with_t, without_t = statistics.median(tracked), statistics.median(plain)
        print(
            f"cold render of the example: {with_t:.3f} s with provenance tracking, "
            f"{without_t:.3f} s without: +{(with_t / without_t - 1) * 100:.1f}% "
            f"(median of {RUNS}, alternating)"
        )


if __name__ == "__main__":
    main()
