"""Catalog + units → the rows of `generator list`: what runs where, as a table or JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from generator.errors import GeneratorError
from generator.model import Catalog, RenderUnit

What = Literal["clusters", "operators", "tenants", "units"]
WHATS: tuple[What, ...] = ("clusters", "operators", "tenants", "units")


def rows(catalog: Catalog, units: Sequence[RenderUnit], what: What) -> list[dict[str, Any]]:
    """One dict per listed thing, in the order `render` processes them."""
    if what == "clusters":
        counts = {c.name: [0, 0] for c in catalog.clusters}
        for unit in units:
            counts[unit.cluster.name][unit.kind == "tenant"] += 1
        return [
            {
                "name": c.name,
                "environment": c.environment,
                "provider": c.provider,
                "kubernetesVersion": c.kubernetes_version,
                "gitops": c.gitops,
                "managedBy": c.managed_by,
                "operators": counts[c.name][0],
                "tenants": counts[c.name][1],
                "file": str(c.origin.path),
            }
            for c in sorted(catalog.clusters, key=lambda c: c.name)
        ]
    if what == "operators":
        where = _clusters_of(units, "operator")
        return [
            {
                "name": o.name,
                "order": o.order,
                "namespace": o.namespace,
                "engine": catalog.components[o.source].engine,
                "source": f"charts/{o.source}",
                "clusters": where.get(o.name, []),
                "file": str(o.origin.path),
            }
            for o in sorted(catalog.operators, key=lambda o: (o.order, o.name))
        ]
    if what == "tenants":
        where = _clusters_of(units, "tenant")
        return [
            {
                "name": t.name,
                "namespace": t.namespace,
                "podSecurity": t.pod_security,
                "clusters": where.get(t.name, []),
                "file": str(t.origin.path),
            }
            for t in sorted(catalog.tenants, key=lambda t: t.name)
        ]
    return [
        {
            "cluster": u.cluster.name,
            "unit": u.dirname,
            "kind": u.kind,
            "engine": u.component.engine,
            "namespace": u.namespace,
            "source": u.component.path.as_posix(),
        }
        for u in units
    ]


def _clusters_of(units: Sequence[RenderUnit], kind: str) -> dict[str, list[str]]:
    where: dict[str, list[str]] = {}
    for unit in units:
        if unit.kind == kind:
            where.setdefault(unit.name, []).append(unit.cluster.name)
    return {name: sorted(clusters) for name, clusters in where.items()}


def listed(repo: Path, what: What, cluster: str | None) -> list[dict[str, Any]]:
    """The rows of `generator list WHAT [--cluster NAME]` for the catalog under repo."""
    from generator.catalog import load_catalog
    from generator.merge import resolve_units

    catalog = load_catalog(repo)
    names = sorted(c.name for c in catalog.clusters)
    if cluster is not None and cluster not in names:
        raise GeneratorError(
            f"unknown cluster '{cluster}'",
            hint=f"known clusters: {', '.join(names)}",
        )
    units = resolve_units(catalog, [cluster] if cluster else [])
    listed = rows(catalog, units, what)
    if cluster and what == "clusters":
        listed = [row for row in listed if row["name"] == cluster]
    elif cluster and what in ("operators", "tenants"):
        listed = [row for row in listed if cluster in row["clusters"]]
    return listed


def as_table(listed: Sequence[dict[str, Any]]) -> str:
    """Aligned columns with a header, lists joined by commas; an empty listing is one line."""
    if not listed:
        return "(none)\n"
    columns = list(listed[0])
    cells = [[_cell(row[c]) for c in columns] for row in listed]
    header = [re.sub(r"(?<=[a-z])(?=[A-Z])", "-", c).upper() for c in columns]
    widths = [max(len(x) for x in column) for column in zip(header, *cells, strict=True)]
    lines = [header, *cells]
    return "".join(
        "  ".join(x.ljust(w) for x, w in zip(line, widths, strict=True)).rstrip() + "\n"
        for line in lines
    )


def as_json(listed: Sequence[dict[str, Any]]) -> str:
    return json.dumps(list(listed), indent=2, sort_keys=False) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ",".join(value) or "-"
    return str(value) if value not in ("", None) else "-"
