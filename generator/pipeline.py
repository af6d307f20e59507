"""render_all(): catalog → units → engines → labels → validation → [RenderedFile], in order."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from generator.catalog import load_catalog
from generator.engines import engine
from generator.errors import GeneratorError
from generator.merge import resolve_units
from generator.model import Catalog, Cluster, Finding, Manifest, RenderedFile, RenderUnit
from generator.writer import RENDERED, compare, layout, read_tree, write_tree

MANAGED_BY = "platform-generator"
LABEL_CLUSTER = "platform.generator/cluster"
LABEL_COMPONENT = "platform.generator/component"

# Built-in kinds that have no namespace; CustomResourceDefinitions in the output add theirs.
CLUSTER_SCOPED = frozenset(
    {
        "Namespace", "Node", "PersistentVolume", "StorageClass", "CSIDriver", "CSINode",
        "CustomResourceDefinition", "APIService", "ClusterRole", "ClusterRoleBinding",
        "PriorityClass", "RuntimeClass", "IngressClass", "VolumeAttachment",
        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
        "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "FlowSchema",
        "PriorityLevelConfiguration", "CertificateSigningRequest", "ComponentStatus",
    }
)  # fmt: skip


@dataclass
class RenderResult:
    files: list[RenderedFile]
    findings: list[Finding]
    clusters: tuple[str, ...]
    full: bool  # every cluster of the catalog was rendered
    timings: dict[str, float] = field(default_factory=dict)

    def timings_text(self) -> str:
        return "timings: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in self.timings.items())


def render_all(repo: Path, *, clusters: Sequence[str] = (), validate: bool = True) -> RenderResult:
    timings: dict[str, float] = {}
    with _timed(timings, "catalog"):
        catalog = load_catalog(repo)  # read and check every catalog file
    with _timed(timings, "merge"):
        units = resolve_units(catalog, clusters)  # merge values: platform → env → cluster → unit
    by_cluster: dict[str, list[RenderUnit]] = defaultdict(list)
    for unit in units:
        by_cluster[unit.cluster.name].append(unit)
    selected = [c for c in sorted(catalog.clusters, key=lambda c: c.name) if not clusters or c.name in clusters]
    files: list[RenderedFile] = []
    findings: list[Finding] = []
    for cluster in selected:
        rendered = _render_cluster(repo, catalog, cluster, by_cluster[cluster.name], timings)
        _check_unique(rendered)
        for unit, manifests in rendered:
            files.extend(layout(cluster.name, unit.dirname, manifests, unit.sources))
    return RenderResult(files, findings, tuple(c.name for c in selected), not clusters, timings)


def _render_cluster(
    repo: Path, catalog: Catalog, cluster: Cluster, units: Sequence[RenderUnit], timings: dict[str, float]
) -> list[tuple[RenderUnit, list[Manifest]]]:
    rendered = []
    for unit in units:
        with _timed(timings, f"engine:{unit.component.engine}"):
            manifests = engine(unit.component.engine)(unit, repo)  # template, evaluate or chart
        rendered.append((unit, manifests))
    scoped = _cluster_scoped_kinds(m for _, ms in rendered for m in ms)
    return [(unit, [_decorate(m, unit, catalog, scoped) for m in ms]) for unit, ms in rendered]


def _cluster_scoped_kinds(manifests: Iterator[Manifest]) -> frozenset[str]:
    kinds = set(CLUSTER_SCOPED)
    for m in manifests:
        if m.kind == "CustomResourceDefinition" and m.body.get("spec", {}).get("scope") == "Cluster":
            kinds.add(str(m.body["spec"].get("names", {}).get("kind", "")))
    return frozenset(kinds)


def _decorate(manifest: Manifest, unit: RenderUnit, catalog: Catalog, cluster_scoped: frozenset[str]) -> Manifest:
    """Common labels on every object; the unit's namespace on namespaced objects lacking one."""
    body: dict[str, Any] = dict(manifest.body)
    metadata: dict[str, Any] = dict(body.get("metadata") or {})
    metadata["labels"] = {
        **(metadata.get("labels") or {}),
        "app.kubernetes.io/managed-by": MANAGED_BY,
        "app.kubernetes.io/part-of": catalog.platform.name,
        LABEL_CLUSTER: unit.cluster.name,
        LABEL_COMPONENT: unit.name,
    }
    if manifest.kind not in cluster_scoped and not metadata.get("namespace"):
        metadata["namespace"] = unit.namespace
    body["metadata"] = metadata
    return Manifest(body, manifest.origin)


def _check_unique(rendered: Sequence[tuple[RenderUnit, Sequence[Manifest]]]) -> None:
    seen: dict[Any, tuple[RenderUnit, Manifest]] = {}
    for unit, manifests in rendered:
        for m in manifests:
            if m.key in seen:
                other_unit, other = seen[m.key]
                raise GeneratorError(
                    f"{unit.cluster.name}: {m.key} is rendered twice: by '{other_unit.name}' "
                    f"({other.origin}) and by '{unit.name}'",
                    m.origin,
                    "each object may come from one component only; remove or rename one of them",
                )
            seen[m.key] = (unit, m)


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def _scope(result: RenderResult) -> list[str] | None:
    return None if result.full else list(result.clusters)


def stale_files(repo: Path, result: RenderResult) -> list[str]:
    """`added: …`, `changed: …`, `removed: …` for every file of rendered/ that differs."""
    return compare(read_tree(repo / RENDERED, _scope(result)), result.files).lines()


def write(repo: Path, result: RenderResult) -> str:
    return str(write_tree(repo / RENDERED, result.files, _scope(result)))


def lint(repo: Path) -> str:
    catalog = load_catalog(repo)
    units = resolve_units(catalog)  # also checks references and interpolation
    return (
        f"{len(catalog.clusters)} clusters, {len(catalog.operators)} operators, "
        f"{len(catalog.tenants)} tenants, {len(units)} units"
    )


def rendered_paths(files: Sequence[RenderedFile]) -> Mapping[str, list[PurePosixPath]]:
    by_cluster: dict[str, list[PurePosixPath]] = defaultdict(list)
    for f in files:
        by_cluster[f.relpath.parts[0]].append(f.relpath)
    return by_cluster
