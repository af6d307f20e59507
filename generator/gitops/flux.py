"""One cluster's Deployments → Flux objects (flux/): the GitRepository, a Kustomization per unit
chained by waves (a tenant's under its own ServiceAccount), and the `flux-system` Kustomization
a human applies once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from generator.gitops.plan import (
    Deployment,
    gitops_object,
    labels,
    repo_path,
    waves,
)
from generator.model import Catalog, Cluster, Manifest, Origin

KUSTOMIZATION = ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")
GIT_REPOSITORY = ("source.toolkit.fluxcd.io/v1", "GitRepository")
FLUX_NAMESPACE = "flux-system"
ROOT = (
    "flux-system"  # the GitRepository and the entry Kustomization, as `flux bootstrap` names them
)
GIT_SECRET = "flux-system"
CREATE_ONLY = ("kustomize.toolkit.fluxcd.io/ssa", "IfNotPresent")  # apply only when absent
SOPS_SECRET = "sops-age"
SOURCE_INTERVAL = "1m"
INTERVAL = "10m"
RETRY_INTERVAL = "2m"
WAIT_TIMEOUT = "5m"
SYSTEM_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
_COMMIT = re.compile(r"[0-9a-f]{40}")


def flux_manifests(
    catalog: Catalog, cluster: Cluster, deployments: Sequence[Deployment]
) -> dict[str, list[Manifest]]:
    prune = bool(catalog.environment(cluster.environment).sync.get("prune", True))
    source = {
        "interval": SOURCE_INTERVAL,
        "url": catalog.platform.repo_url,
        "ref": git_ref(catalog.platform.revision),
        "secretRef": {"name": GIT_SECRET},
        # Only this cluster's folder: other clusters' changes do not trigger reconciles.
        "ignore": f"/*\n!/{repo_path(catalog, cluster, '')}/\n",
    }
    objects = [
        gitops_object(
            catalog, cluster, GIT_REPOSITORY, ROOT, FLUX_NAMESPACE, source, cluster.origin
        ),
        kustomization(catalog, cluster, ROOT, repo_path(catalog, cluster, "flux"), prune),
    ]
    objects += created_namespaces(catalog, cluster, deployments)
    objects += [m for d in deployments if d.is_tenant for m in tenant_access(catalog, cluster, d)]
    previous: list[str] = []
    for wave in waves(deployments):
        objects += [unit_kustomization(catalog, cluster, d, prune, previous) for d in wave]
        previous = [kustomization_name(d) for d in wave]
    # check_catalog refuses operators named `flux-system` or `tenant-*`, so names are unique.
    return {"flux": objects}


def created_namespaces(
    catalog: Catalog, cluster: Cluster, deployments: Sequence[Deployment]
) -> list[Manifest]:
    """Flux's counterpart of Argo CD's CreateNamespace: a Namespace for each operator namespace
    no unit renders. The root Kustomization applies them, before the unit Kustomizations exist.
    Like Argo CD, Flux never deletes them: a namespace outlives the operators in it."""
    rendered = {name for d in deployments for name in d.namespaces}
    wanted: dict[str, Deployment] = {}
    for d in deployments:
        namespace = d.unit.namespace
        if d.is_tenant or not d.option("createNamespace", True) or namespace in rendered:
            continue
        if namespace not in SYSTEM_NAMESPACES:
            wanted.setdefault(namespace, d)
    return [
        Manifest(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    "name": name,
                    "labels": labels(catalog, cluster),
                    "annotations": {"kustomize.toolkit.fluxcd.io/prune": "disabled"},
                },
            },
            d.unit.origin,
        )
        for name, d in sorted(wanted.items())
    ]


def tenant_access(catalog: Catalog, cluster: Cluster, deployment: Deployment) -> list[Manifest]:
    """What a tenant's Kustomization runs as, applied by the entry Kustomization with Flux's
    own rights before it: a ServiceAccount in flux-system bound, inside the tenant namespace
    only, to cluster-admin (ResourceQuota and LimitRange need more than `admin`), and allowed
    to read and patch its own Namespace object. The Namespace is created here when absent, so
    that the RoleBinding has a namespace to live in; the tenant folder's copy, with its Pod
    Security labels, is then applied by the tenant Kustomization."""
    unit = deployment.unit
    name, namespace, origin = tenant_account(deployment), unit.namespace, unit.origin
    common = labels(catalog, cluster)
    rbac = "rbac.authorization.k8s.io/v1"
    account = {"kind": "ServiceAccount", "name": name, "namespace": FLUX_NAMESPACE}
    bodies: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": namespace,
                "labels": common,
                "annotations": {
                    CREATE_ONLY[0]: CREATE_ONLY[1],
                    "kustomize.toolkit.fluxcd.io/prune": "disabled",
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": FLUX_NAMESPACE, "labels": common},
        },
        {
            "apiVersion": rbac,
            "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace, "labels": common},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [account],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRole",
            "metadata": {"name": name, "labels": common},
            "rules": [
                {
                    "apiGroups": [""],
                    "resources": ["namespaces"],
                    "resourceNames": [namespace],
                    "verbs": ["get", "patch", "update", "delete"],
                }
            ],
        },
        {
            "apiVersion": rbac,
            "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": common},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": name,
            },
            "subjects": [account],
        },
    ]
    return [Manifest(body, origin) for body in bodies]


def tenant_account(deployment: Deployment) -> str:
    return f"flux-{kustomization_name(deployment)}"


def kustomization_name(deployment: Deployment) -> str:
    return f"tenant-{deployment.unit.name}" if deployment.is_tenant else deployment.unit.name


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
    if deployment.is_tenant:  # never Flux's own cluster-wide rights: see tenant_access
        extra["serviceAccountName"] = tenant_account(deployment)
    return kustomization(
        catalog,
        cluster,
        kustomization_name(deployment),
        deployment.path,
        prune,
        extra,
        deployment.unit.name,
        deployment.unit.origin,
    )


def kustomization(
    catalog: Catalog,
    cluster: Cluster,
    name: str,
    path: str,
    prune: bool,
    extra: dict[str, Any] | None = None,
    component: str = "",
    origin: Origin | None = None,
) -> Manifest:
    spec = {
        "interval": INTERVAL,
        "retryInterval": RETRY_INTERVAL,
        "path": f"./{path}",
        "prune": prune,
        "sourceRef": {"kind": GIT_REPOSITORY[1], "name": ROOT},
        **(extra or {}),
    }
    return gitops_object(
        catalog,
        cluster,
        KUSTOMIZATION,
        name,
        FLUX_NAMESPACE,
        spec,
        origin or cluster.origin,
        component=component,
    )
