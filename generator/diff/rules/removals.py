"""Attention rules for what disappears: whole clusters, operator or tenant folders, Namespaces
(and everything in them), and any other deleted object."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from generator.diff.rules.context import Hit, Rule, RuleContext, ref
from generator.diff.rules.network import is_network
from generator.diff.rules.rbac import is_rbac

# Kinds whose deletion another rule reports with more to say.
OWN_RULES = frozenset({"Namespace", "CustomResourceDefinition", "Secret"})


def clusters_removed(context: RuleContext) -> Iterator[Hit]:
    counts = Counter(c.cluster for c in context.report.removed if context.in_removed_cluster(c))
    for cluster, count in sorted(counts.items()):
        first = next(c for c in context.report.removed if c.cluster == cluster)
        hit = context.hit(first, "")
        yield Hit(f"`{cluster}` removed: all {count} resources deleted", cluster, hit.sources)


def components_removed(context: RuleContext) -> Iterator[Hit]:
    gone = context.removed_components
    counts = Counter((c.cluster, c.component) for c in context.report.removed)
    for change in context.report.removed:
        place = (change.cluster, change.component)
        if place in gone and counts[place]:
            message = f"`{change.component}` removed: all {counts[place]} resources deleted"
            counts[place] = 0
            yield context.hit(change, message)


def namespaces_deleted(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.removed:
        key = change.key
        namespace = key.kind == "Namespace" and key.api_version == "v1"
        if namespace and not context.in_removed_cluster(change):
            yield context.hit(change, f"`Namespace {key.name}` deleted, and every object in it")


def other_deletions(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.removed:
        key = change.key
        if context.in_removed_cluster(change) or context.in_removed_component(change):
            continue  # summed up in one item
        if key.kind in OWN_RULES or is_network(key) or is_rbac(key):
            continue  # their own rules say it
        yield context.hit(change, f"{ref(change)} deleted")


RULES = (
    Rule(
        "cluster-removed",
        "high",
        "Clusters removed",
        "Everything the platform installed on the cluster is deleted (as far as the GitOps "
        "engine prunes): one line instead of hundreds of deletions.",
        clusters_removed,
    ),
    Rule(
        "namespace-deletion",
        "high",
        "Namespace deletions",
        "Deleting a Namespace deletes every object in it, including workloads and volumes the "
        "platform did not render.",
        namespaces_deleted,
    ),
    Rule(
        "component-removed",
        "medium",
        "Components removed",
        "An operator or tenant folder disappears from a cluster: all its objects go.",
        components_removed,
    ),
    Rule(
        "deletion",
        "medium",
        "Deletions",
        "Any other object deleted from a cluster that stays.",
        other_deletions,
    ),
)
