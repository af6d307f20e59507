"""One cluster's Deployments → Flux objects (flux/): the GitRepository, a Kustomization per unit
chained by waves, and the `flux-system` Kustomization a human applies once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from generator.errors import GeneratorError
from generator.gitops.plan import Deployment, labels, repo_path, waves
from generator.model import Catalog, Cluster, Manifest

FLUX_NAMESPACE = "flux-system"
ROOT = (
    "flux-system"  # the GitRepository and the entry Kustomization, as `flux bootstrap` names them
)
GIT_SECRET = "flux-system"
SOPS_SECRET = "sops-age"
SOURCE_INTERVAL = "1m"
INTERVAL = "10m"
RETRY_INTERVAL = "2m"
WAIT_TIMEOUT = "5m"
KUSTOMIZE_API = "kustomize.toolkit.fluxcd.io/v1"
SOURCE_API = "source.toolkit.fluxcd.io/v1"
_COMMIT = re.compile(r"[0-9a-f]{40}")


def flux_manifests(
    catalog: Catalog, cluster: Cluster, deployments: Sequence[Deployment]
) -> dict[str, list[Manifest]]:
    if cluster.managed_by:
        raise GeneratorError(
            f"cluster '{cluster.name}' uses gitops: flux but names managedBy "
            f"'{cluster.managed_by}'",
            cluster.origin,
            "Flux runs inside each cluster: remove managedBy, or set gitops: argocd to have "
            "the management cluster's Argo CD deploy it",
        )
    prune = bool(catalog.environment(cluster.environment).sync.get("prune", True))
    objects = [
        git_repository(catalog, cluster),
        kustomization(catalog, cluster, ROOT, repo_path(catalog, cluster, "flux"), prune, {}),
    ]
    previous: list[str] = []
    for wave in waves(deployments):
        names = [kustomization_name(d) for d in wave]
        objects += [unit_kustomization(catalog, cluster, d, prune, previous) for d in wave]
        previous = names
    check_names(objects)
    return {"flux": objects}


def kustomization_name(deployment: Deployment) -> str:
    return f"tenant-{deployment.unit.name}" if deployment.is_tenant else deployment.unit.name


def git_repository(catalog: Catalog, cluster: Cluster) -> Manifest:
    body = {
        "apiVersion": SOURCE_API,
        "kind": "GitRepository",
        "metadata": {"name": ROOT, "namespace": FLUX_NAMESPACE, "labels": labels(catalog, cluster)},
        "spec": {
            "interval": SOURCE_INTERVAL,
            "url": catalog.platform.repo_url,
            "ref": git_ref(catalog.platform.revision),
            "secretRef": {"name": GIT_SECRET},
            # Only this cluster's folder: other clusters' changes do not trigger reconciles.
            "ignore": f"/*\n!/{repo_path(catalog, cluster, '')}/\n",
        },
    }
    return Manifest(body, cluster.origin)


def git_ref(revision: str) -> dict[str, str]:
    """A full commit SHA pins a commit, `refs/...` names any ref (a tag), anything else is a
    branch."""
    if _COMMIT.fullmatch(revision):
        return {"commit": revision}
    if revision.startswith("refs/"):
        return {"name": revision}
    return {"branch": revision}


def unit_kustomization(
    catalog: Catalog,
    cluster: Cluster,
    deployment: Deployment,
    prune: bool,
    depends_on: Sequence[str],
) -> Manifest:
    extra: dict[str, Any] = {}
    if depends_on:
        extra["dependsOn"] = [{"name": name} for name in sorted(depends_on)]
    # A later wave only starts once this one is Ready; for CRD installers Ready must mean the
    # CRDs are Established, or custom resources of the next wave fail to apply.
    if deployment.option("wait", bool(deployment.crds)):
        extra["wait"] = True
        extra["timeout"] = WAIT_TIMEOUT
    elif deployment.crds:
        extra["healthChecks"] = [
            {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "name": name,
            }
            for name in deployment.crds
        ]
        extra["timeout"] = WAIT_TIMEOUT
    if deployment.encrypted_secrets:
        extra["decryption"] = {"provider": "sops", "secretRef": {"name": SOPS_SECRET}}
    manifest = kustomization(
        catalog,
        cluster,
        kustomization_name(deployment),
        deployment.path,
        prune,
        extra,
        deployment.unit.name,
    )
    return Manifest(manifest.body, deployment.unit.origin)


def kustomization(
    catalog: Catalog,
    cluster: Cluster,
    name: str,
    path: str,
    prune: bool,
    extra: dict[str, Any],
    component: str = "",
) -> Manifest:
    body = {
        "apiVersion": KUSTOMIZE_API,
        "kind": "Kustomization",
        "metadata": {
            "name": name,
            "namespace": FLUX_NAMESPACE,
            "labels": labels(catalog, cluster, component),
        },
        "spec": {
            "interval": INTERVAL,
            "retryInterval": RETRY_INTERVAL,
            "path": f"./{path}",
            "prune": prune,
            "sourceRef": {"kind": "GitRepository", "name": ROOT},
            **extra,
        },
    }
    return Manifest(body, cluster.origin)


def check_names(manifests: Sequence[Manifest]) -> None:
    seen: dict[tuple[str, str], Manifest] = {}
    for manifest in manifests:
        first = seen.setdefault((manifest.kind, manifest.name), manifest)
        if first is not manifest:
            raise GeneratorError(
                f"two Flux {manifest.kind}s named '{manifest.name}' "
                f"(the other comes from {first.origin})",
                manifest.origin,
                f"rename the operator: '{ROOT}' and 'tenant-*' are taken by the generator's "
                "own objects and the tenants",
            )
