"""What every attention rule sees (the DiffReport, the clusters, the changed inputs, the tenant
library's own output) and the small readers of Kubernetes objects the rules share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from generator.diff.compare import Change, DiffReport, Resource
from generator.diff.inputs import InputChange, causes
from generator.diff.platform import ClusterInfo
from generator.secrets import carries_secret, hidden

Severity = Literal["high", "medium"]
GITOPS_FOLDERS = frozenset({"", "apps", "bootstrap", "flux"})  # not an operator or tenant
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
# (cluster, tenant) → the tenant library's objects for it, before overlays; None when the head
# catalog cannot be rendered (every tenant RBAC or NetworkPolicy change is then news).
Baseline = Callable[[], Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] | None]


@dataclass(frozen=True, slots=True)
class Hit:
    """One finding of a rule for one change (or one cluster)."""

    message: str  # markdown-free text with `code` spans for names
    cluster: str
    sources: tuple[str, ...]  # the catalog (or chart, overlay) files that caused it


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    title: str  # the heading the report lists its findings under
    rationale: str  # why a reviewer must look: docs/diff-bot.md says the same
    check: Callable[[RuleContext], Iterable[Hit]]


@dataclass
class RuleContext:
    report: DiffReport
    clusters: Mapping[str, ClusterInfo]
    inputs: tuple[InputChange, ...] = ()
    baseline: Baseline = lambda: None
    _baseline: Mapping[tuple[str, str], Sequence[Mapping[str, Any]]] | None = field(
        default=None, init=False
    )
    _baseline_read: bool = field(default=False, init=False)

    @property
    def removed_clusters(self) -> frozenset[str]:
        return self.report.old_clusters - self.report.new_clusters

    @property
    def removed_components(self) -> frozenset[tuple[str, str]]:
        """(cluster, component) folders that disappear from a cluster that stays."""
        gone = self.report.old_components - self.report.new_components
        return frozenset(p for p in gone if p[0] not in self.removed_clusters and p[1])

    @property
    def added_components(self) -> frozenset[tuple[str, str]]:
        return frozenset(self.report.new_components - self.report.old_components)

    def in_removed_cluster(self, change: Change) -> bool:
        return change.cluster in self.removed_clusters

    def summed_up(self, change: Change) -> bool:
        """Whether a headline or a removal line already covers the change: it belongs to a
        cluster that appears or disappears, to a folder that leaves its cluster, or delivers a
        folder that is new on its cluster."""
        return (
            self.in_removed_cluster(change)
            or self.in_added_cluster(change)
            or self.in_removed_component(change)
            or self.delivers_added_component(change)
        )

    def in_added_cluster(self, change: Change) -> bool:
        """A new cluster runs what the others run: its headline line says it, and listing every
        image and role of it again would bury the rest."""
        return change.cluster in self.report.new_clusters - self.report.old_clusters

    def in_removed_component(self, change: Change) -> bool:
        """Whether a change belongs to a folder that leaves its cluster, the Application,
        AppProject or Kustomization that deployed it included."""
        gone = self.removed_components
        return (change.cluster, change.component) in gone or (
            change.status == "removed" and (change.cluster, deployed_unit(change)) in gone
        )

    def delivers_added_component(self, change: Change) -> bool:
        """Whether a change is a new object that delivers a folder new on its cluster (its
        Application or Kustomization, a tenant's AppProjects or Flux ServiceAccount and
        bindings): the platform writes them for every unit, and the folder's headline line
        counts them."""
        unit = deployed_unit(change)
        return (
            change.status == "added"
            and bool(unit)
            and (change.cluster, unit) in (self.added_components)
        )

    def production(self, cluster: str) -> bool:
        info = self.clusters.get(cluster)
        return info is not None and info.production

    def hit(self, change: Change, message: str) -> Hit:
        info = self.clusters.get(change.cluster)
        environment = info.environment if info else ""
        return Hit(message, change.cluster, causes(change, self.inputs, environment))

    def from_tenant_library(self, resource: Resource) -> bool:
        """Whether a tenant's object is exactly what the tenant library renders for it: the
        platform's generated baseline, not news."""
        if not resource.component.startswith("tenants/"):
            return False
        if not self._baseline_read:
            self._baseline, self._baseline_read = self.baseline(), True
        if self._baseline is None:
            return False
        tenant = resource.component.removeprefix("tenants/")
        wanted = comparable(resource.body, resource.key.namespace)
        return any(
            comparable(body, resource.key.namespace) == wanted
            for body in self._baseline.get((resource.cluster, tenant), ())
        )


def deployed_unit(change: Change) -> str:
    """The component folder an object of a GitOps folder deploys ("" for anything else): an
    Application's or Kustomization's path, a tenant's delivery objects by their source."""
    if change.component not in GITOPS_FOLDERS or not change.component:
        return ""
    body = change.resource.body
    source = spec(body).get("source")
    path = source.get("path") if isinstance(source, Mapping) else spec(body).get("path")
    parts = PurePosixPath(str(path or "").removeprefix("./")).parts
    if len(parts) >= 3 and parts[1] == change.cluster and parts[2] not in GITOPS_FOLDERS:
        return "/".join(parts[2:4]) if parts[2] == "tenants" else parts[2]
    # What the platform writes beside a tenant's folder to deliver it (its AppProjects on Argo
    # CD; on Flux the ServiceAccount its Kustomization applies as, that account's bindings and
    # the Namespace) comes from the tenant's catalog file, which the file header names.
    source = PurePosixPath(change.resource.source)
    if source.parent == PurePosixPath("catalog/tenants"):
        return f"tenants/{source.stem}"
    return ""


def comparable(body: Mapping[str, Any], namespace: str) -> Mapping[str, Any]:
    """An object without labels and annotations, with the namespace the pipeline would give it."""
    metadata = body.get("metadata")
    metadata = dict(metadata) if isinstance(metadata, Mapping) else {}
    metadata.pop("labels", None)
    metadata.pop("annotations", None)
    if namespace:
        metadata.setdefault("namespace", namespace)
    return {**body, "metadata": metadata}


def substantive(change: Change) -> bool:
    """Whether a change touches more than labels and annotations."""
    if change.old is None or change.new is None:
        return True
    return comparable(change.old.body, "") != comparable(change.new.body, "")


def ref(change: Change) -> str:
    where = f" ({change.component})" if change.component else ""
    return f"`{change.key}`{where}"


def verb(change: Change) -> str:
    return {"added": "added", "removed": "deleted", "changed": "changed", "moved": "moved"}[
        change.status
    ]


def shown(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The body as rules may quote it: every Secret value it holds (generator.secrets)
    replaced, whatever a hand-made tree put where a rule looks."""
    return hidden(body, lambda _: "(hidden)") if carries_secret(body) else body


def spec(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    found = shown(body).get("spec") if body is not None else None
    return found if isinstance(found, Mapping) else {}


def annotations_of(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    metadata = body.get("metadata") if body is not None else None
    found = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return found if isinstance(found, Mapping) else {}


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

    walk(shown(body), "")
    return found


def fmt(value: Any) -> str:
    """A short rendering of a small value for a message: none, scalars, lists joined."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value) or "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={fmt(v)}" for k, v in value.items()) or "{}"
    return str(value)
