"""GitOps handoff: Argo CD app-of-apps and Flux objects built from catalog records."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml

from generator.errors import GeneratorError
from generator.gitops import gitops_manifests
from generator.kinds import CLUSTER_SCOPED, NAMESPACED
from generator.model import (
    Catalog,
    Cluster,
    Component,
    EnabledOn,
    Environment,
    Manifest,
    Operator,
    Origin,
    Platform,
    RenderUnit,
    Selection,
    Tenant,
)
from generator.yamlio import dump_manifest

CRD_DIR = Path(__file__).resolve().parent / "fixtures" / "crds"  # upstream Argo CD and Flux CRDs
REPO = "https://git.example.com/platform/fleet.git"


def origin(path: str, line: int = 1) -> Origin:
    return Origin(PurePosixPath(path), line)


def make_environment(name: str, order: int, **sync: bool) -> Environment:
    return Environment(name, order, sync, {}, origin(f"catalog/environments/{name}.yaml"))


def make_cluster(
    name: str, environment: str, gitops: str = "argocd", managed_by: str = "", api: str = ""
) -> Cluster:
    return Cluster(
        name=name,
        environment=environment,
        provider="aws",
        kubernetes_version="1.31.0",
        api_server=api or f"https://{name}.k8s.acme.example:6443",
        gitops=gitops,  # type: ignore[arg-type]
        managed_by=managed_by,
        operators=Selection(),
        tenants=Selection(),
        labels={},
        values={},
        origin=origin(f"catalog/clusters/{name}.yaml"),
    )


def make_operator(order: int, name: str, namespace: str, **gitops: Any) -> Operator:
    return Operator(
        name=name,
        order=order,
        namespace=namespace,
        source=name,
        enabled=EnabledOn(),
        labels={},
        gitops=gitops,
        values={},
        origin=origin(f"catalog/operators/{order:03d}-{name}.yaml"),
    )


def make_tenant(name: str, owners: Sequence[str] = (), readers: Sequence[str] = ()) -> Tenant:
    return Tenant(
        name=name,
        namespace=f"ns-{name}",
        owners=tuple(owners),
        readers=tuple(readers),
        quotas={},
        exposure={},
        storage="standard",
        pod_security="restricted",
        allow=(),
        enabled=EnabledOn(),
        labels={},
        values={},
        origin=origin(f"catalog/tenants/{name}.yaml"),
    )


OPERATORS = (
    make_operator(10, "cert-manager", "cert-manager"),
    make_operator(20, "cluster-issuers", "cert-manager", createNamespace=False),
    make_operator(20, "external-dns", "external-dns", serverSideApply=True),
    make_operator(
        30,
        "kyverno",
        "kyverno",
        ignoreDifferences=[
            {
                "group": "admissionregistration.k8s.io",
                "kind": "ValidatingWebhookConfiguration",
                "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"],
            }
        ],
    ),
)
TENANTS = (make_tenant("alpha", ["team-alpha"], ["auditors"]), make_tenant("beta"))


def make_catalog(
    clusters: Sequence[Cluster] = (),
    operators: Sequence[Operator] = OPERATORS,
    revision: str = "main",
) -> Catalog:
    platform = Platform(
        name="acme-platform",
        domain="acme.example",
        repo_url=REPO,
        revision=revision,
        rendered_path="rendered",
        jsonnet_engine="rjsonnet",
        storage_classes={},
        ingress_classes={},
        values={},
        origin=origin("catalog/platform.yaml"),
    )
    environments = (
        make_environment("dev", 1),
        make_environment("prod", 3, automated=False, prune=False, selfHeal=False),
    )
    clusters = tuple(clusters) or (
        make_cluster("mgmt", "prod"),
        make_cluster("dev-kind", "dev"),
        make_cluster("prod-eu", "prod", managed_by="mgmt"),
        make_cluster("edge", "dev", gitops="flux"),
    )
    return Catalog(platform, environments, clusters, tuple(operators), TENANTS, {})


def units_for(catalog: Catalog, cluster: Cluster) -> list[RenderUnit]:
    environment = catalog.environment(cluster.environment)
    component = Component("x", "plain", PurePosixPath("charts/x"), origin("charts/x"))
    records: list[tuple[Any, str, int, str]] = [
        (o, "operator", o.order, o.dirname) for o in catalog.operators
    ]
    records += [(t, "tenant", 1000, f"tenants/{t.name}") for t in catalog.tenants]
    return [
        RenderUnit(
            cluster=cluster,
            environment=environment,
            kind=kind,  # type: ignore[arg-type]
            name=record.name,
            order=order,
            dirname=dirname,
            namespace=record.namespace,
            component=component,
            values={},
            context={},
            sources=(record.origin.path,),
            origin=record.origin,
        )
        for record, kind, order, dirname in records
    ]


def crd(name: str) -> Manifest:
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
    }
    return Manifest(body, origin("charts/x/crds.yaml"))


def obj(kind: str, name: str, namespace: str = "", **extra: Any) -> Manifest:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    body = {"apiVersion": "apps/v1" if kind == "Deployment" else "v1", "kind": kind}
    return Manifest({**body, "metadata": metadata, **extra}, origin("charts/x/objects.yaml"))


SOPS_SECRET = obj(
    "Secret",
    "dns-credentials",
    "external-dns",
    data={"token": "ENC[AES256_GCM,data:Zm9v,type:str]"},
    sops={
        "age": [{"recipient": "age1example"}],
        "lastmodified": "2026-10-02T09:14:11Z",
        "mac": "ENC[AES256_GCM,data:bWFj,type:str]",
        "version": "3.9.0",
    },
)


def rendered_for(units: Sequence[RenderUnit], secret: bool = False) -> dict[str, list[Manifest]]:
    rendered: dict[str, list[Manifest]] = {}
    for unit in units:
        objects = [obj("Deployment", unit.name, unit.namespace)]
        if unit.name == "cert-manager":
            objects += [crd("certificates.cert-manager.io"), crd("issuers.cert-manager.io")]
        if unit.name == "external-dns" and secret:
            objects.append(SOPS_SECRET)
        rendered[unit.dirname] = objects
    return rendered


def generate(
    catalog: Catalog, name: str, secret: bool = False, **rendered: list[Manifest]
) -> dict[str, list[Manifest]]:
    cluster = next(c for c in catalog.clusters if c.name == name)
    units = units_for(catalog, cluster)
    return gitops_manifests(catalog, cluster, units, {**rendered_for(units, secret), **rendered})


def by_name(manifests: Sequence[Manifest], kind: str) -> dict[str, Mapping[str, Any]]:
    return {m.name: m.body for m in manifests if m.kind == kind}


# ---------------------------------------------------------------- upstream CRD schemas


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    schemas = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for document in yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader):
            if not document or document.get("kind") != "CustomResourceDefinition":
                continue
            spec = document["spec"]
            for version in spec["versions"]:
                api_version = f"{spec['group']}/{version['name']}"
                schemas[(api_version, spec["names"]["kind"])] = version["schema"]["openAPIV3Schema"]
    return schemas


def schema_errors(schemas: Mapping[tuple[str, str], Any], manifest: Manifest) -> list[str]:
    if (manifest.key.group, manifest.kind) in CLUSTER_SCOPED | NAMESPACED:
        # built-in kinds (the Namespaces and tenant RBAC Flux needs) are the validation stage's
        return []
    schema = schemas[(manifest.api_version, manifest.kind)]
    validator = jsonschema.Draft7Validator(schema)
    # Round-trip through the writer so the check sees exactly what lands in rendered/.
    body = yaml.safe_load(dump_manifest(manifest.body))
    return [
        f"{manifest.key}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def test_every_generated_object_validates_against_the_upstream_crds() -> None:
    schemas = crd_schemas()
    catalog = make_catalog()
    problems = []
    kinds = set()
    for cluster in catalog.clusters:
        for manifests in generate(catalog, cluster.name, secret=cluster.gitops == "flux").values():
            for manifest in manifests:
                kinds.add(manifest.kind)
                problems += schema_errors(schemas, manifest)
    assert problems == []
    assert kinds == {
        "Application", "AppProject", "GitRepository", "Kustomization", "Namespace",
        "ServiceAccount", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    }  # fmt: skip


def test_crd_check_rejects_a_kustomization_without_prune() -> None:
    kustomization = by_name(generate(make_catalog(), "edge")["flux"], "Kustomization")["kyverno"]
    spec = {k: v for k, v in kustomization["spec"].items() if k != "prune"}
    broken = Manifest({**kustomization, "spec": spec}, origin("x"))
    assert schema_errors(crd_schemas(), broken) == [
        "Kustomization flux-system/kyverno: spec: 'prune' is a required property"
    ]


# ---------------------------------------------------------------- Argo CD


def test_self_managed_cluster_gets_one_application_per_operator_and_tenant() -> None:
    apps = generate(make_catalog(), "dev-kind")["apps"]
    assert [(m.kind, m.name) for m in apps] == [
        ("Application", "dev-kind-bootstrap"),
        ("Application", "dev-kind-cert-manager"),
        ("Application", "dev-kind-cluster-issuers"),
        ("Application", "dev-kind-external-dns"),
        ("Application", "dev-kind-kyverno"),
        ("Application", "dev-kind-tenant-alpha"),
        ("Application", "dev-kind-tenant-beta"),
    ]
    cert_manager = by_name(apps, "Application")["dev-kind-cert-manager"]
    assert cert_manager["spec"]["source"] == {
        "repoURL": REPO,
        "targetRevision": "main",
        "path": "rendered/dev-kind/010-cert-manager",
    }
    assert cert_manager["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "cert-manager",
    }
    assert cert_manager["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"]
    tenant = by_name(apps, "Application")["dev-kind-tenant-alpha"]
    assert tenant["spec"]["source"]["path"] == "rendered/dev-kind/tenants/alpha"
    assert tenant["spec"]["destination"]["namespace"] == "ns-alpha"


def test_sync_waves_follow_operator_numbers_and_tenants_come_last() -> None:
    apps = by_name(generate(make_catalog(), "dev-kind")["apps"], "Application")
    waves = {
        name: app["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
        for name, app in apps.items()
    }
    assert waves == {
        "dev-kind-bootstrap": "-1",
        "dev-kind-cert-manager": "10",
        "dev-kind-cluster-issuers": "20",
        "dev-kind-external-dns": "20",
        "dev-kind-kyverno": "30",
        "dev-kind-tenant-alpha": "1000",
        "dev-kind-tenant-beta": "1000",
    }


def test_sync_policy_is_automated_in_dev_and_manual_in_prod() -> None:
    catalog = make_catalog()
    dev = by_name(generate(catalog, "dev-kind")["apps"], "Application")["dev-kind-kyverno"]
    prod = by_name(generate(catalog, "mgmt")["apps"], "Application")["mgmt-kyverno"]
    assert dev["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "automated" not in prod["spec"]["syncPolicy"]
    assert prod["spec"]["syncPolicy"]["retry"]["limit"] == 5
    root = by_name(generate(catalog, "mgmt")["bootstrap"], "Application")["mgmt-root"]
    assert "automated" not in root["spec"]["syncPolicy"]


def test_sync_options_follow_crds_and_operator_gitops_options() -> None:
    apps = by_name(generate(make_catalog(), "dev-kind")["apps"], "Application")
    options = {name: app["spec"]["syncPolicy"].get("syncOptions") for name, app in apps.items()}
    assert options == {
        "dev-kind-bootstrap": None,
        # renders CustomResourceDefinitions, so server-side apply is detected
        "dev-kind-cert-manager": ["CreateNamespace=true", "ServerSideApply=true"],
        "dev-kind-cluster-issuers": None,  # createNamespace: false
        "dev-kind-external-dns": ["CreateNamespace=true", "ServerSideApply=true"],
        "dev-kind-kyverno": ["CreateNamespace=true", "RespectIgnoreDifferences=true"],
        "dev-kind-tenant-alpha": None,  # tenants render their own Namespace
        "dev-kind-tenant-beta": None,
    }
    assert apps["dev-kind-kyverno"]["spec"]["ignoreDifferences"] == [
        {
            "group": "admissionregistration.k8s.io",
            "kind": "ValidatingWebhookConfiguration",
            "jqPathExpressions": [".webhooks[]?.clientConfig.caBundle"],
        }
    ]
    assert "ignoreDifferences" not in apps["dev-kind-cert-manager"]["spec"]


def test_bootstrap_holds_root_application_and_projects() -> None:
    bootstrap = generate(make_catalog(), "dev-kind")["bootstrap"]
    assert [(m.kind, m.name) for m in bootstrap] == [
        ("AppProject", "dev-kind-bootstrap"),
        ("AppProject", "dev-kind-platform"),
        ("AppProject", "dev-kind-tenant-alpha"),
        ("AppProject", "dev-kind-tenant-alpha-rendered"),
        ("AppProject", "dev-kind-tenant-beta"),
        ("AppProject", "dev-kind-tenant-beta-rendered"),
        ("Application", "dev-kind-root"),
    ]
    root = by_name(bootstrap, "Application")["dev-kind-root"]
    assert root["spec"]["source"]["path"] == "rendered/dev-kind/apps"
    assert root["spec"]["project"] == "dev-kind-bootstrap"
    assert "finalizers" not in root["metadata"]
    projects = by_name(bootstrap, "AppProject")
    assert projects["dev-kind-platform"]["spec"]["destinations"] == [
        {"server": "https://kubernetes.default.svc", "namespace": "*"}
    ]
    assert projects["dev-kind-bootstrap"]["spec"]["clusterResourceWhitelist"] == []


def test_tenant_project_confines_tenant_to_its_namespace() -> None:
    projects = by_name(generate(make_catalog(), "prod-eu")["bootstrap"], "AppProject")
    alpha = projects["prod-eu-tenant-alpha"]["spec"]
    assert alpha["destinations"] == [
        {"server": "https://prod-eu.k8s.acme.example:6443", "namespace": "ns-alpha"}
    ]
    assert alpha["clusterResourceWhitelist"] == []
    assert alpha["namespaceResourceBlacklist"] == [
        {"group": "", "kind": "ResourceQuota"},
        {"group": "", "kind": "LimitRange"},
        {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
    ]
    assert alpha["roles"] == [
        {
            "name": "owner",
            "description": "owners of tenant 'alpha'",
            "groups": ["team-alpha"],
            "policies": [
                "p, proj:prod-eu-tenant-alpha:owner, applications, *, prod-eu-tenant-alpha/*, allow"
            ],
        },
        {
            "name": "reader",
            "description": "readers of tenant 'alpha'",
            "groups": ["auditors"],
            "policies": [
                "p, proj:prod-eu-tenant-alpha:reader, applications, get, "
                "prod-eu-tenant-alpha/*, allow"
            ],
        },
    ]
    assert "roles" not in projects["prod-eu-tenant-beta"]["spec"]
    assert "sourceNamespaces" not in alpha
    own = by_name(generate(make_catalog(), "dev-kind")["bootstrap"], "AppProject")
    assert own["dev-kind-tenant-alpha"]["spec"]["sourceNamespaces"] == ["ns-alpha"]


def test_tenant_applications_sync_under_a_project_confined_to_the_tenant() -> None:
    generated = generate(make_catalog(), "prod-eu")
    apps = by_name(generated["apps"], "Application")
    assert {n: a["spec"]["project"] for n, a in apps.items() if "-tenant-" in n} == {
        "prod-eu-tenant-alpha": "prod-eu-tenant-alpha-rendered",
        "prod-eu-tenant-beta": "prod-eu-tenant-beta-rendered",
    }
    projects = by_name(generated["bootstrap"], "AppProject")
    assert projects["prod-eu-tenant-alpha-rendered"]["spec"] == {
        "description": "rendered/ folder of tenant 'alpha', confined to namespace 'ns-alpha'",
        "sourceRepos": [REPO],
        "destinations": [
            {"server": "https://prod-eu.k8s.acme.example:6443", "namespace": "ns-alpha"}
        ],
        "clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "ns-alpha"}],
        "namespaceResourceBlacklist": [
            {"group": "argoproj.io", "kind": "*"},
            {"group": "*.fluxcd.io", "kind": "*"},
        ],
    }
    # operators keep the platform project
    assert {a["spec"]["project"] for n, a in apps.items() if "-tenant-" not in n} == {
        "prod-eu-platform"
    }


def test_managed_cluster_targets_its_api_server_from_the_management_argocd() -> None:
    catalog = make_catalog()
    managed = generate(catalog, "prod-eu")
    apps = by_name(managed["apps"], "Application")
    assert "prod-eu-bootstrap" not in apps
    assert {a["spec"]["destination"]["server"] for a in apps.values()} == {
        "https://prod-eu.k8s.acme.example:6443"
    }
    root = by_name(managed["bootstrap"], "Application")["prod-eu-root"]
    # Applications live in the management cluster's Argo CD, so the root deploys in-cluster.
    assert root["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": "argocd",
    }
    management = by_name(generate(catalog, "mgmt")["apps"], "Application")
    assert management["prod-eu-bootstrap"]["spec"]["source"]["path"] == "rendered/prod-eu/bootstrap"
    assert management["mgmt-bootstrap"]["spec"]["source"]["path"] == "rendered/mgmt/bootstrap"
    assert management["mgmt-cert-manager"]["spec"]["destination"]["server"] == (
        "https://kubernetes.default.svc"
    )
    assert "dev-kind-bootstrap" not in management


def test_management_argocd_reaches_every_object_from_the_one_applied_bootstrap() -> None:
    """Walk the app-of-apps like Argo CD: from rendered/mgmt/bootstrap/ (applied by hand),
    each Application syncs the folder its source names; every object must be reached, every
    project must exist and allow the Application's destination."""
    catalog = make_catalog()
    folders = {
        f"rendered/{name}/{folder}": objects
        for name in ("mgmt", "prod-eu")
        for folder, objects in generate(catalog, name).items()
    }
    projects: dict[str, Mapping[str, Any]] = {}
    applications: dict[str, Mapping[str, Any]] = {}
    queue = ["rendered/mgmt/bootstrap"]
    seen: list[str] = []
    while queue:
        path = queue.pop(0)
        if path in seen or path not in folders:
            continue  # operator and tenant folders hold workloads, not GitOps objects
        seen.append(path)
        projects.update(by_name(folders[path], "AppProject"))
        for name, app in by_name(folders[path], "Application").items():
            applications[name] = app
            queue.append(app["spec"]["source"]["path"])
    assert sorted(seen) == sorted(folders)
    assert len(applications) == sum(
        1 for objects in folders.values() for m in objects if m.kind == "Application"
    )
    for name, app in applications.items():
        project = projects[app["spec"]["project"]]["spec"]
        destination = app["spec"]["destination"]
        assert any(
            d["server"] == destination["server"]
            and fnmatchcase(destination["namespace"], d["namespace"])
            for d in project["destinations"]
        ), name
    assert applications["prod-eu-root"]["spec"]["project"] == "mgmt-bootstrap"
    assert applications["prod-eu-bootstrap"]["spec"]["project"] == "mgmt-bootstrap"
    assert "prod-eu-bootstrap" not in projects


def test_unit_that_renders_nothing_gets_no_application() -> None:
    apps = by_name(
        generate(make_catalog(), "dev-kind", **{"030-kyverno": []})["apps"], "Application"
    )
    assert "dev-kind-kyverno" not in apps
    assert "dev-kind-cert-manager" in apps


def test_application_yaml_is_canonical() -> None:
    apps = by_name(generate(make_catalog(), "mgmt")["apps"], "Application")
    manifest = Manifest(apps["mgmt-cluster-issuers"], origin("x"))
    assert (
        dump_manifest(manifest.body)
        == """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: mgmt-cluster-issuers
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "20"
  finalizers:
  - resources-finalizer.argocd.argoproj.io
  labels:
    app.kubernetes.io/managed-by: platform-generator
    app.kubernetes.io/part-of: acme-platform
    platform.generator/cluster: mgmt
    platform.generator/component: cluster-issuers
spec:
  destination:
    namespace: cert-manager
    server: https://kubernetes.default.svc
  project: mgmt-platform
  source:
    path: rendered/mgmt/020-cluster-issuers
    repoURL: https://git.example.com/platform/fleet.git
    targetRevision: main
  syncPolicy:
    retry:
      backoff:
        duration: 10s
        factor: 2
        maxDuration: 3m
      limit: 5
"""
    )


def test_generating_twice_is_identical() -> None:
    catalog = make_catalog()

    def text() -> list[str]:
        return [
            dump_manifest(m.body)
            for c in catalog.clusters
            for folder in generate(catalog, c.name, secret=c.gitops == "flux").values()
            for m in folder
        ]

    assert text() == text()


def test_objects_point_at_the_catalog_file_they_come_from() -> None:
    out = generate(make_catalog(), "dev-kind")
    origins = {m.name: str(m.origin) for folder in out.values() for m in folder}
    assert origins["dev-kind-kyverno"] == "catalog/operators/030-kyverno.yaml:1"
    assert origins["dev-kind-tenant-alpha"] == "catalog/tenants/alpha.yaml:1"
    assert origins["dev-kind-root"] == "catalog/clusters/dev-kind.yaml:1"


# ---------------------------------------------------------------- Flux


def test_flux_cluster_gets_source_entry_point_and_a_kustomization_per_unit() -> None:
    flux = generate(make_catalog(), "edge")["flux"]
    assert [(m.kind, m.name) for m in flux if m.key.group != "rbac.authorization.k8s.io"] == [
        ("GitRepository", "flux-system"),
        ("Kustomization", "cert-manager"),
        ("Kustomization", "cluster-issuers"),
        ("Kustomization", "external-dns"),
        ("Kustomization", "flux-system"),
        ("Kustomization", "kyverno"),
        ("Kustomization", "tenant-alpha"),
        ("Kustomization", "tenant-beta"),
        ("Namespace", "cert-manager"),
        ("Namespace", "external-dns"),
        ("Namespace", "kyverno"),
        ("Namespace", "ns-alpha"),
        ("Namespace", "ns-beta"),
        ("ServiceAccount", "flux-tenant-alpha"),
        ("ServiceAccount", "flux-tenant-beta"),
    ]
    kustomizations = by_name(flux, "Kustomization")
    assert kustomizations["flux-system"]["spec"]["path"] == "./rendered/edge/flux"
    assert kustomizations["tenant-alpha"]["spec"]["path"] == "./rendered/edge/tenants/alpha"
    assert {k["spec"]["sourceRef"]["name"] for k in kustomizations.values()} == {"flux-system"}
    source = by_name(flux, "GitRepository")["flux-system"]["spec"]
    assert source["url"] == REPO
    assert source["ref"] == {"branch": "main"}
    assert source["ignore"] == "/*\n!/rendered/edge/\n"


def test_flux_creates_operator_namespaces_that_no_unit_renders_and_never_prunes_them() -> None:
    operators = (
        make_operator(10, "cert-manager", "cert-manager"),
        make_operator(20, "cluster-issuers", "cert-manager", createNamespace=False),
        make_operator(30, "metrics", "kube-system"),
        make_operator(40, "policy", "policy", createNamespace=False),
        make_operator(50, "mesh", "mesh"),
    )
    mesh = [obj("Namespace", "mesh"), obj("Deployment", "istiod", "mesh")]
    flux = generate(make_catalog(operators=operators), "edge", **{"050-mesh": mesh})["flux"]
    namespaces = [m for m in flux if m.kind == "Namespace" and not m.name.startswith("ns-")]
    assert [(m.name, str(m.origin)) for m in namespaces] == [
        ("cert-manager", "catalog/operators/010-cert-manager.yaml:1")
    ]
    assert namespaces[0].body["metadata"]["annotations"] == {
        "kustomize.toolkit.fluxcd.io/prune": "disabled"
    }


def test_flux_tenant_kustomizations_run_as_a_tenant_scoped_service_account() -> None:
    flux = generate(make_catalog(), "edge")["flux"]
    tenant = by_name(flux, "Kustomization")["tenant-alpha"]["spec"]
    assert tenant["serviceAccountName"] == "flux-tenant-alpha"
    assert "serviceAccountName" not in by_name(flux, "Kustomization")["kyverno"]["spec"]
    access = [m for m in flux if m.name == "flux-tenant-alpha" or m.name == "ns-alpha"]
    assert [(m.kind, m.namespace) for m in access] == [
        ("ClusterRole", ""),
        ("ClusterRoleBinding", ""),
        ("Namespace", ""),
        ("RoleBinding", "ns-alpha"),
        ("ServiceAccount", "flux-system"),
    ]
    role, cluster_binding, namespace, binding, _ = (m.body for m in access)
    assert namespace["metadata"]["annotations"] == {
        "kustomize.toolkit.fluxcd.io/ssa": "IfNotPresent",
        "kustomize.toolkit.fluxcd.io/prune": "disabled",
    }
    account = {"kind": "ServiceAccount", "name": "flux-tenant-alpha", "namespace": "flux-system"}
    # every right inside the tenant namespace, none outside it but its own Namespace object
    assert binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == cluster_binding["subjects"] == [account]
    assert cluster_binding["roleRef"]["name"] == "flux-tenant-alpha"
    assert role["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["namespaces"],
            "resourceNames": ["ns-alpha"],
            "verbs": ["get", "patch", "update", "delete"],
        }
    ]


def test_flux_depends_on_chains_the_numbered_waves() -> None:
    kustomizations = by_name(generate(make_catalog(), "edge")["flux"], "Kustomization")
    depends = {
        n: [d["name"] for d in k["spec"].get("dependsOn", [])] for n, k in kustomizations.items()
    }
    assert depends == {
        "flux-system": [],
        "cert-manager": [],
        "cluster-issuers": ["cert-manager"],
        "external-dns": ["cert-manager"],
        "kyverno": ["cluster-issuers", "external-dns"],
        "tenant-alpha": ["kyverno"],
        "tenant-beta": ["kyverno"],
    }


def test_flux_waits_for_crd_installers() -> None:
    kustomizations = by_name(generate(make_catalog(), "edge")["flux"], "Kustomization")
    assert kustomizations["cert-manager"]["spec"]["wait"] is True
    assert kustomizations["cert-manager"]["spec"]["timeout"] == "5m"
    assert "wait" not in kustomizations["kyverno"]["spec"]
    assert "healthChecks" not in kustomizations["kyverno"]["spec"]


def test_flux_checks_crds_when_the_operator_turns_wait_off() -> None:
    operators = (make_operator(10, "cert-manager", "cert-manager", wait=False),)
    cert_manager = by_name(
        generate(make_catalog(operators=operators), "edge")["flux"], "Kustomization"
    )["cert-manager"]
    assert "wait" not in cert_manager["spec"]
    assert cert_manager["spec"]["healthChecks"] == [
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "name": name,
        }
        for name in ("certificates.cert-manager.io", "issuers.cert-manager.io")
    ]


def test_flux_decrypts_only_units_with_sops_secrets() -> None:
    kustomizations = by_name(generate(make_catalog(), "edge", secret=True)["flux"], "Kustomization")
    decrypting = {n for n, k in kustomizations.items() if "decryption" in k["spec"]}
    assert decrypting == {"external-dns"}
    assert kustomizations["external-dns"]["spec"]["decryption"] == {
        "provider": "sops",
        "secretRef": {"name": "sops-age"},
    }


def test_flux_prune_follows_the_environment() -> None:
    clusters = (make_cluster("edge", "prod", gitops="flux"),)
    kustomizations = by_name(generate(make_catalog(clusters), "edge")["flux"], "Kustomization")
    assert {k["spec"]["prune"] for k in kustomizations.values()} == {False}
    dev = by_name(generate(make_catalog(), "edge")["flux"], "Kustomization")
    assert {k["spec"]["prune"] for k in dev.values()} == {True}


@pytest.mark.parametrize(
    ("revision", "ref"),
    [
        ("main", {"branch": "main"}),
        ("refs/tags/v1.4.0", {"name": "refs/tags/v1.4.0"}),
        (
            "0123456789abcdef0123456789abcdef01234567",
            {"commit": "0123456789abcdef0123456789abcdef01234567"},
        ),
    ],
)
def test_flux_git_ref_follows_the_revision_form(revision: str, ref: dict[str, str]) -> None:
    flux = generate(make_catalog(revision=revision), "edge")["flux"]
    assert by_name(flux, "GitRepository")["flux-system"]["spec"]["ref"] == ref


# ---------------------------------------------------------------- bad input

LONG = "a-very-long-operator-name-that-keeps-going-on"
BAD_INPUT = [
    pytest.param(
        (make_cluster("prod-eu", "prod", managed_by="mgmt-x"), make_cluster("mgmt", "prod")),
        OPERATORS,
        "prod-eu",
        "catalog/clusters/prod-eu.yaml:1: cluster 'prod-eu': managedBy 'mgmt-x' is not another "
        "cluster of the catalog\n"
        "  hint: set managedBy to the management cluster (one of: mgmt) or remove it",
        id="managed-by-unknown-cluster",
    ),
    pytest.param(
        (make_cluster("prod-eu", "prod", managed_by="edge"), make_cluster("edge", "dev", "flux")),
        OPERATORS,
        "prod-eu",
        "catalog/clusters/prod-eu.yaml:1: cluster 'prod-eu': managedBy 'edge', but 'edge' does "
        "not run its own Argo CD\n"
        "  hint: choose a management cluster with gitops: argocd and no managedBy, or change "
        "cluster 'edge'",
        id="managed-by-a-flux-cluster",
    ),
    pytest.param(
        (
            make_cluster("mgmt", "prod"),
            make_cluster("prod-eu", "prod", managed_by="mgmt"),
            replace(make_cluster("prod-us", "prod", managed_by="mgmt"), api_server=""),
        ),
        OPERATORS,
        "mgmt",
        "catalog/clusters/prod-us.yaml:1: cluster 'prod-us' is managed by 'mgmt' but has no "
        "apiServer\n"
        "  hint: set apiServer to the URL the management cluster's Argo CD reaches it at",
        id="management-cluster-names-the-managed-cluster-without-api-server",
    ),
    pytest.param(
        (make_cluster("edge", "dev", "flux", managed_by="mgmt"), make_cluster("mgmt", "prod")),
        OPERATORS,
        "edge",
        "catalog/clusters/edge.yaml:1: cluster 'edge' uses gitops: flux but names managedBy "
        "'mgmt'\n"
        "  hint: Flux runs inside each cluster: remove managedBy, or set gitops: argocd to have "
        "the management cluster's Argo CD deploy it",
        id="flux-cluster-with-managed-by",
    ),
    pytest.param(
        (make_cluster("production-europe-west", "prod"),),
        (make_operator(10, LONG, "x"),),
        "production-europe-west",
        f"catalog/operators/010-{LONG}.yaml: Application name "
        f"'production-europe-west-{LONG}' is longer than 63 characters\n"
        "  hint: shorten the cluster, operator or tenant name",
        id="application-name-past-63-characters",
    ),
    pytest.param(
        (),
        (make_operator(10, "root", "root"),),
        "dev-kind",
        "catalog/operators/010-root.yaml: operator name 'root' is reserved\n"
        "  hint: rename the file: 'root', 'bootstrap', 'flux-system' and names starting with "
        "'tenant-' are taken by the generator's own objects and the tenants",
        id="operator-named-like-the-root-application",
    ),
    pytest.param(
        (),
        (make_operator(10, "flux-system", "flux-system"),),
        "edge",
        "catalog/operators/010-flux-system.yaml: operator name 'flux-system' is reserved\n"
        "  hint: rename the file: 'root', 'bootstrap', 'flux-system' and names starting with "
        "'tenant-' are taken by the generator's own objects and the tenants",
        id="operator-named-flux-system",
    ),
]


@pytest.mark.parametrize(("clusters", "operators", "name", "expected"), BAD_INPUT)
def test_bad_catalog_is_refused_naming_the_file(
    clusters: Sequence[Cluster], operators: Sequence[Operator], name: str, expected: str
) -> None:
    with pytest.raises(GeneratorError) as excinfo:
        generate(make_catalog(clusters, operators), name)
    assert str(excinfo.value) == expected


def test_sops_secret_on_an_argocd_cluster_is_refused() -> None:
    with pytest.raises(GeneratorError) as excinfo:
        generate(make_catalog(), "dev-kind", secret=True)
    assert str(excinfo.value) == (
        "catalog/operators/020-external-dns.yaml:1: operator 'external-dns' renders "
        "SOPS-encrypted Secret 'dns-credentials' for cluster 'dev-kind', which Argo CD cannot "
        "decrypt\n"
        "  hint: deploy this cluster with gitops: flux, or replace the Secret with an object "
        "Argo CD can apply as is (an ExternalSecret or a SealedSecret)"
    )


# ---------------------------------------------------------------- the example platform

EXAMPLE = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def example() -> dict[str, dict[str, list[Manifest]]]:
    """Every cluster of catalog/ through the stages that precede this one."""
    from generator.catalog import load_catalog
    from generator.engines import engine
    from generator.merge import resolve_units

    catalog = load_catalog(EXAMPLE)
    units = resolve_units(catalog)
    out = {}
    for cluster in catalog.clusters:
        mine = [u for u in units if u.cluster.name == cluster.name]
        rendered = {u.dirname: engine(u.component.engine)(u, EXAMPLE) for u in mine}
        out[cluster.name] = gitops_manifests(catalog, cluster, mine, rendered)
    return out


def test_example_platform_objects_validate_against_the_upstream_crds(
    example: dict[str, dict[str, list[Manifest]]],
) -> None:
    schemas = crd_schemas()
    problems = [
        problem
        for folders in example.values()
        for manifests in folders.values()
        for manifest in manifests
        for problem in schema_errors(schemas, manifest)
    ]
    assert problems == []
    assert {folder for folders in example.values() for folder in folders} == {
        "apps",
        "bootstrap",
        "flux",
    }


def test_example_management_cluster_runs_the_production_cluster(
    example: dict[str, dict[str, list[Manifest]]],
) -> None:
    mgmt = by_name(example["mgmt"]["apps"], "Application")
    assert mgmt["eks-prod-bootstrap"]["spec"]["source"]["path"] == "rendered/eks-prod/bootstrap"
    prod = by_name(example["eks-prod"]["apps"], "Application")
    assert {a["spec"]["destination"]["server"] for a in prod.values()} == {
        "https://4B1F0C7E9A2D3E5F6A7B8C9D0E1F2A3B.gr7.eu-west-1.eks.amazonaws.com"
    }
    assert [a for a in prod.values() if "automated" in a["spec"]["syncPolicy"]] == []


def test_example_flux_cluster_chains_operator_waves_then_tenants(
    example: dict[str, dict[str, list[Manifest]]],
) -> None:
    kustomizations = by_name(example["linode-sandbox"]["flux"], "Kustomization")
    del kustomizations["flux-system"]
    # The example catalog grows; check the rule rather than a fixed list: each unit depends on
    # exactly the units of the closest lower wave, read back from the generated paths.
    wave = {
        name: 1000 if name.startswith("tenant-") else int(k["spec"]["path"].split("/")[-1][:3])
        for name, k in kustomizations.items()
    }
    assert len({w for w in wave.values() if w < 1000}) >= 4
    for name, kustomization in kustomizations.items():
        lower = [w for w in wave.values() if w < wave[name]]
        expected = sorted(n for n, w in wave.items() if lower and w == max(lower))
        assert [d["name"] for d in kustomization["spec"].get("dependsOn", [])] == expected, name
