"""DiffReport + cluster environments → [Attention]: the changes a reviewer must not miss
(deletions, CRDs, RBAC, network policies, namespaces, images, replicas in production)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.diff.compare import Change, DiffReport

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
REPLICA_FIELDS = ("replicas", "minReplicas", "maxReplicas")

# Categories in the order the report lists them.
CATEGORIES = {
    "cluster": "Clusters removed",
    "component": "Components removed",
    "namespace": "Namespace deletions",
    "deletion": "Deletions",
    "crd": "CustomResourceDefinition changes",
    "rbac": "RBAC changes",
    "network": "NetworkPolicy changes",
    "image": "Image changes",
    "replicas": "Replica changes in production",
}


@dataclass(frozen=True, slots=True)
class Attention:
    """One finding for reviewers, shared by every cluster where the same thing happens."""

    category: str  # a key of CATEGORIES
    message: str  # markdown-free text with `code` spans for names
    clusters: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    environment: str  # "" when the catalog does not say
    production: bool


def _ref(change: Change) -> str:
    where = f" ({change.component})" if change.component else ""
    return f"`{change.key}`{where}"


def _verb(change: Change) -> str:
    return {"added": "added", "removed": "deleted", "changed": "changed", "moved": "moved"}[
        change.status
    ]


def images(body: Mapping[str, Any]) -> dict[str, str]:
    """Container image by `<list path>/<container name>` anywhere in an object."""
    found: dict[str, str] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, Mapping):
            for name, value in node.items():
                if name in CONTAINER_LISTS and isinstance(value, list):
                    for container in value:
                        if isinstance(container, Mapping) and "image" in container:
                            label = str(container.get("name", "?"))
                            found[f"{path}{name}/{label}"] = str(container["image"])
                else:
                    walk(value, f"{path}{name}.")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(body, "")
    return found


def image_change(old: str, new: str) -> str:
    """`repo:old → new` when only the tag or digest moved, else both images in full."""
    for separator in ("@", ":"):
        old_repo, _, old_tag = old.rpartition(separator)
        new_repo, _, new_tag = new.rpartition(separator)
        if old_repo and old_repo == new_repo and "/" not in old_tag:
            return f"`{old_repo}{separator}{old_tag}` → `{new_tag}`"
    return f"`{old}` → `{new}`"


def _without_labels(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    if not isinstance(metadata, Mapping):
        return body
    kept = {k: v for k, v in metadata.items() if k not in ("labels", "annotations")}
    return {**body, "metadata": kept}


def substantive(change: Change) -> bool:
    """Whether a change touches more than labels and annotations."""
    if change.old is None or change.new is None:
        return True
    return _without_labels(change.old.body) != _without_labels(change.new.body)


def _spec_value(body: Mapping[str, Any], field: str) -> Any:
    spec = body.get("spec")
    return spec.get(field) if isinstance(spec, Mapping) else None


def _findings(
    change: Change, gone: Mapping[tuple[str, str], int], clusters: Mapping[str, ClusterInfo]
) -> Iterator[tuple[str, str]]:
    key, status = change.key, change.status
    if (change.cluster, "") in gone:
        return  # one item says the whole cluster goes
    if status in ("changed", "moved") and not substantive(change):
        return  # a new version label on every object is in the diff, not worth a warning
    # A deleted CRD, RBAC object or policy is listed once, under its own heading.
    if key.kind == "CustomResourceDefinition":
        names = change.resource.shown.get("spec", {}).get("names", {})
        kind = names.get("kind") if isinstance(names, Mapping) else None
        if status == "removed" and kind:
            yield "crd", f"`{key.name}` deleted, and every `{kind}` object with it"
        else:
            yield "crd", f"`{key.name}` {_verb(change)}"
    elif status == "removed" and key.kind == "Namespace" and key.api_version == "v1":
        yield "namespace", f"`Namespace {key.name}` deleted, and every object in it"
    elif (change.cluster, change.component) in gone:
        return  # the rest of a removed component is summed up in one item
    elif key.group == RBAC_GROUP and key.kind in RBAC_KINDS:
        yield "rbac", f"{_ref(change)} {_verb(change)}"
    elif key.kind.endswith("NetworkPolicy"):
        yield "network", f"{_ref(change)} {_verb(change)}"
    elif status == "removed":
        yield "deletion", f"{_ref(change)} deleted"
    if status in ("changed", "moved") and change.old and change.new:
        before, after = images(change.old.shown), images(change.new.shown)
        for container, image in after.items():
            old_image = before.get(container)
            if old_image is not None and old_image != image:
                name = container.rpartition("/")[2]
                yield "image", f"`{key}` container `{name}`: {image_change(old_image, image)}"
        info = clusters.get(change.cluster)
        if info is not None and info.production:
            for field in REPLICA_FIELDS:
                old_value = _spec_value(change.old.shown, field)
                new_value = _spec_value(change.new.shown, field)
                if old_value != new_value:
                    yield "replicas", f"`{key}` {field} {old_value} → {new_value}"


def attention(report: DiffReport, clusters: Mapping[str, ClusterInfo]) -> list[Attention]:
    """Findings grouped by message, so one operator bump reads once with its clusters."""
    removed_clusters = report.old_clusters - report.new_clusters
    removed_components = {
        place
        for place in report.old_components - report.new_components
        if place[0] not in removed_clusters
    }
    # (cluster, "") stands for a whole cluster, (cluster, component) for one component.
    gone: Counter[tuple[str, str]] = Counter()
    for change in report.removed:
        if change.cluster in removed_clusters:
            gone[(change.cluster, "")] += 1
        elif (change.cluster, change.component) in removed_components:
            gone[(change.cluster, change.component)] += 1
    grouped: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for (cluster, component), count in sorted(gone.items()):
        if component:
            message = f"`{component}` removed: all {count} resources deleted"
            grouped[("component", message)].append(cluster)
        else:
            grouped[("cluster", f"`{cluster}` removed: all {count} resources deleted")].append(
                cluster
            )
    for change in report.changes:
        for category, message in _findings(change, gone, clusters):
            if change.cluster not in grouped[(category, message)]:
                grouped[(category, message)].append(change.cluster)
    order = list(CATEGORIES)
    return [
        Attention(category, message, tuple(sorted(names)))
        for (category, message), names in sorted(
            grouped.items(), key=lambda item: (order.index(item[0][0]), item[0][1])
        )
    ]


def by_category(items: Sequence[Attention]) -> dict[str, list[Attention]]:
    grouped: dict[str, list[Attention]] = {}
    for item in items:
        grouped.setdefault(item.category, []).append(item)
    return grouped
