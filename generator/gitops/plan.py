"""RenderUnits + their rendered manifests → Deployments: what each GitOps object needs to know
(wave, repository path, installs CRDs, carries SOPS-encrypted Secrets, operator options)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import GeneratorError
from generator.labels import common_labels
from generator.model import Catalog, Cluster, Manifest, Origin, RenderUnit
from generator.secrets import is_secret, is_sops_encrypted


@dataclass(frozen=True, slots=True)
class Deployment:
    """One rendered unit as a GitOps tool sees it."""

    unit: RenderUnit
    path: str  # folder inside the platform repository, "rendered/<cluster>/<dirname>"
    crds: tuple[str, ...]  # names of the CustomResourceDefinitions the unit installs
    encrypted_secrets: tuple[str, ...]  # names of Secrets carrying a top-level `sops` key
    namespaces: tuple[str, ...]  # names of the Namespace objects the unit renders
    options: Mapping[str, Any]  # the operator's `gitops:` block; {} for tenants

    @property
    def wave(self) -> int:
        # Operators are numbered 000-999 and merge.py gives tenants 1000: after every operator,
        # and the number does not move when an operator is added (readable diffs).
        return self.unit.order

    @property
    def is_tenant(self) -> bool:
        return self.unit.kind == "tenant"

    def option(self, key: str, default: bool) -> bool:
        return bool(self.options.get(key, default))


@dataclass(frozen=True, slots=True)
class UnitView:
    """What plan() reads of a unit's output."""

    crds: tuple[str, ...]  # names of its CustomResourceDefinitions
    encrypted_secrets: tuple[str, ...]  # names of its Secrets carrying a top-level `sops` key
    namespaces: tuple[str, ...]  # names of its Namespace objects
    empty: bool  # it renders nothing


def unit_view(manifests: Sequence[Manifest]) -> UnitView:
    return UnitView(
        tuple(sorted(m.name for m in manifests if is_crd(m))),
        tuple(sorted(m.name for m in manifests if is_encrypted(m))),
        tuple(sorted(m.name for m in manifests if m.kind == "Namespace")),
        not manifests,
    )


def plan(
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    views: Mapping[str, UnitView],
) -> list[Deployment]:
    """The cluster's units that produced objects, in wave order then by name.

    A unit that renders nothing gets no GitOps object: its folder does not exist in Git, and
    both Argo CD and Flux fail on a missing path.
    """
    operators = {o.name: o for o in catalog.operators}
    deployments = []
    for unit in units:
        if unit.cluster.name != cluster.name:
            continue
        view = views.get(unit.dirname)
        if view is None or view.empty:
            continue
        options: Mapping[str, Any] = {}
        if unit.kind == "operator" and unit.name in operators:
            # Types were checked against schemas/catalog/operator.yaml by the loader.
            options = operators[unit.name].gitops or {}
        deployments.append(
            Deployment(
                unit=unit,
                path=repo_path(catalog, cluster, unit.dirname),
                crds=view.crds,
                encrypted_secrets=view.encrypted_secrets,
                namespaces=view.namespaces,
                options=options,
            )
        )
    return sorted(deployments, key=lambda d: (d.wave, d.is_tenant, d.unit.name))


def waves(deployments: Sequence[Deployment]) -> list[list[Deployment]]:
    """Deployments grouped by wave, lowest first; equal operator numbers share a wave."""
    groups: dict[int, list[Deployment]] = {}
    for deployment in deployments:
        groups.setdefault(deployment.wave, []).append(deployment)
    return [groups[wave] for wave in sorted(groups)]


def repo_path(catalog: Catalog, cluster: Cluster, folder: str) -> str:
    base = catalog.platform.rendered_path.strip("/")
    return "/".join(p for p in (base, cluster.name, folder) if p)


def is_crd(manifest: Manifest) -> bool:
    return manifest.kind == "CustomResourceDefinition" and manifest.api_version.startswith(
        "apiextensions.k8s.io/"
    )


def is_encrypted(manifest: Manifest) -> bool:
    return is_secret(manifest.body) and is_sops_encrypted(manifest.body)


def gitops_object(
    catalog: Catalog,
    cluster: Cluster,
    kind: tuple[str, str],
    name: str,
    namespace: str,
    spec: Mapping[str, Any],
    origin: Origin,
    *,
    component: str = "",
    annotations: Mapping[str, str] | None = None,
    finalizers: Sequence[str] = (),
) -> Manifest:
    """One Argo CD or Flux object; `kind` is (apiVersion, kind)."""
    metadata: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "labels": labels(catalog, cluster, component),
    }
    if annotations:
        metadata["annotations"] = dict(annotations)
    if finalizers:
        metadata["finalizers"] = list(finalizers)
    body = {"apiVersion": kind[0], "kind": kind[1], "metadata": metadata, "spec": spec}
    return Manifest(body, origin)


def check_unique(manifests: Sequence[Manifest], tool: str, hint: str) -> None:
    """Objects of one kind share a namespace, so their names must differ."""
    seen: dict[tuple[str, str], Manifest] = {}
    for manifest in manifests:
        first = seen.setdefault((manifest.kind, manifest.name), manifest)
        if first is not manifest:
            raise GeneratorError(
                f"two {tool} {manifest.kind}s named '{manifest.name}' "
                f"(the other comes from {first.origin})",
                manifest.origin,
                hint,
            )


def labels(catalog: Catalog, cluster: Cluster, component: str = "") -> dict[str, str]:
    """The common labels every generated object carries, as the pipeline sets them elsewhere."""
    return common_labels(catalog.platform.name, cluster.name, component)
