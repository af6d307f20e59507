"""A cluster of the catalog (and optionally one of its units) → the YAML stream of its final
objects after the engines and every overlay layer, in `kustomize build` order."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from generator.errors import GeneratorError
from generator.model import Manifest, RenderUnit
from generator.overlays.order import sort_resources
from generator.overlays.resources import Resource
from generator.overlays.scopes import unit_key
from generator.yamlio import dump_stream


def unit_stream(repo: Path, cluster: str, unit: str | None) -> str:
    """What `kustomize build` would print for the unit's last overlay: its objects as
    rendered/ holds them, in Kustomize's output order; without a unit, every unit in turn."""
    from generator.pipeline import render_cluster

    rendered = render_cluster(repo, cluster)
    bodies = []
    for _, manifests in choose(rendered, cluster, unit):
        resources = [Resource(dict(m.body), m.origin) for m in manifests]
        bodies += [r.body for r in sort_resources(resources, None)]
    return dump_stream(bodies)


def choose(
    rendered: Sequence[tuple[RenderUnit, list[Manifest]]], cluster: str, unit: str | None
) -> list[tuple[RenderUnit, list[Manifest]]]:
    """The unit named `cert-manager` (an operator without its number), `tenants/a` or `a`."""
    if unit is None:
        return list(rendered)
    found = [
        (u, ms) for u, ms in rendered if unit in (unit_key(u), u.name, u.dirname)
    ]
    if len(found) == 1:
        return found
    keys = [unit_key(u) for u, _ in rendered]
    if found:
        raise GeneratorError(
            f"'{unit}' names both an operator and a tenant of cluster '{cluster}'",
            hint=f"write 'tenants/{unit}' for the tenant",
        )
    close = difflib.get_close_matches(unit, keys, n=1)
    origin = rendered[0][0].cluster.origin if rendered else None
    raise GeneratorError(
        f"cluster '{cluster}' runs no operator or tenant '{unit}'",
        origin,
        f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(keys) or 'none'}",
    )
