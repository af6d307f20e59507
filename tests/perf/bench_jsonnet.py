"""Time the Jsonnet engine: 1,000 objects through the shipped libraries in one evaluation, and
the render cost of every Jsonnet component of the example platform, per engine (median ms).

Run: .venv/bin/python tests/perf/bench_jsonnet.py [--runs N]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from generator.catalog import load_catalog  # noqa: E402
from generator.engines import jsonnet  # noqa: E402
from generator.merge import resolve_units  # noqa: E402
from generator.model import Component, Origin  # noqa: E402

# 200 applications x 5 objects (Deployment with checksum annotations, ConfigMap, Service,
# HorizontalPodAutoscaler, PodDisruptionBudget) = 1,000 objects.
THOUSAND = """
local k = import 'k8s.libsonnet';
function(values)
  [
    local name = 'app-%03d' % i;
    local config = k.configMap(name, { 'app.yaml': k.toYaml({ index: i, zone: values.dns.zone }) });
    [
      config,
      k.deployment(name, [k.container(name, 'registry.acme.example/%s:1.0.%d' % [name, i],
                                      env={ INDEX: i, ZONE: values.dns.zone }, ports={ http: 8080 },
                                      resources=k.resources('100m', '128Mi'), probePort='http')],
                   replicas=2, podAnnotations=k.checksumAnnotations({ config: config })),
      k.service(name, { http: 80 }),
      k.horizontalPodAutoscaler(name, 2, 6),
      k.podDisruptionBudget(name, minAvailable=1),
    ]
    for i in std.range(1, 200)
  ]
"""


def timed(action, runs: int) -> tuple[float, Any]:
    samples, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), result


def bench_thousand(runs: int) -> None:
    units = resolve_units(load_catalog(ROOT))
    base = next(u for u in units if u.name == "gateway")
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "charts/thousand").mkdir(parents=True)
        (repo / "charts/thousand/main.jsonnet").write_text(THOUSAND, encoding="utf-8")
        path = PurePosixPath("charts/thousand")
        unit = dataclasses.replace(
            base, component=Component("thousand", "jsonnet", path, Origin(path))
        )
        for engine, n in (("rjsonnet", runs), ("jsonnet", 1)):
            seconds, manifests = timed(lambda e=engine: jsonnet.render(unit, repo, engine=e), n)
            assert len(manifests) == 1000, len(manifests)
            runs_text = f"median of {n}" if n > 1 else "1 run"
            print(
                f"1,000 objects through k8s.libsonnet, {engine:8}: {seconds:7.3f} s ({runs_text})"
            )


def bench_components(runs: int) -> None:
    units = [u for u in resolve_units(load_catalog(ROOT)) if u.component.engine == "jsonnet"]
    per_engine: dict[str, dict[str, list[float]]] = {e: defaultdict(list) for e in jsonnet.ENGINES}
    for engine in jsonnet.ENGINES:
        for unit in units:
            seconds, _ = timed(lambda u=unit, e=engine: jsonnet.render(u, ROOT, engine=e), runs)
            per_engine[engine][unit.name if unit.kind == "operator" else "tenant"].append(seconds)
    print(f"\nper-component render cost, ms (median over clusters x {runs} runs)")
    print(f"  {'component':14} {'units':>5} " + " ".join(f"{e:>9}" for e in jsonnet.ENGINES))
    for name in sorted(per_engine["rjsonnet"]):
        figures = [statistics.median(per_engine[e][name]) * 1000 for e in jsonnet.ENGINES]
        count = len(per_engine["rjsonnet"][name])
        print(f"  {name:14} {count:>5} " + " ".join(f"{f:9.1f}" for f in figures))
    overall = [
        statistics.median([s for samples in per_engine[e].values() for s in samples]) * 1000
        for e in jsonnet.ENGINES
    ]
    print(f"  {'all units':14} {len(units):>5} " + " ".join(f"{f:9.1f}" for f in overall))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    bench_thousand(args.runs)
    bench_components(args.runs)


if __name__ == "__main__":
    main()
