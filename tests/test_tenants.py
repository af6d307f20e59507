"""Tenants of the example platform, rendered through the shipped tenant library: isolation
invariants on every (cluster, tenant), defaults, exposure, allowances and extension."""

from __future__ import annotations

import dataclasses
import functools
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.engines import jsonnet, limits
from generator.errors import GeneratorError
from generator.merge import resolve_units
from generator.model import Manifest, RenderUnit
from tests.conftest import EXAMPLE, MINIMAL, write_tree
from tests.perf.fleet import write_fleet

CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "StorageClass",
    "PriorityClass",
    "PersistentVolume",
    "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration",
    "GatewayClass",
    "ClusterIssuer",
    "ClusterSecretStore",
}


@functools.cache
def tenant_units() -> tuple[RenderUnit, ...]:
    return tuple(u for u in resolve_units(load_catalog(EXAMPLE)) if u.kind == "tenant")


@functools.cache
def rendered(cluster: str, tenant: str) -> tuple[RenderUnit, tuple[Manifest, ...]]:
    unit = next(u for u in tenant_units() if u.cluster.name == cluster and u.name == tenant)
    return unit, tuple(jsonnet.render(unit, EXAMPLE))


def of_kind(manifests: tuple[Manifest, ...], kind: str) -> list[Mapping[str, Any]]:
    return [m.body for m in manifests if m.kind == kind]


def by_name(manifests: tuple[Manifest, ...], kind: str, name: str) -> Mapping[str, Any]:
    return next(b for b in of_kind(manifests, kind) if b["metadata"]["name"] == name)


PAIRS = [(u.cluster.name, u.name) for u in tenant_units()]
each_tenant = pytest.mark.parametrize(
    ("cluster", "tenant"), PAIRS, ids=[f"{c}/{t}" for c, t in PAIRS]
)


def test_the_example_platform_renders_tenants_on_several_clusters() -> None:
    assert len({c for c, _ in PAIRS}) >= 3
    assert {t for _, t in PAIRS} == {"analytics", "payments", "search"}


# ---------------------------------------------------------------- isolation invariants


@each_tenant
def test_nothing_cluster_scoped_but_the_tenant_namespace(cluster: str, tenant: str) -> None:
    unit, manifests = rendered(cluster, tenant)
    namespace = unit.context["tenant"]["namespace"]
    scoped = [m for m in manifests if m.kind in CLUSTER_SCOPED]
    assert [(m.kind, m.name) for m in scoped] == [("Namespace", namespace)]
    assert {m.namespace for m in manifests if m.kind != "Namespace"} == {namespace}


@each_tenant
def test_default_deny_ingress_and_egress(cluster: str, tenant: str) -> None:
    _, manifests = rendered(cluster, tenant)
    deny = [
        p
        for p in of_kind(manifests, "NetworkPolicy")
        if not p["spec"]["podSelector"].get("matchLabels")
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    assert len(deny) == 1


@each_tenant
def test_quota_and_limit_range_bound_the_namespace(cluster: str, tenant: str) -> None:
    _, manifests = rendered(cluster, tenant)
    (quota,) = of_kind(manifests, "ResourceQuota")
    hard = quota["spec"]["hard"]
    for key in (
        "requests.cpu",
        "limits.cpu",
        "requests.memory",
        "limits.memory",
        "pods",
        "requests.storage",
    ):
        assert hard[key] not in ("", "0"), key
    assert hard["services.loadbalancers"] == "0"
    assert hard["services.nodeports"] == "0"
    (limits,) = of_kind(manifests, "LimitRange")
    (container,) = limits["spec"]["limits"]
    assert container["type"] == "Container"
    assert set(container["default"]) == set(container["defaultRequest"]) == {"cpu", "memory"}


@each_tenant
def test_every_network_peer_is_named(cluster: str, tenant: str) -> None:
    """No policy opens traffic to all namespaces or to anywhere outside the cluster."""
    _, manifests = rendered(cluster, tenant)
    for policy in of_kind(manifests, "NetworkPolicy"):
        rules = policy["spec"].get("ingress", []) + policy["spec"].get("egress", [])
        for rule in rules:
            peers = rule.get("from", []) + rule.get("to", [])
            assert peers, policy["metadata"]["name"]
            for peer in peers:
                assert "ipBlock" not in peer
                if "namespaceSelector" in peer:
                    assert set(peer["namespaceSelector"]["matchLabels"]) == {
                        "kubernetes.io/metadata.name"
                    }


@each_tenant
def test_pod_security_labels_follow_the_catalog(cluster: str, tenant: str) -> None:
    unit, manifests = rendered(cluster, tenant)
    (namespace,) = of_kind(manifests, "Namespace")
    labels = namespace["metadata"]["labels"]
    level = unit.context["tenant"]["podSecurity"]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == level
    assert labels["platform.generator/tenant"] == tenant


@each_tenant
def test_owners_readers_and_deployer_get_namespaced_roles(cluster: str, tenant: str) -> None:
    unit, manifests = rendered(cluster, tenant)
    context = unit.context["tenant"]
    bindings = {b["metadata"]["name"]: b for b in of_kind(manifests, "RoleBinding")}
    assert {b["roleRef"]["kind"] for b in bindings.values()} == {"ClusterRole"}
    owners = bindings["tenant-owners"]
    assert owners["roleRef"]["name"] == "admin"
    assert [s["name"] for s in owners["subjects"]] == context["owners"]
    if context["readers"]:
        assert bindings["tenant-readers"]["roleRef"]["name"] == "view"
        assert [s["name"] for s in bindings["tenant-readers"]["subjects"]] == context["readers"]
    else:
        assert "tenant-readers" not in bindings
    assert bindings["deployer"]["roleRef"]["name"] == "edit"
    assert bindings["deployer"]["subjects"] == [
        {"kind": "ServiceAccount", "name": "deployer", "namespace": context["namespace"]}
    ]
    assert [sa["metadata"]["name"] for sa in of_kind(manifests, "ServiceAccount")] == ["deployer"]
    assert not of_kind(manifests, "Role")


@each_tenant
def test_gateway_ingress_only_for_exposed_tenants(cluster: str, tenant: str) -> None:
    unit, manifests = rendered(cluster, tenant)
    exposed = unit.context["tenant"]["exposure"].get("exposed", False)
    gateway_namespace = next(
        o.namespace for o in load_catalog(EXAMPLE).operators if o.name == "gateway"
    )
    from_other_namespaces = [
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for policy in of_kind(manifests, "NetworkPolicy")
        for rule in policy["spec"].get("ingress", [])
        for peer in rule["from"]
        if "namespaceSelector" in peer
    ]
    assert from_other_namespaces == ([gateway_namespace] if exposed else [])
    (namespace,) = of_kind(manifests, "Namespace")
    assert ("platform.generator/exposed" in namespace["metadata"]["labels"]) == exposed


@each_tenant
def test_egress_beyond_the_namespace_only_to_dns_and_declared_services(
    cluster: str, tenant: str
) -> None:
    unit, manifests = rendered(cluster, tenant)
    egress = sorted(
        (
            peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"],
            peer["podSelector"]["matchLabels"],
            [p["port"] for p in rule.get("ports", [])],
        )
        for policy in of_kind(manifests, "NetworkPolicy")
        for rule in policy["spec"].get("egress", [])
        for peer in rule["to"]
        if "namespaceSelector" in peer
    )
    declared = [
        (a["namespace"], {"app.kubernetes.io/name": a["service"]}, list(a.get("ports", [])))
        for a in unit.context["tenant"]["allow"]
    ]
    assert egress == sorted([("kube-system", {"k8s-app": "kube-dns"}, [53, 53]), *declared])


@each_tenant
def test_storage_is_limited_to_the_resolved_class(cluster: str, tenant: str) -> None:
    unit, manifests = rendered(cluster, tenant)
    concrete = unit.context["tenant"]["storageClass"]
    assert concrete == unit.values["storageClasses"][unit.context["tenant"]["storage"]]
    assert by_name(manifests, "ConfigMap", "platform-info")["data"]["storageClass"] == concrete
    hard = of_kind(manifests, "ResourceQuota")[0]["spec"]["hard"]
    closed = {
        k.split(".storageclass")[0] for k, v in hard.items() if ".storageclass." in k and v == "0"
    }
    assert closed == set(unit.values["storageClasses"].values()) - {concrete}


@each_tenant
def test_no_argo_cd_project_comes_from_the_tenant_library(cluster: str, tenant: str) -> None:
    _, manifests = rendered(cluster, tenant)
    assert not [m for m in manifests if m.kind == "AppProject"]


# ---------------------------------------------------------------- catalog values


def test_quotas_fall_back_to_environment_defaults() -> None:
    _, analytics = rendered("eks-prod", "analytics")  # no quotas of its own; prod defaults apply
    _, payments = rendered("eks-prod", "payments")  # cpu 8, memory 16Gi in its catalog entry
    _, local = rendered("kind-local", "analytics")  # dev: platform tenantDefaults
    assert of_kind(analytics, "ResourceQuota")[0]["spec"]["hard"]["requests.cpu"] == "16"
    assert of_kind(payments, "ResourceQuota")[0]["spec"]["hard"]["requests.memory"] == "16Gi"
    assert of_kind(local, "ResourceQuota")[0]["spec"]["hard"]["requests.cpu"] == "4"
    limits = of_kind(local, "LimitRange")[0]["spec"]["limits"][0]
    assert limits["defaultRequest"] == {"cpu": "100m", "memory": "128Mi"}


def test_namespace_override_and_interpolated_hosts() -> None:
    _, analytics = rendered("eks-prod", "analytics")
    assert [m.name for m in analytics if m.kind == "Namespace"] == ["ns-analytics-batch"]
    _, search = rendered("linode-sandbox", "search")
    assert (
        by_name(search, "ConfigMap", "platform-info")["data"]["hosts"]
        == "search.staging.acme.example"
    )


def test_the_gateway_namespace_comes_from_the_catalog_not_from_the_library(
    tmp_path: Path,
) -> None:
    repo = write_tree(
        tmp_path / "repo",
        {
            **MINIMAL,
            "catalog/operators/005-edge.yaml": "namespace: edge\n",
            "charts/edge/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\n"
            "metadata: {name: edge}\ndata: {a: b}\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  replicas: 2\n"
            "  gateway: {namespace: edge}\n",
            "catalog/tenants/shop.yaml": "owners: [team-shop]\nexposure: {exposed: true}\n",
            "catalog/tenants/batch.yaml": "owners: [team-batch]\n",
        },
    )
    units = {u.name: u for u in resolve_units(load_catalog(repo)) if u.kind == "tenant"}
    shop = tuple(jsonnet.render(units["shop"], repo))
    policy = by_name(shop, "NetworkPolicy", "allow-from-gateway")
    (peer,) = policy["spec"]["ingress"][0]["from"]
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "edge"}
    assert by_name(shop, "ConfigMap", "platform-info")["data"]["gatewayNamespace"] == "edge"
    # Without the value, an unexposed tenant still renders; its platform-info says so.
    write_tree(repo, {"catalog/environments/dev.yaml": MINIMAL["catalog/environments/dev.yaml"]})
    (repo / "catalog/tenants/shop.yaml").unlink()
    (batch,) = (u for u in resolve_units(load_catalog(repo)) if u.name == "batch")
    info = by_name(tuple(jsonnet.render(batch, repo)), "ConfigMap", "platform-info")
    assert info["data"]["gatewayNamespace"] == ""


def with_tenant_component(tmp_path: Path, main: str) -> Path:
    """A copy of the example platform with its own charts/tenant/main.jsonnet."""
    repo = tmp_path / "repo"
    for folder in ("catalog", "charts"):
        shutil.copytree(EXAMPLE / folder, repo / folder)
    return write_tree(repo, {"charts/tenant/main.jsonnet": main})


def test_the_library_refuses_an_exposed_tenant_without_a_gateway_namespace(
    tmp_path: Path,
) -> None:
    # A platform's own tenant component that drops the value the catalog check vouched for.
    repo = with_tenant_component(
        tmp_path,
        """\
local base = import 'tenant/tenant.libsonnet';

function(tenant, values) base.new(tenant, values { gateway: null })
""",
    )
    unit = next(u for u in resolve_units(load_catalog(repo)) if u.name == "payments")
    with pytest.raises(GeneratorError) as raised:
        jsonnet.render(unit, repo)
    assert str(raised.value).splitlines()[0] == (
        "generator/jsonnet/tenant/tenant.libsonnet:86:11: eks-prod/payments: runtime error: "
        "tenant payments is exposed but values.gateway.namespace is not set: set it to the "
        "namespace of the operator that runs the shared gateway"
    )


# ---------------------------------------------------------------- extension


def test_a_platform_team_extends_the_tenant_library(tmp_path: Path) -> None:
    repo = with_tenant_component(
        tmp_path,
        """\
local k = import 'k8s.libsonnet';
local base = import 'tenant/tenant.libsonnet';

function(tenant, values)
  base.new(tenant, values) + {
    quota+: { spec+: { hard+: { 'count/jobs.batch': '10' } } },
    budget: k.configMap('team-budget', { owner: tenant.owners[0] }, tenant.namespace),
  }
""",
    )
    unit = next(u for u in resolve_units(load_catalog(repo)) if u.name == "payments")
    assert unit.component.path.as_posix() == "charts/tenant"
    manifests = tuple(jsonnet.render(unit, repo))
    assert {str(m.origin) for m in manifests} == {"charts/tenant/main.jsonnet"}
    assert by_name(manifests, "ConfigMap", "team-budget")["data"] == {"owner": "team-payments"}
    hard = of_kind(manifests, "ResourceQuota")[0]["spec"]["hard"]
    assert hard["count/jobs.batch"] == "10"
    # eks-prod is in prod, whose `tenants.payments.quotas` raises the file's 8 CPUs
    assert hard["requests.cpu"] == "16"


# ---------------------------------------------------------------- evaluated together


@pytest.mark.parametrize("platform", ["example", "fleet"])
def test_tenants_evaluated_together_equal_tenants_evaluated_alone(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if platform == "fleet":  # the benchmark's platform: 20 tenants over other providers
        write_fleet(tmp_path, 3)
    repo = EXAMPLE if platform == "example" else tmp_path
    units = [u for u in resolve_units(load_catalog(repo)) if u.kind == "tenant"]
    clusters = sorted({u.cluster.name for u in units})
    evaluations: list[str] = []
    bounded = limits.run_bounded

    def counted(function: Any, args: Any, label: str, origin: Any) -> Any:
        evaluations.append(label)
        return bounded(function, args, label, origin)

    monkeypatch.setattr(jsonnet, "run_bounded", counted)
    together = {
        (cluster, dirname): rendered
        for cluster in clusters
        for dirname, rendered in jsonnet.rendered_together(
            [u for u in units if u.cluster.name == cluster], repo
        ).items()
    }
    assert any(sum(u.cluster.name == c for u in units) > 1 for c in clusters)
    assert len(evaluations) == len(clusters)  # one evaluation per cluster, not per tenant
    for unit in units:
        alone = jsonnet.rendered(unit, repo)
        mine = together[unit.cluster.name, unit.dirname]
        assert [(m.body, m.origin) for m in mine.manifests] == [
            (m.body, m.origin) for m in alone.manifests
        ], unit.label
        assert mine.reads == alone.reads, unit.label


def test_a_tenant_that_fails_together_is_left_to_be_evaluated_alone() -> None:
    units = [u for u in resolve_units(load_catalog(EXAMPLE)) if u.kind == "tenant"]
    cluster = units[0].cluster.name
    mine = [u for u in units if u.cluster.name == cluster]
    broken = dataclasses.replace(
        mine[0], context={**mine[0].context, "tenant": {**mine[0].context["tenant"], "owners": 7}}
    )
    # one unit's error costs the batch, never the other units' objects or the unit's message
    assert jsonnet.rendered_together([broken, *mine[1:]], EXAMPLE) == {}
    with pytest.raises(GeneratorError) as raised:
        jsonnet.rendered(broken, EXAMPLE)
    assert f"tenant.libsonnet:65:16: {broken.label}: type error" in str(raised.value)


def test_only_components_we_ship_are_evaluated_together(tmp_path: Path) -> None:
    repo = with_tenant_component(
        tmp_path,
        "local base = import 'tenant/tenant.libsonnet';\n"
        "function(tenant, values) base.new(tenant, values)\n",
    )
    units = [u for u in resolve_units(load_catalog(repo)) if u.kind == "tenant"]
    assert len({u.cluster.name for u in units}) < len(units)
    # a platform's own file may read std.extVar or the repository: alone, always
    assert jsonnet.rendered_together(units, repo) == {}
