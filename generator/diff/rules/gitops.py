"""Attention rule for the GitOps objects themselves (Argo CD Applications and AppProjects,
Flux Kustomizations and GitRepositories): sync policy, prune, project, source, destination."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.compare import Change
from generator.diff.rules.context import Hit, Rule, RuleContext, fmt, spec

ARGO_GROUP, FLUX_GROUPS = "argoproj.io", ("kustomize.toolkit.fluxcd.io", "source.toolkit.fluxcd.io")
GITOPS_KINDS = frozenset({"Application", "AppProject", "Kustomization", "GitRepository"})


def _sync(body: Mapping[str, Any]) -> dict[str, Any]:
    """What decides when and how a change reaches the cluster, by name."""
    found: dict[str, Any] = {}
    policy = spec(body).get("syncPolicy")
    policy = policy if isinstance(policy, Mapping) else {}
    automated = policy.get("automated")
    if body.get("kind") == "Application":
        found["sync"] = "automated" if isinstance(automated, Mapping) else "manual"
        if isinstance(automated, Mapping):
            found["prune"] = automated.get("prune", False)
            found["selfHeal"] = automated.get("selfHeal", False)
        found["syncOptions"] = policy.get("syncOptions")
        found["project"] = spec(body).get("project")
        destination = spec(body).get("destination")
        if isinstance(destination, Mapping):
            found["destination"] = destination.get("server") or destination.get("name")
        source = spec(body).get("source")
        if isinstance(source, Mapping):
            found["source"] = f"{source.get('repoURL')}@{source.get('targetRevision')}"
    elif body.get("kind") == "AppProject":
        for field in ("destinations", "sourceRepos", "clusterResourceWhitelist"):
            found[field] = spec(body).get(field)
        found["namespaceResourceBlacklist"] = spec(body).get("namespaceResourceBlacklist")
    else:
        for field in ("prune", "suspend", "interval", "url", "ref", "serviceAccountName"):
            found[field] = spec(body).get(field)
    return found


def is_gitops(group: str, kind: str) -> bool:
    return kind in GITOPS_KINDS and (group == ARGO_GROUP or group in FLUX_GROUPS)


def describe(change: Change) -> str:
    """What changed in how the object syncs, or "" for anything else (labels, a path)."""
    key = change.key
    if change.old is None or change.new is None or not is_gitops(key.group, key.kind):
        return ""
    before, after = _sync(change.old.body), _sync(change.new.body)
    return "; ".join(
        f"{name} {fmt(before.get(name))} → {fmt(after.get(name))}"
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    )


def gitops(context: RuleContext) -> Iterator[Hit]:
    """One finding per cluster and kind of change: an environment switched to automated sync
    reads as one line per cluster, naming the first objects, not one per Application."""
    grouped: dict[tuple[str, str], list[Change]] = {}
    for change in context.report.changes:
        description = describe(change)
        if description:
            grouped.setdefault((change.cluster, description), []).append(change)
    for (_, description), changes in grouped.items():
        names = [f"`{c.key}`" for c in changes]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        yield context.hit(changes[0], f"{shown}: {description}")


RULES = (
    Rule(
        "gitops",
        "high",
        "GitOps objects",
        "Applications, AppProjects, Flux Kustomizations and GitRepositories decide whether a "
        "change syncs by itself, whether deletions are pruned, which project confines it and "
        "which repository and cluster it comes from and goes to.",
        gitops,
    ),
)
