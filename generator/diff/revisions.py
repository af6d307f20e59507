"""Two git revisions of the platform repo → Comparison: their rendered trees (committed, or
rendered afresh with --render), the DiffReport between them and what needs attention."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from generator.diff.attention import Attention, ClusterInfo, attention
from generator.diff.compare import DiffReport, diff_trees
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
from generator.errors import GeneratorError
from generator.model import RenderedFile
from generator.yamlio import load_manifests

PRODUCTION_NAMES = ("prod", "production")
CLUSTERS, ENVIRONMENTS = "catalog/clusters", "catalog/environments"
CATALOG_FOLDERS = (CLUSTERS, ENVIRONMENTS)


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
    files = read_revisions(checkout, (old, new), (RENDERED, *CATALOG_FOLDERS))
    stale: list[Staleness] = []
    if render:
        trees = []
        for revision in (old, new):
            fresh = render_side(checkout, revision, renderer)
            drift = diff_trees(files[(revision.sha, RENDERED)], fresh)
            if drift:
                stale.append(Staleness(revision, len(drift.changes)))
            trees.append(fresh)
        report = diff_trees(trees[0], trees[1])
    else:
        report = diff_trees(files[(old.sha, RENDERED)], files[(new.sha, RENDERED)])
    clusters = {
        **cluster_info(files[(old.sha, CLUSTERS)], files[(old.sha, ENVIRONMENTS)]),
        **cluster_info(files[(new.sha, CLUSTERS)], files[(new.sha, ENVIRONMENTS)]),
    }
    return Comparison(
        old,
        new,
        "render" if render else "committed",
        report,
        clusters,
        tuple(attention(report, clusters)),
        tuple(stale),
    )


def _documents(files: Sequence[RenderedFile]) -> list[Mapping[str, Any]]:
    """The mappings of catalog files; unreadable files are left out, since the environment
    only sharpens the report and `generator lint` reports bad catalogs."""
    documents: list[Mapping[str, Any]] = []
    for file in files:
        try:
            loaded = load_manifests(file.text, file.relpath)
        except GeneratorError:
            continue
        documents.extend(d for d in loaded if isinstance(d, Mapping))
    return documents


def cluster_info(
    clusters: Sequence[RenderedFile], environments: Sequence[RenderedFile]
) -> dict[str, ClusterInfo]:
    """Environment of each cluster in a catalog, and whether it is production: an environment
    named prod/production (or prod-*), else the last in promotion order."""
    orders: dict[str, int] = {}
    for document in _documents(environments):
        order = document.get("order")
        orders[str(document.get("name", ""))] = order if isinstance(order, int) else 0
    named = {e for e in orders if e.lower() in PRODUCTION_NAMES or e.lower().startswith("prod-")}
    if not named and orders:
        last = max(orders.values())
        named = {e for e, order in orders.items() if order == last}
    info: dict[str, ClusterInfo] = {}
    for document in _documents(clusters):
        environment = str(document.get("environment") or "")
        info[str(document.get("name", ""))] = ClusterInfo(environment, environment in named)
    return info
