"""DiffReport + clusters (head and base) → [NextStep]: what happens on each changed cluster
after the merge (who applies it, automatic or manual sync, whether deletions are pruned).

The change arrives under the sync policy the cluster has before the merge: a pull request that
makes production sync automatically is itself synced by hand once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from generator.diff.compare import DiffReport
from generator.diff.platform import ClusterInfo
from generator.diff.rules.context import GITOPS_FOLDERS

ENGINES = {"argocd": "Argo CD", "flux": "Flux"}


@dataclass(frozen=True, slots=True)
class NextStep:
    cluster: str
    engine: str  # "argocd", "flux" or "" when the catalog does not say
    runner: str  # the cluster whose Argo CD applies the change (itself unless managed)
    automated: bool
    prune: bool
    message: str  # markdown-free text with `code` spans for names


def _units(report: DiffReport, cluster: str) -> list[str]:
    return sorted({c.component for c in report.changes if c.cluster == cluster} - GITOPS_FOLDERS)


def _policy(info: ClusterInfo) -> str:
    sync = "automated sync" if info.automated or info.gitops == "flux" else "manual sync"
    return f"{sync}, prune {'on' if info.prune else 'off'}"


def _message(
    report: DiffReport,
    cluster: str,
    clusters: Mapping[str, ClusterInfo],
    before: Mapping[str, ClusterInfo],
) -> str:
    after = clusters.get(cluster)
    info = before.get(cluster, after)
    if cluster in report.old_clusters - report.new_clusters:
        return (
            "removed from the catalog: no GitOps engine deletes what runs there; uninstall "
            "or tear the cluster down by hand"
        )
    if info is None or info.gitops not in ENGINES:
        return "no GitOps engine named in the catalog: apply `rendered/` by hand"
    engine = ENGINES[info.gitops]
    runner = info.managed_by or cluster
    where = f" on `{runner}`" if info.managed_by else ""
    removed = report.counts(cluster)["removed"]
    if info.gitops == "flux":
        parts = ["Flux applies it on its next reconcile"]
    elif info.automated:
        parts = [f"{engine}{where} syncs it automatically"]
    else:
        units = _units(report, cluster)
        shown = ", ".join(f"`{u}`" for u in units[:6]) + (" …" if len(units) > 6 else "")
        parts = [
            f"manual sync: someone must press Sync in {engine}{where}"
            + (f" for {shown}" if shown else "")
        ]
    if info.prune:
        kept = sum(
            1 for c in report.removed if c.cluster == cluster and c.old and _keeps(c.old.body)
        )
        text = f"prune on: the {removed} deleted object(s) are removed from the cluster"
        if kept:
            verb, stays = ("is", "stays") if kept == 1 else ("are", "stay")
            text = (
                f"prune on: {removed - kept} of the {removed} deleted object(s) are removed from "
                f"the cluster; {kept} {verb} marked to survive pruning (Flux `prune: disabled`, "
                f"Argo CD `Prune=false`) and {stays}"
            )
        parts.append(text if removed else "prune on")
    else:
        parts.append(
            f"prune off: the {removed} deleted object(s) stay on the cluster until someone "
            "deletes them or syncs with prune"
            if removed
            else "prune off"
        )
    if after is not None and _policy(after) != _policy(info):
        parts.append(f"from then on: {_policy(after)}")
    delivered = sorted(
        name
        for name, other in clusters.items()
        if other.managed_by == cluster and name in report.clusters
    )
    if delivered:
        parts.append(
            "its Argo CD also delivers the changes to " + ", ".join(f"`{n}`" for n in delivered)
        )
    return "; ".join(parts)


def next_steps(
    report: DiffReport,
    clusters: Mapping[str, ClusterInfo],
    before: Mapping[str, ClusterInfo] | None = None,
) -> list[NextStep]:
    """One step per changed cluster; `before` is the base catalog's view of the clusters."""
    before = before or {}
    steps = []
    for cluster in report.clusters:
        if not cluster:
            continue
        info = before.get(cluster, clusters.get(cluster))  # the policy the change meets
        steps.append(
            NextStep(
                cluster,
                info.gitops if info else "",
                (info.managed_by or cluster) if info else cluster,
                info.automated if info else False,
                info.prune if info else False,
                _message(report, cluster, clusters, before),
            )
        )
    return steps


def _keeps(body: Mapping[str, Any]) -> bool:
    """Whether the GitOps engine leaves the object in place when it is no longer rendered."""
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping):
        return False
    flux = str(annotations.get("kustomize.toolkit.fluxcd.io/prune", "")).lower() == "disabled"
    argo = "Prune=false" in str(annotations.get("argocd.argoproj.io/sync-options", ""))
    return flux or argo
