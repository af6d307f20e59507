"""Catalog + one cluster's rendered units → GitOps objects by output folder under
rendered/<cluster>/: Argo CD `apps` and `bootstrap`, or Flux `flux`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from generator.errors import GeneratorError
from generator.gitops.argocd import argocd_manifests
from generator.gitops.checks import Locate, catalog_positions, check_catalog, raise_problems
from generator.gitops.flux import flux_manifests
from generator.gitops.plan import UnitView, plan, unit_view
from generator.model import Catalog, Cluster, Manifest, RenderUnit

__all__ = ["catalog_positions", "check_catalog", "gitops_manifests"]


def gitops_manifests(
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    rendered: Mapping[str, Sequence[Manifest] | UnitView],
    at: Locate | None = None,
    *,
    checked: bool = False,
) -> dict[str, list[Manifest]]:
    """`rendered` maps a unit's dirname ("010-cert-manager", "tenants/alpha") to its final
    manifests, or to what the GitOps stage reads of them (plan.unit_view); the result maps an
    output folder to the objects to write there, sorted.
    `at` locates catalog keys (catalog_positions(repo)); without it, problems name the file.
    `checked`: the caller ran check_catalog on every unit of the catalog already."""
    if not checked:  # the same checks as `generator lint`: both refuse a catalog alike
        raise_problems(check_catalog(catalog, units, at))
    views = {
        dirname: out if isinstance(out, UnitView) else unit_view(out)
        for dirname, out in rendered.items()
    }
    deployments = plan(catalog, cluster, units, views)
    if cluster.gitops == "argocd":
        folders = argocd_manifests(catalog, cluster, deployments)
    elif cluster.gitops == "flux":
        folders = flux_manifests(catalog, cluster, deployments)
    else:
        raise GeneratorError(
            f"cluster '{cluster.name}' uses unknown gitops '{cluster.gitops}'",
            cluster.origin,
            "set gitops to argocd or flux",
        )
    return {
        folder: sorted(objects, key=lambda m: (m.kind, m.name))
        for folder, objects in folders.items()
    }
