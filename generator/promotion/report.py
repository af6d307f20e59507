"""[Row] → the `generator versions` report: an aligned text table, Markdown or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from generator.promotion.versions import Row, versions_table


def versions(repo: Path, output_format: str) -> str:
    """The `generator versions` report of the repository: catalog values and rendered images
    (rendered through the cache, so an up-to-date tree costs a fingerprint)."""
    from generator.catalog import load_catalog
    from generator.merge import resolve_units
    from generator.pipeline import render_all

    catalog = load_catalog(repo)
    units = resolve_units(catalog)
    files = render_all(repo, validate=False).files
    environments = [e.name for e in sorted(catalog.environments, key=lambda e: e.order)]
    return render_versions(versions_table(catalog, units, files), environments, output_format)


def _cells(row: Row, environments: Sequence[str]) -> list[str]:
    """Each environment's value; clusters that differ from it follow in parentheses."""
    return [
        (row.environments.get(env) or "-")
        + "".join(f" ({c}: {v})" for c, v in sorted(row.clusters.get(env, {}).items()))
        for env in environments
    ]


def _differs(row: Row, environments: Sequence[str], index: int) -> bool:
    """The environment's value is not the one of the environment before it."""
    if not index:
        return False
    here, before = (row.environments.get(environments[i]) for i in (index, index - 1))
    return bool(here and before and here != before)


def render_versions(rows: Sequence[Row], environments: Sequence[str], output_format: str) -> str:
    if output_format == "json":
        return json.dumps(
            {
                "environments": list(environments),
                "rows": [
                    {
                        "operator": r.operator,
                        "kind": r.kind,
                        "name": r.name,
                        "environments": dict(r.environments),
                        "clusters": {e: dict(c) for e, c in r.clusters.items()},
                        "pending": list(r.pending),
                    }
                    for r in rows
                ],
            },
            indent=2,
            ensure_ascii=False,
        )
    header = [
        "operator",
        "version",
        *(f"{i}. {e}" for i, e in enumerate(environments, 1)),
        "pending",
    ]
    body = []
    for r in rows:
        cells = _cells(r, environments)
        if output_format == "markdown":  # where an environment differs from the one before it
            cells = [f"**{c}**" if _differs(r, environments, i) else c for i, c in enumerate(cells)]
        else:
            cells = [f"{c} *" if _differs(r, environments, i) else c for i, c in enumerate(cells)]
        name = r.name if r.kind == "value" else f"image {r.name}"
        body.append([r.operator, name, *cells, ", ".join(r.pending) or "-"])
    if output_format == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *body)
    )
