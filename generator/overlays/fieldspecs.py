"""Kustomize field specs (group, version, kind, path, create) → the fields they reach in a body."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from generator.overlays.resources import Resource


class FieldSpec(NamedTuple):
    group: str | None  # None: any group
    version: str | None
    kind: str | None
    path: tuple[str, ...]
    create: bool

    def selects(self, resource: Resource) -> bool:
        return (
            (self.kind is None or self.kind == resource.kind)
            and (self.group is None or self.group == resource.group)
            and (self.version is None or self.version == resource.version)
        )


_UNESCAPED_SLASH = re.compile(r"(?<!\\)/")


def spec(
    path: str,
    kind: str | None = None,
    group: str | None = None,
    *,
    version: str | None = None,
    create: bool = False,
) -> FieldSpec:
    parts = tuple(p.replace("\\/", "/") for p in _UNESCAPED_SLASH.split(path))
    return FieldSpec(group, version, kind, parts, create)


def visit(
    node: Any, path: tuple[str, ...], create: bool, leaf: Callable[[dict[str, Any], str], None]
) -> None:
    """Call leaf(parent, key) for every place `path` reaches; lists fan out to their items."""
    if isinstance(node, list):
        for item in node:
            visit(item, path, create, leaf)
        return
    if not isinstance(node, dict) or not path:
        return
    head = path[0]
    if head.endswith("[]"):
        head = head[:-2]
    if len(path) == 1:
        if head in node or create:
            leaf(node, head)
        return
    child = node.get(head)
    if child is None:
        if not create:
            return
        child = node[head] = {}
    visit(child, path[1:], create, leaf)


def apply_map(
    resources: Iterable[Resource], specs: Iterable[FieldSpec], pairs: dict[str, str]
) -> None:
    """Merge `pairs` into every map field the specs reach (labels, selectors, annotations)."""
    specs = tuple(specs)

    def leaf(parent: dict[str, Any], key: str) -> None:
        current = parent.get(key)
        if not isinstance(current, dict):
            current = parent[key] = {}
        current.update(pairs)

    for resource in resources:
        for fs in by_kind(specs).get(resource.kind, ()) + by_kind(specs).get(None, ()):
            if fs.selects(resource):
                visit(resource.body, fs.path, fs.create, leaf)


_BY_KIND_CACHE: dict[tuple[FieldSpec, ...], dict[str | None, tuple[FieldSpec, ...]]] = {}


def by_kind(specs: tuple[FieldSpec, ...]) -> dict[str | None, tuple[FieldSpec, ...]]:
    """Specs grouped by kind (None: every kind), so each object checks only its own."""
    grouped = _BY_KIND_CACHE.get(specs)
    if grouped is None:
        lists: dict[str | None, list[FieldSpec]] = {}
        for fs in specs:
            lists.setdefault(fs.kind, []).append(fs)
        grouped = {kind: tuple(items) for kind, items in lists.items()}
        if len(_BY_KIND_CACHE) < 64:
            _BY_KIND_CACHE[specs] = grouped
    return grouped


_TEMPLATE_KINDS = (
    ("ReplicationController", None, "spec/template"),
    ("Deployment", None, "spec/template"),
    ("ReplicaSet", None, "spec/template"),
    ("DaemonSet", None, "spec/template"),
    ("StatefulSet", "apps", "spec/template"),
    ("Job", "batch", "spec/template"),
    ("CronJob", "batch", "spec/jobTemplate"),
    ("CronJob", "batch", "spec/jobTemplate/spec/template"),
)


def template_specs(field: str) -> tuple[FieldSpec, ...]:
    """metadata/<field> inside pod and job templates of the built-in workloads."""
    return tuple(
        spec(f"{base}/metadata/{field}", kind, group, create=True)
        for kind, group, base in _TEMPLATE_KINDS
    )


METADATA_LABELS = (spec("metadata/labels", create=True),)
TEMPLATE_LABELS = (
    *template_specs("labels"),
    spec("spec/volumeClaimTemplates[]/metadata/labels", "StatefulSet", "apps", create=True),
)
COMMON_ANNOTATIONS = (spec("metadata/annotations", create=True), *template_specs("annotations"))

_AFFINITY = (
    *(
        f"spec/template/spec/affinity/{kind}/{term}/labelSelector/matchLabels"
        for kind in ("podAffinity", "podAntiAffinity")
        for term in (
            "preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm",
            "requiredDuringSchedulingIgnoredDuringExecution",
        )
    ),
    "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
)

# Where commonLabels and `labels` with includeSelectors write (behaviour 5).
SELECTOR_LABELS = (
    spec("spec/selector", "Service", version="v1", create=True),
    spec("spec/selector", "ReplicationController", version="v1", create=True),
    spec("spec/selector/matchLabels", "Deployment", create=True),
    *(spec(p, "Deployment", "apps") for p in _AFFINITY),
    spec("spec/selector/matchLabels", "ReplicaSet", create=True),
    spec("spec/selector/matchLabels", "DaemonSet", create=True),
    spec("spec/selector/matchLabels", "StatefulSet", "apps", create=True),
    spec("spec/volumeClaimTemplates[]/metadata/labels", "StatefulSet", "apps", create=True),
    *(spec(p, "StatefulSet", "apps") for p in _AFFINITY),
    spec("spec/selector/matchLabels", "Job", "batch"),
    spec("spec/jobTemplate/spec/selector/matchLabels", "CronJob", "batch"),
    spec("spec/selector/matchLabels", "PodDisruptionBudget", "policy"),
    spec("spec/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    spec("spec/ingress/from/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
    spec("spec/egress/to/podSelector/matchLabels", "NetworkPolicy", "networking.k8s.io"),
)
COMMON_LABELS = (*SELECTOR_LABELS, *METADATA_LABELS, *TEMPLATE_LABELS)

REPLICA_KINDS = frozenset({"Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"})


def user_specs(entries: Iterable[Any]) -> tuple[FieldSpec, ...]:
    """Field specs written in a kustomization (`labels[].fields`)."""
    out = []
    for entry in entries:
        out.append(
            spec(
                str(entry.get("path", "")),
                entry.get("kind"),
                entry.get("group"),
                version=entry.get("version"),
                create=bool(entry.get("create", False)),
            )
        )
    return tuple(out)
