"""Two git revisions of the platform repo → Comparison: their rendered trees (committed, or
rendered afresh with --render), the DiffReport between them and what needs attention."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from generator.diff.attention import Attention, attention
from generator.diff.baseline import tenant_baseline
from generator.diff.compare import DiffReport, diff_trees
from generator.diff.components import engines
from generator.diff.headline import Intent, headline
from generator.diff.inputs import InputChange, changed_inputs
from generator.diff.next_steps import NextStep, next_steps
from generator.diff.platform import ClusterInfo, cluster_info
from generator.diff.rules import RuleContext
from generator.diff.rules.network import is_network
from generator.diff.rules.rbac import is_rbac
from generator.diff.trees import (
    RENDERED,
    WORKING_TREE,
    Renderer,
    Revision,
    locate,
    pipeline_renderer,
    read_revisions,
    render_side,
    resolve,
)

CATALOG = "catalog"


@dataclass(frozen=True, slots=True)
class Staleness:
    """A revision whose committed rendered/ differs from what its catalog renders to."""

    revision: Revision
    resources: int  # objects added, removed or changed by a fresh render


@dataclass(frozen=True, slots=True)
class Comparison:
    base: Revision
    head: Revision
    mode: Literal["committed", "render"]
    report: DiffReport
    clusters: Mapping[str, ClusterInfo]  # every cluster of either side
    attention: tuple[Attention, ...]
    stale: tuple[Staleness, ...]
    headline: tuple[Intent, ...] = ()
    next_steps: tuple[NextStep, ...] = ()
    inputs: tuple[InputChange, ...] = ()  # input files that differ between the revisions


def diff_revisions(
    project: Path,
    base: str,
    head: str | None = None,
    *,
    render: bool = False,
    renderer: Renderer = pipeline_renderer,
) -> Comparison:
    """Compare the rendered output of `base` with `head` (the working tree when None)."""
    checkout = locate(project)
    old = resolve(checkout, base)
    new = resolve(checkout, head) if head is not None else Revision(WORKING_TREE, "")
    files = read_revisions(checkout, (old, new), (RENDERED, CATALOG))
    stale: list[Staleness] = []
    trees = [files[(old.sha, RENDERED)], files[(new.sha, RENDERED)]]
    if render:
        for position, revision in enumerate((old, new)):
            fresh = render_side(checkout, revision, renderer)
            drift = diff_trees(trees[position], fresh)
            if drift:
                stale.append(Staleness(revision, len(drift.changes)))
            trees[position] = fresh
    report = diff_trees(trees[0], trees[1])
    # Head wins: a cluster the head still has is described as the head's catalog says.
    before = cluster_info(files[(old.sha, CATALOG)])
    clusters = {**before, **cluster_info(files[(new.sha, CATALOG)])}
    inputs = changed_inputs(checkout, old, new)
    # Only tenants whose roles or policies changed are rendered for the baseline.
    wanted = {
        (c.cluster, c.component.removeprefix("tenants/"))
        for c in report.changes
        if c.component.startswith("tenants/") and (is_rbac(c.key) or is_network(c.key))
    }
    context = RuleContext(report, clusters, inputs, lambda: tenant_baseline(checkout, new, wanted))
    return Comparison(
        old,
        new,
        "render" if render else "committed",
        report,
        clusters,
        tuple(attention(context)),
        tuple(stale),
        tuple(headline(report, clusters, inputs, trees[1], engines(checkout, old, new, inputs))),
        tuple(next_steps(report, clusters, before)),
        inputs,
    )
