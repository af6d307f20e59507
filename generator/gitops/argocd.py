"""One cluster's Deployments → Argo CD objects: an Application per unit (apps/), the root
Application and the AppProjects (bootstrap/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.errors import GeneratorError
from generator.gitops.plan import Deployment, labels, repo_path
from generator.model import Catalog, Cluster, Environment, Manifest, Origin, Tenant

API_VERSION = "argoproj.io/v1alpha1"
ARGOCD_NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
WAVE = "argocd.argoproj.io/sync-wave"
# Argo CD's default label tracking writes the Application name into a label value.
MAX_NAME = 63
# Namespaced kinds a tenant's own Applications may not touch: they would weaken isolation.
TENANT_BLACKLIST = (
    {"group": "", "kind": "ResourceQuota"},
    {"group": "", "kind": "LimitRange"},
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
)


def argocd_manifests(
    catalog: Catalog, cluster: Cluster, deployments: Sequence[Deployment]
) -> dict[str, list[Manifest]]:
    """apps/ and bootstrap/ for one cluster; a management cluster's apps/ also hold the
    `<cluster>-bootstrap` Application of every cluster it manages."""
    runner = argocd_runner(catalog, cluster)
    server = IN_CLUSTER if runner is cluster else cluster.api_server
    environment = catalog.environment(cluster.environment)
    for deployment in deployments:
        refuse_encrypted_secrets(deployment)

    apps = [application(catalog, cluster, d, server) for d in deployments]
    bootstrap = [root_application(catalog, cluster, runner, environment)]
    if runner is cluster:
        managed = [c for c in catalog.clusters if c.managed_by == cluster.name]
        for other in managed:
            argocd_runner(catalog, other)  # the managed cluster's own problems, named there
        apps += [bootstrap_application(catalog, cluster, c) for c in (cluster, *managed)]
        # One per Argo CD instance: the projects of the clusters it runs are created by the
        # bootstrap Applications, so those cannot live in them.
        bootstrap.append(
            project(
                catalog,
                cluster,
                f"{cluster.name}-bootstrap",
                "Root and bootstrap Applications of the clusters this Argo CD runs",
                {
                    "sourceRepos": [catalog.platform.repo_url],
                    "destinations": [{"server": IN_CLUSTER, "namespace": ARGOCD_NAMESPACE}],
                    "clusterResourceWhitelist": [],
                    "namespaceResourceWhitelist": [
                        {"group": "argoproj.io", "kind": "Application"},
                        {"group": "argoproj.io", "kind": "AppProject"},
                    ],
                },
                cluster.origin,
            )
        )
    bootstrap.append(
        project(
            catalog,
            cluster,
            f"{cluster.name}-platform",
            f"Platform operators and tenant scaffolding of cluster '{cluster.name}'",
            {
                "sourceRepos": [catalog.platform.repo_url],
                "destinations": [{"server": server, "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
            cluster.origin,
        )
    )
    tenants = {t.name: t for t in catalog.tenants}
    bootstrap += [
        tenant_project(catalog, cluster, d, server, tenants.get(d.unit.name))
        for d in deployments
        if d.is_tenant
    ]
    check_names([*apps, *bootstrap])
    return {"apps": apps, "bootstrap": bootstrap}


def argocd_runner(catalog: Catalog, cluster: Cluster) -> Cluster:
    """The cluster whose Argo CD holds this cluster's Applications: itself, or its managedBy."""
    if not cluster.managed_by:
        return cluster
    name = cluster.managed_by
    management = next((c for c in catalog.clusters if c.name == name), None)
    if name == cluster.name or management is None:
        known = ", ".join(sorted(c.name for c in catalog.clusters if c.name != cluster.name))
        raise GeneratorError(
            f"cluster '{cluster.name}': managedBy '{name}' is not another cluster of the catalog",
            cluster.origin,
            f"set managedBy to the management cluster (one of: {known}) or remove it",
        )
    if management.gitops != "argocd" or management.managed_by:
        raise GeneratorError(
            f"cluster '{cluster.name}': managedBy '{name}', but '{name}' does not run its own "
            "Argo CD",
            cluster.origin,
            f"choose a management cluster with gitops: argocd and no managedBy, "
            f"or change cluster '{name}'",
        )
    if not cluster.api_server:
        raise GeneratorError(
            f"cluster '{cluster.name}' is managed by '{name}' but has no apiServer",
            cluster.origin,
            "set apiServer to the URL the management cluster's Argo CD reaches it at",
        )
    return management


def refuse_encrypted_secrets(deployment: Deployment) -> None:
    if deployment.encrypted_secrets:
        unit = deployment.unit
        raise GeneratorError(
            f"{unit.kind} '{unit.name}' renders SOPS-encrypted Secret "
            f"'{deployment.encrypted_secrets[0]}' for cluster '{unit.cluster.name}', "
            "which Argo CD cannot decrypt",
            unit.origin,
            "deploy this cluster with gitops: flux, or replace the Secret with an object "
            "Argo CD can apply as is (an ExternalSecret or a SealedSecret)",
        )


def application_name(cluster: Cluster, deployment: Deployment) -> str:
    middle = "tenant-" if deployment.is_tenant else ""
    return f"{cluster.name}-{middle}{deployment.unit.name}"


def application(
    catalog: Catalog, cluster: Cluster, deployment: Deployment, server: str
) -> Manifest:
    unit = deployment.unit
    options = []
    if not deployment.is_tenant and deployment.option("createNamespace", True):
        options.append("CreateNamespace=true")
    # Client-side apply stores the whole object in an annotation, which large CRDs overflow.
    if deployment.crds or deployment.option("serverSideApply", False):
        options.append("ServerSideApply=true")
    ignore = list(deployment.options.get("ignoreDifferences") or ())
    if ignore:
        # Without it a sync writes the ignored fields back (e.g. a webhook's injected caBundle).
        options.append("RespectIgnoreDifferences=true")
    spec: dict[str, Any] = {
        # Tenant scaffolding (Namespace, quota, NetworkPolicy) is platform-owned, so it syncs
        # under the platform project; the tenant project is for the tenant's own Applications.
        "project": f"{cluster.name}-platform",
        "source": source(catalog, deployment.path),
        "destination": {"server": server, "namespace": unit.namespace},
        "syncPolicy": sync_policy(unit.environment, options),
    }
    if ignore:
        spec["ignoreDifferences"] = ignore
    body = {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": application_name(cluster, deployment),
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(catalog, cluster, unit.name),
            "annotations": {WAVE: str(deployment.wave)},
            "finalizers": [FINALIZER],
        },
        "spec": spec,
    }
    return Manifest(body, unit.origin)


def root_application(
    catalog: Catalog, cluster: Cluster, runner: Cluster, environment: Environment
) -> Manifest:
    # No resources finalizer: deleting the root by hand must not cascade to every operator.
    body = {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": f"{cluster.name}-root",
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(catalog, cluster),
        },
        "spec": {
            "project": f"{runner.name}-bootstrap",
            "source": source(catalog, repo_path(catalog, cluster, "apps")),
            "destination": {"server": IN_CLUSTER, "namespace": ARGOCD_NAMESPACE},
            "syncPolicy": sync_policy(environment, []),
        },
    }
    return Manifest(body, cluster.origin)


def bootstrap_application(catalog: Catalog, runner: Cluster, cluster: Cluster) -> Manifest:
    """Keeps bootstrap/ (root Application, AppProjects) in sync after the one manual apply."""
    body = {
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": f"{cluster.name}-bootstrap",
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(catalog, cluster),
            # Projects first, so Applications naming a new project find it.
            "annotations": {WAVE: "-1"},
        },
        "spec": {
            "project": f"{runner.name}-bootstrap",
            "source": source(catalog, repo_path(catalog, cluster, "bootstrap")),
            "destination": {"server": IN_CLUSTER, "namespace": ARGOCD_NAMESPACE},
            "syncPolicy": sync_policy(catalog.environment(cluster.environment), []),
        },
    }
    return Manifest(body, cluster.origin)


def tenant_project(
    catalog: Catalog, cluster: Cluster, deployment: Deployment, server: str, tenant: Tenant | None
) -> Manifest:
    unit = deployment.unit
    name = f"{cluster.name}-tenant-{unit.name}"
    roles = []
    for role, groups, verb in (
        ("owner", tenant.owners if tenant else (), "*"),
        ("reader", tenant.readers if tenant else (), "get"),
    ):
        if groups:
            roles.append(
                {
                    "name": role,
                    "description": f"{role}s of tenant '{unit.name}'",
                    "groups": list(groups),
                    "policies": [f"p, proj:{name}:{role}, applications, {verb}, {name}/*, allow"],
                }
            )
    spec: dict[str, Any] = {
        "sourceRepos": ["*"],
        "sourceNamespaces": [unit.namespace],
        "destinations": [{"server": server, "namespace": unit.namespace}],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [dict(kind) for kind in TENANT_BLACKLIST],
    }
    if roles:
        spec["roles"] = roles
    return project(
        catalog,
        cluster,
        name,
        f"Applications of tenant '{unit.name}', confined to namespace '{unit.namespace}'",
        spec,
        unit.origin,
        component=unit.name,
    )


def project(
    catalog: Catalog,
    cluster: Cluster,
    name: str,
    description: str,
    spec: dict[str, Any],
    origin: Origin,
    component: str = "",
) -> Manifest:
    body = {
        "apiVersion": API_VERSION,
        "kind": "AppProject",
        "metadata": {
            "name": name,
            "namespace": ARGOCD_NAMESPACE,
            "labels": labels(catalog, cluster, component),
            "annotations": {WAVE: "-1"},
        },
        "spec": {"description": description, **spec},
    }
    return Manifest(body, origin)


def source(catalog: Catalog, path: str) -> dict[str, str]:
    platform = catalog.platform
    return {"repoURL": platform.repo_url, "targetRevision": platform.revision, "path": path}


def sync_policy(environment: Environment, options: list[str]) -> dict[str, Any]:
    """The environment's `sync:`; automated with prune and selfHeal unless it says otherwise."""
    sync = environment.sync
    policy: dict[str, Any] = {
        # Waves of the app-of-apps may fail once while CRDs of an earlier wave settle.
        "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }
    if sync.get("automated", True):
        policy["automated"] = {
            "prune": bool(sync.get("prune", True)),
            "selfHeal": bool(sync.get("selfHeal", True)),
        }
    if options:
        policy["syncOptions"] = options
    return policy


def check_names(manifests: Sequence[Manifest]) -> None:
    seen: dict[tuple[str, str], Manifest] = {}
    for manifest in manifests:
        if len(manifest.name) > MAX_NAME:
            raise GeneratorError(
                f"{manifest.kind} name '{manifest.name}' is longer than {MAX_NAME} characters",
                manifest.origin,
                "shorten the cluster, operator or tenant name",
            )
        first = seen.setdefault((manifest.kind, manifest.name), manifest)
        if first is not manifest:
            raise GeneratorError(
                f"two Argo CD {manifest.kind}s named '{manifest.name}' "
                f"(the other comes from {first.origin})",
                manifest.origin,
                "rename one of them: 'root', 'bootstrap', 'platform' and 'tenant-*' are "
                "taken by the generator's own objects",
            )
