"""Benchmark: catalog units + rendered manifests → GitOps objects, for the example platform and
for a large synthetic cluster built from it. Prints the median of several runs."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from generator.catalog import load_catalog
from generator.engines import engine
from generator.gitops import gitops_manifests
from generator.merge import resolve_units
from generator.yamlio import dump_manifest

REPO = Path(__file__).resolve().parent.parent.parent
RUNS = 7


def median_ms(work: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    catalog = load_catalog(REPO)
    units = resolve_units(catalog)
    rendered = {(u.cluster.name, u.dirname): engine(u.component.engine)(u, REPO) for u in units}

    def example() -> int:
        count = 0
        for cluster in catalog.clusters:
            mine = [u for u in units if u.cluster.name == cluster.name]
            by_dir = {u.dirname: rendered[(cluster.name, u.dirname)] for u in mine}
            for objects in gitops_manifests(catalog, cluster, mine, by_dir).values():
                count += sum(len(dump_manifest(m.body)) > 0 for m in objects)
        return count

    objects = example()
    print(
        f"example platform: {len(catalog.clusters)} clusters, {len(units)} units, "
        f"{objects} GitOps objects: {median_ms(example):.1f} ms (median of {RUNS}, incl. YAML)"
    )

    # One flux and one argocd cluster with 300 operators in 30 waves and 1000 tenants.
    for name in ("linode-sandbox", "kind-local"):
        cluster = next(c for c in catalog.clusters if c.name == name)
        mine = [u for u in units if u.cluster.name == name]
        operator = next(u for u in mine if u.kind == "operator")
        tenant = next(u for u in mine if u.kind == "tenant")
        big = [
            replace(operator, name=f"op{i}", order=10 * (i // 10 + 1), dirname=f"{i:03d}-op{i}")
            for i in range(300)
        ] + [replace(tenant, name=f"t{i}", dirname=f"tenants/t{i}") for i in range(1000)]
        by_dir = {
            u.dirname: rendered[(name, (operator if u.kind == "operator" else tenant).dirname)]
            for u in big
        }
        big_catalog = replace(
            catalog, tenants=tuple(replace(catalog.tenants[0], name=u.name) for u in big[300:])
        )

        run = functools.partial(gitops_manifests, big_catalog, cluster, big, by_dir)
        count = sum(len(v) for v in run().values())
        print(
            f"{name} ({cluster.gitops}) with 300 operators and 1000 tenants, {count} objects: "
            f"{median_ms(run):.1f} ms (median of {RUNS}, without YAML)"
        )


if __name__ == "__main__":
    main()
