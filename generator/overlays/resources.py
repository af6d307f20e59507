"""Kubernetes YAML files → Resource working records, and the ResMap that holds them in order."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.yamlio import load_manifests_with_lines

# Kinds Kubernetes serves without a namespace. Kustomize treats every other kind, including
# custom resources whose CRD says `scope: Cluster`, as namespaced (behaviour 2).
CLUSTER_SCOPED = frozenset(
    {
        "APIService", "CSIDriver", "CSINode", "CertificateSigningRequest", "ClusterRole",
        "ClusterRoleBinding", "ComponentStatus", "CustomResourceDefinition", "FlowSchema",
        "IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node", "PersistentVolume",
        "PodSecurityPolicy", "PriorityClass", "PriorityLevelConfiguration", "RuntimeClass",
        "SelfSubjectAccessReview", "SelfSubjectRulesReview", "StorageClass",
        "SubjectAccessReview", "TokenReview", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)  # fmt: skip


class Resource:
    """One object being built. Mutable on purpose: transformers edit bodies in place, which
    keeps a build linear instead of copying every object at every step.

    `history` holds the (namespace, name) pairs the object had before each rename, oldest
    first, so patches and name references can find it by an earlier identity (behaviour 7).
    """

    __slots__ = ("body", "generator", "history", "needs_hash", "origin", "unit")

    def __init__(self, body: dict[str, Any], origin: Origin, unit: str | None = None):
        self.body = body
        self.origin = origin
        self.history: list[tuple[str, str]] = []
        self.needs_hash = False
        self.generator: str | None = None  # "ConfigMap" or "Secret" when generated
        self.unit = unit

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion") or "")

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    @property
    def kind(self) -> str:
        return str(self.body.get("kind") or "")

    @property
    def meta(self) -> dict[str, Any]:
        meta = self.body.get("metadata")
        if not isinstance(meta, dict):
            meta = self.body["metadata"] = {}
        return meta

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or "")

    @property
    def namespace(self) -> str:
        return str(self.meta.get("namespace") or "")

    @property
    def cluster_scoped(self) -> bool:
        return self.kind in CLUSTER_SCOPED

    def remember(self) -> None:
        """Record the current identity before a rename or namespace change."""
        self.history.append((self.namespace, self.name))

    def set_name(self, name: str) -> None:
        self.meta["name"] = name

    @property
    def original(self) -> tuple[str, str]:
        return self.history[0] if self.history else (self.namespace, self.name)

    def identities(self) -> Iterator[tuple[str, str]]:
        """Every (namespace, name) the object has had, current last."""
        yield from self.history
        yield (self.namespace, self.name)

    def labels(self) -> dict[str, Any]:
        labels = self.meta.get("labels")
        return labels if isinstance(labels, dict) else {}

    def annotations(self) -> dict[str, Any]:
        annotations = self.meta.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    def describe(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} '{where}{self.name}'"


def effective_namespace(namespace: str) -> str:
    """Kustomize counts a missing namespace as `default` when comparing identities."""
    return namespace or "default"


class ResMap:
    """Resources in build order, refusing two objects with the same current identity."""

    def __init__(self) -> None:
        self.items: list[Resource] = []

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def extend(self, resources: Iterable[Resource]) -> None:
        index = {_cur_key(r): r for r in self.items}
        for resource in resources:
            key = _cur_key(resource)
            clash = index.get(key)
            if clash is not None:
                raise _conflict(resource, clash)
            self.items.append(resource)
            index[key] = resource

    def replace_all(self, resources: list[Resource]) -> None:
        self.items = resources


def _conflict(resource: Resource, clash: Resource) -> GeneratorError:
    """Two objects with one identity. Between units the source file is often the same
    template, so the units are what tells the two apart."""
    if resource.unit and clash.unit and resource.unit != clash.unit:
        return GeneratorError(
            f"{resource.describe()} of unit '{resource.unit}' is already in the build (from unit"
            f" '{clash.unit}', {clash.origin})",
            resource.origin,
            f"each object may come from one unit only; remove it from '{clash.unit}' or"
            f" '{resource.unit}', or give the two different names or namespaces",
        )
    where = f"unit '{clash.unit}', {clash.origin}" if clash.unit else str(clash.origin)
    return GeneratorError(
        f"{resource.describe()} is already in the build (from {where})",
        resource.origin,
        "each object may appear only once in a build; remove one of the two or"
        " give them different names or namespaces",
    )


def _cur_key(r: Resource) -> tuple[str, str, str, str, str]:
    namespace = "" if r.cluster_scoped else effective_namespace(r.namespace)
    return (r.group, r.version, r.kind, namespace, r.name)


def relpath(path: Path, root: Path) -> PurePosixPath:
    """The path as shown to users: relative to the root when inside it."""
    try:
        return PurePosixPath(path.resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        return PurePosixPath(path.as_posix())


_SEPARATOR = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_CHUNK = 16 * 1024


def parse_documents(text: str, origin_path: PurePosixPath) -> list[tuple[Any, int]]:
    """(document, 1-based start line) for every non-empty document of a YAML stream.

    Large streams are parsed in pieces of whole documents: the shared loader counts lines
    from the start of the text for every document, which is quadratic on big bases.
    """
    if len(text) <= _CHUNK:
        return [(doc, line) for line, doc in load_manifests_with_lines(text, origin_path)]
    out: list[tuple[Any, int]] = []
    start, line = 0, 0
    cuts = [m.start() for m in _SEPARATOR.finditer(text)] + [len(text)]
    for cut in cuts:
        if cut - start < _CHUNK and cut != len(text):
            continue
        piece = text[start:cut]
        for inner, document in load_manifests_with_lines(piece, origin_path):
            out.append((document, inner + line))
        line += piece.count("\n")
        start = cut
    return out


def resources_from_text(text: str, origin_path: PurePosixPath) -> list[Resource]:
    """Objects of a YAML stream, with `List` kinds flattened (behaviour 15)."""
    out: list[Resource] = []
    for document, line in parse_documents(text.removeprefix("\ufeff"), origin_path):
        origin = Origin(origin_path, line)
        for body in _flatten(document, origin):
            out.append(Resource(body, origin))
    return out


def _flatten(document: Any, origin: Origin) -> list[dict[str, Any]]:
    if not isinstance(document, dict):
        raise GeneratorError(
            "a resource must be a YAML mapping",
            origin,
            "each document in a resource file must be one Kubernetes object",
        )
    kind = document.get("kind")
    items = document.get("items")
    if isinstance(kind, str) and kind.endswith("List") and "items" in document:
        out: list[dict[str, Any]] = []
        for item in items or []:
            out.extend(_flatten(item, origin))
        return out
    if not kind or not document.get("apiVersion"):
        raise GeneratorError(
            "resource is missing 'apiVersion' or 'kind'",
            origin,
            "every Kubernetes object needs apiVersion, kind and metadata.name",
        )
    meta = document.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise GeneratorError(
            f"{kind} has no metadata.name",
            origin,
            "every Kubernetes object needs apiVersion, kind and metadata.name",
        )
    return [document]
