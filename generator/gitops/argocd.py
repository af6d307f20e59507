"""One cluster's Deployments → Argo CD objects: an Application per unit (apps/), the root
Application and the AppProjects (bootstrap/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.errors import GeneratorError
from generator.gitops.checks import management_cluster
from generator.gitops.plan import Deployment, check_unique, gitops_object, repo_path
from generator.model import Catalog, Cluster, Manifest, Origin, Tenant

APPLICATION = ("argoproj.io/v1alpha1", "Application")
APP_PROJECT = ("argoproj.io/v1alpha1", "AppProject")
ARGOCD_NAMESPACE = "argocd"
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"
WAVE = "argocd.argoproj.io/sync-wave"
# Namespaced kinds a tenant's own Applications may not touch: they would weaken isolation.
TENANT_BLACKLIST = (
    {"group": "", "kind": "ResourceQuota"},
    {"group": "", "kind": "LimitRange"},
    {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
)

# Kinds that deploy with a controller's rights; the tenant-delegation policy refuses them in a
# tenant's folder, and the project of that folder refuses them again.
DELEGATING_BLACKLIST = (
    {"group": "argoproj.io", "kind": "*"},
    {"group": "*.fluxcd.io", "kind": "*"},
)


def argocd_manifests(
    catalog: Catalog, cluster: Cluster, deployments: Sequence[Deployment]
) -> dict[str, list[Manifest]]:
    """apps/ and bootstrap/ for one cluster; a management cluster's apps/ also hold the
    `<cluster>-bootstrap` Application of every cluster it manages."""
    runner = management_cluster(catalog, cluster)
    server = IN_CLUSTER if runner is cluster else cluster.api_server
    for deployment in deployments:
        refuse_encrypted_secrets(deployment)

    apps = [application(catalog, cluster, d, server) for d in deployments]
    # No resources finalizer on root: deleting it by hand must not cascade to every operator.
    bootstrap = [control_application(catalog, runner, cluster, "root", "apps", wave="")]
    if runner is cluster:
        managed = [c for c in catalog.clusters if c.managed_by == cluster.name]
        # Keeps bootstrap/ (root, projects) in sync after the one manual apply; projects go
        # first so that Applications naming a new project find it.
        apps += [
            control_application(catalog, cluster, c, "bootstrap", "bootstrap", wave="-1")
            for c in (cluster, *managed)
        ]
        # One per Argo CD instance: the projects of the clusters it runs are created by the
        # bootstrap Applications, so those cannot live in them.
        bootstrap.append(
            project(
                catalog,
                cluster,
                "bootstrap",
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
            "platform",
            f"Platform operators of cluster '{cluster.name}'",
            {
                "sourceRepos": [catalog.platform.repo_url],
                "destinations": [{"server": server, "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
            cluster.origin,
        )
    )
    tenants = {t.name: t for t in catalog.tenants}
    for d in deployments:
        if d.is_tenant:
            bootstrap.append(rendered_project(catalog, cluster, d, server))
            bootstrap.append(tenant_project(catalog, cluster, d, server, tenants.get(d.unit.name)))
    check_names([*apps, *bootstrap])
    return {"apps": apps, "bootstrap": bootstrap}


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
    # Never the platform project (every kind, every namespace) for a tenant: its folder syncs
    # under a project confined to the tenant namespace (see rendered_project).
    project = rendered_project_name(deployment) if deployment.is_tenant else "platform"
    spec: dict[str, Any] = {
        "project": f"{cluster.name}-{project}",
        "source": source(catalog, deployment.path),
        "destination": {"server": server, "namespace": unit.namespace},
        "syncPolicy": sync_policy(catalog, unit.cluster, options),
    }
    if ignore:
        spec["ignoreDifferences"] = ignore
    middle = "tenant-" if deployment.is_tenant else ""
    return gitops_object(
        catalog,
        cluster,
        APPLICATION,
        f"{cluster.name}-{middle}{unit.name}",
        ARGOCD_NAMESPACE,
        spec,
        unit.origin,
        component=unit.name,
        annotations={WAVE: str(deployment.wave)},
        finalizers=[FINALIZER],
    )


def control_application(
    catalog: Catalog, runner: Cluster, cluster: Cluster, role: str, folder: str, wave: str
) -> Manifest:
    """`<cluster>-root` (syncs apps/) or `<cluster>-bootstrap` (syncs bootstrap/); both live
    in, and deploy to, the Argo CD namespace of the runner."""
    spec = {
        "project": f"{runner.name}-bootstrap",
        "source": source(catalog, repo_path(catalog, cluster, folder)),
        "destination": {"server": IN_CLUSTER, "namespace": ARGOCD_NAMESPACE},
        "syncPolicy": sync_policy(catalog, cluster, []),
    }
    return gitops_object(
        catalog,
        cluster,
        APPLICATION,
        f"{cluster.name}-{role}",
        ARGOCD_NAMESPACE,
        spec,
        cluster.origin,
        annotations={WAVE: wave} if wave else None,
    )


def rendered_project_name(deployment: Deployment) -> str:
    return f"tenant-{deployment.unit.name}-rendered"


def rendered_project(
    catalog: Catalog, cluster: Cluster, deployment: Deployment, server: str
) -> Manifest:
    """The project the tenant's generated Application syncs under: the platform repository,
    the tenant namespace and its own Namespace object only. Quota, limits and network
    policies are allowed here (the tenant library renders them, and tenant overlays cannot
    change them), GitOps kinds are not. The tenant's owners get no role in it."""
    unit = deployment.unit
    return project(
        catalog,
        cluster,
        rendered_project_name(deployment),
        f"rendered/ folder of tenant '{unit.name}', confined to namespace '{unit.namespace}'",
        {
            "sourceRepos": [catalog.platform.repo_url],
            "destinations": [{"server": server, "namespace": unit.namespace}],
            "clusterResourceWhitelist": [
                {"group": "", "kind": "Namespace", "name": unit.namespace}
            ],
            "namespaceResourceBlacklist": [dict(kind) for kind in DELEGATING_BLACKLIST],
        },
        unit.origin,
        component=unit.name,
    )


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
        "destinations": [{"server": server, "namespace": unit.namespace}],
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [dict(kind) for kind in TENANT_BLACKLIST],
    }
    if roles:
        spec["roles"] = roles
    if server == IN_CLUSTER:
        # Lets the team keep its Applications in its own namespace; only meaningful when the
        # Argo CD runs in the tenant's cluster, where that namespace exists.
        spec["sourceNamespaces"] = [unit.namespace]
    return project(
        catalog,
        cluster,
        f"tenant-{unit.name}",
        f"Applications of tenant '{unit.name}', confined to namespace '{unit.namespace}'",
        spec,
        unit.origin,
        component=unit.name,
    )


def project(
    catalog: Catalog,
    cluster: Cluster,
    role: str,
    description: str,
    spec: dict[str, Any],
    origin: Origin,
    component: str = "",
) -> Manifest:
    return gitops_object(
        catalog,
        cluster,
        APP_PROJECT,
        f"{cluster.name}-{role}",
        ARGOCD_NAMESPACE,
        {"description": description, **spec},
        origin,
        component=component,
        annotations={WAVE: "-1"},
    )


def source(catalog: Catalog, path: str) -> dict[str, str]:
    platform = catalog.platform
    return {"repoURL": platform.repo_url, "targetRevision": platform.revision, "path": path}


def sync_policy(catalog: Catalog, cluster: Cluster, options: list[str]) -> dict[str, Any]:
    """The environment's `sync:`; automated with prune and selfHeal unless it says otherwise."""
    sync = catalog.environment(cluster.environment).sync
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
    # Reserved operator names are refused by check_catalog; what is left is a cluster name that
    # prefixes another (`mgmt` running operator `eu-bootstrap` and managing `mgmt-eu`).
    check_unique(
        manifests,
        "Argo CD",
        "rename the operator or one of the clusters: every Application and AppProject of an "
        "Argo CD needs its own name",
    )
