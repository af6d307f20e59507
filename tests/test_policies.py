"""Platform policies: every rule fires on a violating object and is silenced by a waiver
annotation that gives a reason."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import PurePosixPath
from typing import Any, Literal

import pytest

from generator.model import (
    Cluster,
    Component,
    Environment,
    Manifest,
    Origin,
    RenderUnit,
    Selection,
)
from generator.policies import (
    RULES,
    WAIVER_PREFIX,
    check_manifests,
    check_policies,
    check_secrets,
)

CLUSTER = Cluster(
    name="eks-prod",
    environment="prod",
    provider="aws",
    kubernetes_version="1.31.0",
    api_server="https://prod.example:6443",
    gitops="argocd",
    managed_by="",
    operators=Selection(),
    tenants=Selection(),
    labels={},
    values={},
    origin=Origin(PurePosixPath("catalog/clusters/eks-prod.yaml"), 1),
)
ENVIRONMENT = Environment(
    "prod", 30, {}, {}, Origin(PurePosixPath("catalog/environments/prod.yaml"), 1)
)


def unit(
    kind: Literal["operator", "tenant"],
    name: str,
    order: int,
    namespace: str,
    pod_security: str = "restricted",
) -> RenderUnit:
    dirname = f"tenants/{name}" if kind == "tenant" else f"{order:03d}-{name}"
    component = Component(
        name, "plain", PurePosixPath(f"charts/{name}"), Origin(PurePosixPath(f"charts/{name}"))
    )
    source = PurePosixPath(f"catalog/{'tenants' if kind == 'tenant' else 'operators'}/{name}.yaml")
    return RenderUnit(
        cluster=CLUSTER,
        environment=ENVIRONMENT,
        kind=kind,
        name=name,
        order=order,
        dirname=dirname,
        namespace=namespace,
        component=component,
        values={},
        context={"tenant": {"podSecurity": pod_security}} if kind == "tenant" else {},
        sources=(source,),
        origin=Origin(source, 1),
    )


def manifest(body: dict[str, Any], path: str = "charts/shop/app.yaml", line: int = 1) -> Manifest:
    return Manifest(body, Origin(PurePosixPath(path), line))


def obj(
    kind: str, name: str, namespace: str = "", api: str = "v1", **fields: Any
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": api, "kind": kind, "metadata": meta, **fields}


def deployment(
    namespace: str, *, image: str = "shop:1.4.2", resources: bool = True, **pod: Any
) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "app", "image": image}
    if resources:
        container["resources"] = {"requests": {"cpu": "100m"}, "limits": {"memory": "128Mi"}}
    spec = {"containers": [container], **pod}
    return obj("Deployment", "app", namespace, "apps/v1", spec={"template": {"spec": spec}})


def psa_labels(level: str = "restricted") -> dict[str, str]:
    return {f"pod-security.kubernetes.io/{mode}": level for mode in ("enforce", "audit", "warn")}


def tenant_baseline(namespace: str = "ns-shop", level: str = "restricted") -> list[dict[str, Any]]:
    deny = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    return [
        dict(
            obj("Namespace", namespace), metadata={"name": namespace, "labels": psa_labels(level)}
        ),
        obj("NetworkPolicy", "default-deny", namespace, "networking.k8s.io/v1", spec=deny),
        obj("ResourceQuota", "tenant-quota", namespace, spec={"hard": {"pods": "20"}}),
        obj("LimitRange", "tenant-limits", namespace, spec={"limits": []}),
    ]


def tenant_with(
    *extra: dict[str, Any], level: str = "restricted"
) -> list[tuple[RenderUnit, list[Manifest]]]:
    bodies = tenant_baseline(level=level) + list(extra)
    return [(unit("tenant", "shop", 1000, "ns-shop", level), [manifest(b) for b in bodies])]


def waived(body: dict[str, Any], rule: str, reason: str = "approved in PLAT-123") -> dict[str, Any]:
    body = copy.deepcopy(body)
    body["metadata"].setdefault("annotations", {})[WAIVER_PREFIX + rule] = reason
    return body


def crd(group: str, kind: str, scope: str = "Namespaced") -> dict[str, Any]:
    spec = {"group": group, "names": {"kind": kind}, "scope": scope}
    return obj(
        "CustomResourceDefinition",
        f"{kind.lower()}s.{group}",
        "",
        "apiextensions.k8s.io/v1",
        spec=spec,
    )


def crd_operator(*kinds: tuple[str, str]) -> tuple[RenderUnit, list[Manifest]]:
    """A platform operator installing the CRDs of `kinds` ((group, kind) pairs)."""
    crds = [manifest(crd(g, k), "charts/crds/crds.yaml") for g, k in kinds]
    return (unit("operator", "crds", 5, "crds"), crds)


KEDA = crd_operator(("keda.sh", "ScaledJob"))


def rules_of(rendered: list[tuple[RenderUnit, list[Manifest]]]) -> list[str]:
    return [f.rule for f in check_policies(CLUSTER, rendered)]


def test_a_complete_tenant_passes() -> None:
    assert check_policies(CLUSTER, tenant_with(deployment("ns-shop"))) == []


def test_tenant_objects_outside_the_tenant_namespace_are_refused() -> None:
    stray = obj("ConfigMap", "stray", "kube-system")
    findings = check_policies(CLUSTER, tenant_with(stray))
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: ConfigMap kube-system/stray: tenant object in namespace "
        "'kube-system', outside 'ns-shop' [tenant-namespace]\n"
        "  hint: remove metadata.namespace or set it to 'ns-shop'"
    ]
    assert [
        str(f) for f in check_policies(CLUSTER, tenant_with(waived(stray, "tenant-namespace")))
    ] == [
        "charts/shop/app.yaml:1: ConfigMap kube-system/stray: tenant object in namespace "
        "'kube-system', outside 'ns-shop' (the waiver is ignored) [tenant-namespace]\n"
        "  hint: waive.platform.generator/tenant-namespace has no effect: a tenant's own "
        "annotation cannot lift the tenant's confinement; remove metadata.namespace or set it "
        "to 'ns-shop'"
    ]
    assert RULES["tenant-namespace"].waivable is False


def test_tenant_cluster_scoped_objects_other_than_its_namespace_are_refused() -> None:
    role = obj("ClusterRole", "shop-reader", api="rbac.authorization.k8s.io/v1", rules=[])
    other_ns = obj("Namespace", "ns-other")
    findings = check_policies(CLUSTER, tenant_with(role, other_ns))
    assert [(f.rule, f.message) for f in findings] == [
        ("tenant-namespace", "tenant renders a cluster-scoped ClusterRole"),
        ("tenant-namespace", "tenant creates Namespace 'ns-other' instead of 'ns-shop'"),
    ]
    assert rules_of(
        tenant_with(waived(role, "tenant-namespace"), waived(other_ns, "tenant-namespace"))
    ) == ["tenant-namespace", "tenant-namespace"]


def test_tenant_namespace_needs_default_deny_quota_and_limits() -> None:
    namespace, policy, quota, _limits = (manifest(b) for b in tenant_baseline())
    ingress_only = manifest(
        obj("NetworkPolicy", "deny-in", "ns-shop", "networking.k8s.io/v1", spec={"podSelector": {}})
    )
    rendered = [(unit("tenant", "shop", 1000, "ns-shop"), [namespace, ingress_only, quota])]
    findings = check_policies(CLUSTER, rendered)
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: Namespace ns-shop: tenant namespace 'ns-shop' lacks "
        "a default-deny egress NetworkPolicy, a LimitRange [tenant-baseline]\n"
        "  hint: render the tenant with the shipped tenant library, or add the missing objects"
    ]
    waived_ns = manifest(
        waived(dict(namespace.body), "tenant-baseline", "limits come from a Kyverno policy")
    )
    assert check_policies(CLUSTER, [(rendered[0][0], [waived_ns, ingress_only, quota])]) == []
    allow_some = manifest(
        obj(
            "NetworkPolicy",
            "partial",
            "ns-shop",
            "networking.k8s.io/v1",
            spec={
                "podSelector": {"matchLabels": {"app": "x"}},
                "policyTypes": ["Ingress", "Egress"],
            },
        )
    )
    rendered = [(unit("tenant", "shop", 1000, "ns-shop"), [namespace, allow_some, quota, _limits])]
    assert [f.message for f in check_policies(CLUSTER, rendered)] == [
        "tenant namespace 'ns-shop' lacks a default-deny ingress NetworkPolicy, "
        "a default-deny egress NetworkPolicy"
    ]
    assert policy.kind == "NetworkPolicy"


def test_plaintext_secrets_fail_and_cannot_be_waived() -> None:
    secret = obj("Secret", "db", "shop", stringData={"password": "hunter2"})
    operator = unit("operator", "shop", 10, "shop")
    findings = check_policies(CLUSTER, [(operator, [manifest(secret)])])
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: Secret shop/db: Secret carries plaintext stringData ('password') "
        "[no-plaintext-secrets]\n"
        "  hint: encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
        "instead; this rule cannot be waived"
    ]
    still = check_policies(
        CLUSTER, [(operator, [manifest(waived(secret, "no-plaintext-secrets"))])]
    )
    assert [(f.rule, f.message, f.hint) for f in still] == [
        (
            "no-plaintext-secrets",
            "Secret carries plaintext stringData ('password') (the waiver is ignored)",
            "waive.platform.generator/no-plaintext-secrets has no effect: plaintext in "
            "rendered/ reaches Git and everyone who can read the repository; encrypt every "
            "value with SOPS, or render an ExternalSecret or SealedSecret instead; this rule "
            "cannot be waived",
        )
    ]
    sops = sops_secret(data={"password": "ENC[AES256_GCM,data:abc]"})
    external = obj("ExternalSecret", "db", "shop", "external-secrets.io/v1", spec={})
    empty = obj("Secret", "token", "shop", type="kubernetes.io/service-account-token")
    assert (
        check_policies(CLUSTER, [(operator, [manifest(sops), manifest(external), manifest(empty)])])
        == []
    )
    assert RULES["no-plaintext-secrets"].waivable is False


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("nginx", "has no tag"),
        ("nginx:latest", "uses the 'latest' tag"),
        ("registry.example:5000/team/nginx", "has no tag"),
        ("", "is empty"),
    ],
)
def test_images_must_be_pinned(image: str, problem: str) -> None:
    operator = unit("operator", "web", 20, "web")
    findings = check_policies(CLUSTER, [(operator, [manifest(deployment("web", image=image))])])
    assert [(f.rule, f.message) for f in findings] == [
        ("image-pinned", f"container 'app' image '{image}' {problem}")
    ]
    silenced = waived(deployment("web", image=image), "image-pinned", "upstream publishes no tags")
    assert check_policies(CLUSTER, [(operator, [manifest(silenced)])]) == []


def test_pinned_images_pass() -> None:
    operator = unit("operator", "web", 20, "web")
    for image in ("nginx:1.27.3", "registry.example:5000/nginx:1.2", "nginx@sha256:" + "a" * 64):
        assert (
            check_policies(CLUSTER, [(operator, [manifest(deployment("web", image=image))])]) == []
        )


def test_containers_need_requests_and_limits() -> None:
    operator = unit("operator", "web", 20, "web")
    cron = obj(
        "CronJob",
        "report",
        "web",
        "batch/v1",
        spec={
            "jobTemplate": {
                "spec": {
                    "template": {
                        "spec": {
                            "containers": [
                                {
                                    "name": "report",
                                    "image": "report:2.0",
                                    "resources": {"requests": {"cpu": "1"}},
                                }
                            ]
                        }
                    }
                }
            }
        },
    )
    findings = check_policies(
        CLUSTER, [(operator, [manifest(deployment("web", resources=False)), manifest(cron)])]
    )
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: Deployment web/app: container 'app' declares no resource requests "
        "or limits [container-resources]\n"
        "  hint: set resources.requests and resources.limits (cpu and memory) for it",
        "charts/shop/app.yaml:1: CronJob web/report: container 'report' declares no "
        "resource limits [container-resources]\n"
        "  hint: set resources.requests and resources.limits (cpu and memory) for it",
    ]
    silenced = waived(cron, "container-resources", "batch job sized by the scheduler")
    assert check_policies(CLUSTER, [(operator, [manifest(silenced)])]) == []


def test_waiver_without_a_reason_is_reported() -> None:
    operator = unit("operator", "web", 20, "web")
    body = waived(deployment("web", image="nginx"), "image-pinned", "  ")
    findings = check_policies(CLUSTER, [(operator, [manifest(body)])])
    assert [(f.message, f.hint) for f in findings] == [
        (
            "container 'app' image 'nginx' has no tag (the waiver gives no reason)",
            "say why in the annotation: waive.platform.generator/image-pinned: '<reason>'",
        )
    ]


@pytest.mark.parametrize(
    ("pod", "message"),
    [
        ({"hostNetwork": True}, "pod sets hostNetwork: true"),
        ({"hostPID": True}, "pod sets hostPID: true"),
        ({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}, "volume 'root' uses hostPath"),
    ],
)
def test_tenant_pods_may_not_use_host_access(pod: dict[str, Any], message: str) -> None:
    findings = check_policies(CLUSTER, tenant_with(deployment("ns-shop", **pod)))
    assert [(f.rule, f.message) for f in findings] == [("tenant-pod-security", message)]
    still = check_policies(
        CLUSTER, tenant_with(waived(deployment("ns-shop", **pod), "tenant-pod-security"))
    )
    assert [(f.rule, f.message) for f in still] == [
        ("tenant-pod-security", message + " (the waiver is ignored)")
    ]
    operator = unit("operator", "node-agent", 30, "monitoring")
    assert check_policies(CLUSTER, [(operator, [manifest(deployment("monitoring", **pod))])]) == []


def test_privileged_containers_in_tenant_namespaces_are_refused() -> None:
    body = deployment("ns-shop")
    body["spec"]["template"]["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    findings = check_policies(CLUSTER, tenant_with(body))
    assert [(f.rule, f.message) for f in findings] == [
        ("tenant-pod-security", "container 'app' is privileged")
    ]


def test_tenants_may_not_bind_cluster_admin_or_wildcard_roles() -> None:
    rbac = "rbac.authorization.k8s.io/v1"
    wildcard = obj(
        "ClusterRole",
        "everything",
        api=rbac,
        rules=[{"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}],
    )
    platform = (
        unit("operator", "rbac", 5, "kube-system"),
        [manifest(wildcard, "charts/rbac/roles.yaml")],
    )
    admin = obj(
        "RoleBinding",
        "owners",
        "ns-shop",
        rbac,
        roleRef={"kind": "ClusterRole", "name": "cluster-admin"},
    )
    broad = obj(
        "RoleBinding",
        "broad",
        "ns-shop",
        rbac,
        roleRef={"kind": "ClusterRole", "name": "everything"},
    )
    fine = obj(
        "RoleBinding", "editors", "ns-shop", rbac, roleRef={"kind": "ClusterRole", "name": "edit"}
    )
    findings = check_policies(CLUSTER, [platform, *tenant_with(admin, broad, fine)])
    assert [(f.rule, f.message) for f in findings] == [
        ("tenant-rbac", "binds the ClusterRole 'cluster-admin'"),
        ("tenant-rbac", "binds the ClusterRole 'everything', whose rules use '*'"),
    ]
    still = check_policies(
        CLUSTER,
        [platform, *tenant_with(waived(admin, "tenant-rbac"), waived(broad, "tenant-rbac"))],
    )
    assert [(f.rule, f.message) for f in still] == [
        ("tenant-rbac", "binds the ClusterRole 'cluster-admin' (the waiver is ignored)"),
        (
            "tenant-rbac",
            "binds the ClusterRole 'everything', whose rules use '*' (the waiver is ignored)",
        ),
    ]
    assert still[0].hint == (
        "waive.platform.generator/tenant-rbac has no effect: a tenant's own annotation cannot "
        "lift the tenant's confinement; bind the built-in 'admin', 'edit' or 'view' roles, or "
        "a Role without wildcards"
    )


def test_custom_resources_need_their_crd_from_an_earlier_operator() -> None:
    crd = obj(
        "CustomResourceDefinition",
        "certificates.cert-manager.io",
        api="apiextensions.k8s.io/v1",
        spec={"group": "cert-manager.io", "names": {"kind": "Certificate"}, "scope": "Namespaced"},
    )
    cert = obj("Certificate", "web", "web", "cert-manager.io/v1", spec={})
    early = unit("operator", "issuers", 5, "web")
    late = unit("operator", "cert-manager", 10, "cert-manager")
    rendered = [
        (early, [manifest(cert, "charts/issuers/cert.yaml", 4)]),
        (late, [manifest(crd, "charts/cert-manager/crds.yaml")]),
    ]
    findings = check_policies(CLUSTER, rendered)
    assert [str(f) for f in findings] == [
        "charts/issuers/cert.yaml:4: Certificate web/web: Certificate needs the CRD "
        "installed by the later operator '010-cert-manager' [operator-order]\n"
        "  hint: renumber '005-issuers' to come after '010-cert-manager', or move this "
        "object to an operator numbered after it"
    ]
    assert rules_of([(early, [manifest(waived(cert, "operator-order"))]), rendered[1]]) == []
    in_order = [(unit("operator", "issuers", 20, "web"), [manifest(cert)]), rendered[1]]
    assert check_policies(CLUSTER, in_order) == []
    tenant_cert = [
        (late, rendered[1][1]),
        *tenant_with(dict(cert, metadata={"name": "t", "namespace": "ns-shop"})),
    ]
    assert check_policies(CLUSTER, tenant_cert) == []


def test_catalog_free_rules_run_on_plain_manifests() -> None:
    namespace = obj("Namespace", "ns-shop")
    namespace["metadata"]["labels"] = {"platform.generator/tenant": "shop"}
    manifests = [
        manifest(namespace),
        manifest(deployment("ns-shop", image="shop", hostNetwork=True)),
    ]
    assert [(f.rule, f.message) for f in check_manifests(manifests)] == [
        ("image-pinned", "container 'app' image 'shop' has no tag"),
        ("tenant-pod-security", "pod sets hostNetwork: true"),
    ]


def test_a_tenant_without_namespace_object_is_reported_at_its_catalog_entry() -> None:
    no_spec = obj("NetworkPolicy", "broken", "ns-shop", "networking.k8s.io/v1")
    limits = obj("LimitRange", "tenant-limits", "ns-shop", spec={"limits": []})
    rendered = [(unit("tenant", "shop", 1000, "ns-shop"), [manifest(no_spec), manifest(limits)])]
    assert [str(f) for f in check_policies(CLUSTER, rendered)] == [
        "catalog/tenants/shop.yaml:1: tenant namespace 'ns-shop' lacks a default-deny ingress "
        "NetworkPolicy, a default-deny egress NetworkPolicy, a ResourceQuota [tenant-baseline]\n"
        "  hint: render the tenant with the shipped tenant library, or add the missing objects",
        "catalog/tenants/shop.yaml:1: tenant renders no Namespace 'ns-shop', so nothing "
        "enforces its podSecurity 'restricted' [tenant-pod-security]\n"
        "  hint: render the tenant with the shipped tenant library, or keep its Namespace; "
        "this rule cannot be waived",
    ]


def test_bindings_to_roles_and_to_narrow_cluster_roles_pass() -> None:
    rbac = "rbac.authorization.k8s.io/v1"
    narrow = obj(
        "ClusterRole", "readers", api=rbac,
        rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}, "junk"],
    )  # fmt: skip
    platform = (unit("operator", "rbac", 5, "kube-system"), [manifest(narrow)])
    to_role = obj("RoleBinding", "own", "ns-shop", rbac, roleRef={"kind": "Role", "name": "x"})
    to_narrow = obj(
        "RoleBinding", "read", "ns-shop", rbac, roleRef={"kind": "ClusterRole", "name": "readers"}
    )
    assert rules_of([platform, *tenant_with(to_role, to_narrow)]) == []


def test_ephemeral_containers_need_pinned_images_but_no_resources() -> None:
    debug = {"name": "debug", "image": "busybox"}
    findings = check_policies(
        CLUSTER, tenant_with(deployment("ns-shop", ephemeralContainers=[debug]))
    )
    assert [(f.rule, f.message) for f in findings] == [
        ("image-pinned", "container 'debug' image 'busybox' has no tag"),
    ]


def test_plaintext_secrets_are_caught_even_when_validation_is_off() -> None:
    from generator.policies import check_secrets

    secret = obj("Secret", "db", "shop", data={"password": "aHVudGVyMg=="})
    findings = check_secrets([manifest(obj("ConfigMap", "c", "shop")), manifest(secret, line=7)])
    assert [(str(f.origin), f.rule) for f in findings] == [
        ("charts/shop/app.yaml:7", "no-plaintext-secrets")
    ]


POD_HINT = (
    "tenant namespaces run unprivileged pods; move this workload to a platform operator; "
    "this rule cannot be waived"
)


def test_a_tenant_namespace_keeps_the_catalog_pod_security_level() -> None:
    namespace = tenant_baseline()[0]
    namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    namespace["metadata"]["labels"]["pod-security.kubernetes.io/warn"] = "baseline"
    findings = check_policies(CLUSTER, tenant_with(namespace))
    hint = "change podSecurity in 'catalog/tenants/shop.yaml' instead of the label; this rule cannot be waived"
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: Namespace ns-shop: Namespace label "
        "'pod-security.kubernetes.io/enforce' is 'privileged', weaker than the catalog's "
        f"podSecurity 'restricted' [tenant-pod-security]\n  hint: {hint}",
        "charts/shop/app.yaml:1: Namespace ns-shop: Namespace label "
        "'pod-security.kubernetes.io/warn' is 'baseline', weaker than the catalog's "
        f"podSecurity 'restricted' [tenant-pod-security]\n  hint: {hint}",
    ]
    # The patched Namespace replaces the library's one in the real pipeline.
    rendered = [(tenant_with()[0][0], [manifest(b) for b in [namespace, *tenant_baseline()[1:]]])]
    assert [f.rule for f in check_policies(CLUSTER, rendered)] == ["tenant-pod-security"] * 2
    unlabelled = obj("Namespace", "ns-shop")
    rendered = [(rendered[0][0], [manifest(b) for b in [unlabelled, *tenant_baseline()[1:]]])]
    assert [f.message for f in check_policies(CLUSTER, rendered)] == [
        "Namespace label 'pod-security.kubernetes.io/enforce' is missing, weaker than the "
        "catalog's podSecurity 'restricted'"
    ]
    silenced = waived(namespace, "tenant-pod-security", "needs host access")
    rendered = [(rendered[0][0], [manifest(b) for b in [silenced, *tenant_baseline()[1:]]])]
    assert [f.message for f in check_policies(CLUSTER, rendered)] == [
        f"Namespace label 'pod-security.kubernetes.io/{mode}' is '{level}', weaker than the "
        "catalog's podSecurity 'restricted' (the waiver is ignored)"
        for mode, level in (("enforce", "privileged"), ("warn", "baseline"))
    ]
    assert RULES["tenant-pod-security"].waivable is False


def test_a_stricter_namespace_label_or_a_baseline_catalog_level_passes() -> None:
    stricter = tenant_baseline(level="restricted")
    rendered = [
        (unit("tenant", "shop", 1000, "ns-shop", "baseline"), [manifest(b) for b in stricter])
    ]
    assert check_policies(CLUSTER, rendered) == []
    assert check_policies(CLUSTER, tenant_with(level="baseline")) == []
    assert check_policies(CLUSTER, tenant_with(level="privileged")) == []


def scaled_job(pod: dict[str, Any]) -> dict[str, Any]:
    return obj(
        "ScaledJob",
        "root",
        "ns-shop",
        "keda.sh/v1alpha1",
        spec={"jobTargetRef": {"template": {"spec": pod}}, "triggers": []},
    )


def test_pod_templates_in_any_tenant_object_are_checked() -> None:
    container = {
        "name": "x",
        "image": "busybox:1.36",
        "securityContext": {"privileged": True},
        "resources": {"requests": {"cpu": "10m"}, "limits": {"cpu": "10m"}},
    }
    pod = {
        "hostPID": True,
        "containers": [container],
        "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
    }
    template = obj("PodTemplate", "t", "ns-shop", template={"spec": pod})
    findings = check_policies(CLUSTER, [KEDA, *tenant_with(scaled_job(pod), template)])
    assert [str(f) for f in findings[:3]] == [
        f"charts/shop/app.yaml:1: ScaledJob ns-shop/root: pod sets hostPID: true "
        f"[tenant-pod-security]\n  hint: {POD_HINT}",
        f"charts/shop/app.yaml:1: ScaledJob ns-shop/root: volume 'host' uses hostPath "
        f"[tenant-pod-security]\n  hint: {POD_HINT}",
        f"charts/shop/app.yaml:1: ScaledJob ns-shop/root: container 'x' is privileged "
        f"[tenant-pod-security]\n  hint: {POD_HINT}",
    ]
    assert [(f.key.kind if f.key else "", f.message) for f in findings[3:]] == [
        ("PodTemplate", "pod sets hostPID: true"),
        ("PodTemplate", "volume 'host' uses hostPath"),
        ("PodTemplate", "container 'x' is privileged"),
    ]
    unpinned = scaled_job({"containers": [{"name": "y", "image": "busybox"}]})
    assert [f.message for f in check_policies(CLUSTER, [KEDA, *tenant_with(unpinned)])] == [
        "container 'y' image 'busybox' has no tag",
        "container 'y' declares no resource requests or limits",
    ]
    operator = unit("operator", "keda-jobs", 70, "keda")
    outside = dict(scaled_job(pod), metadata={"name": "root", "namespace": "keda"})
    assert check_policies(CLUSTER, [(operator, [manifest(outside)])]) == []


def caps_deployment(**context: Any) -> dict[str, Any]:
    body = deployment("ns-shop")
    container = body["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"containerPort": 8080}, {"containerPort": 22, "hostPort": 22}]
    container["securityContext"] = context
    return body


def test_tenant_containers_may_not_use_host_ports_extra_capabilities_or_run_as_root() -> None:
    body = caps_deployment(
        runAsUser=0,
        runAsNonRoot=False,
        allowPrivilegeEscalation=True,
        capabilities={"add": ["SYS_ADMIN", "NET_BIND_SERVICE", "CHOWN", "NET_ADMIN"]},
    )
    findings = check_policies(CLUSTER, tenant_with(body))
    assert [str(f) for f in findings] == [
        f"charts/shop/app.yaml:1: Deployment ns-shop/app: {message} [tenant-pod-security]\n"
        f"  hint: {POD_HINT}"
        for message in (
            "container 'app' uses hostPort 22",
            "container 'app' adds capabilities 'CHOWN', 'NET_ADMIN', 'SYS_ADMIN' "
            "(restricted level)",
            "container 'app' sets allowPrivilegeEscalation: true in a 'restricted' namespace",
            "container 'app' sets runAsUser: 0 in a 'restricted' namespace",
            "container 'app' sets runAsNonRoot: false in a 'restricted' namespace",
        )
    ]
    assert [f.message for f in check_policies(CLUSTER, tenant_with(body, level="baseline"))] == [
        "container 'app' uses hostPort 22",
        "container 'app' adds capabilities 'NET_ADMIN', 'SYS_ADMIN' (baseline level)",
    ]
    still = check_policies(CLUSTER, tenant_with(waived(body, "tenant-pod-security")))
    assert len(still) == 5
    assert all(f.message.endswith("(the waiver is ignored)") for f in still)


def test_pod_level_root_settings_count_in_restricted_namespaces() -> None:
    body = deployment("ns-shop", securityContext={"runAsUser": 0, "runAsNonRoot": False})
    assert [f.message for f in check_policies(CLUSTER, tenant_with(body))] == [
        "pod sets runAsUser: 0 in a 'restricted' namespace",
        "pod sets runAsNonRoot: false in a 'restricted' namespace",
    ]
    overridden = copy.deepcopy(body)
    pod = overridden["spec"]["template"]["spec"]
    pod["securityContext"] = {"runAsNonRoot": False}
    pod["containers"][0]["securityContext"] = {"runAsNonRoot": True}
    assert check_policies(CLUSTER, tenant_with(overridden)) == []
    assert check_policies(CLUSTER, tenant_with(body, level="baseline")) == []


def test_allowed_capabilities_and_unprivileged_settings_pass() -> None:
    restricted = caps_deployment(
        runAsNonRoot=True,
        runAsUser=1000,
        allowPrivilegeEscalation=False,
        capabilities={"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]},
    )
    restricted["spec"]["template"]["spec"]["containers"][0]["ports"].pop()
    assert check_policies(CLUSTER, tenant_with(restricted)) == []
    baseline = caps_deployment(capabilities={"add": ["CHOWN", "SETUID", "SETGID"]})
    baseline["spec"]["template"]["spec"]["containers"][0]["ports"][1]["hostPort"] = 0
    assert check_policies(CLUSTER, tenant_with(baseline, level="baseline")) == []


def test_catalog_free_checks_read_the_level_from_the_namespace_label() -> None:
    namespace = obj("Namespace", "ns-shop")
    namespace["metadata"]["labels"] = {
        "platform.generator/tenant": "shop",
        "pod-security.kubernetes.io/enforce": "baseline",
    }
    body = caps_deployment(runAsUser=0, capabilities={"add": ["NET_ADMIN"]})
    assert [f.message for f in check_manifests([manifest(namespace), manifest(body)])] == [
        "container 'app' uses hostPort 22",
        "container 'app' adds capabilities 'NET_ADMIN' (baseline level)",
    ]
    del namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"]
    assert [f.message for f in check_manifests([manifest(namespace), manifest(body)])][2:] == [
        "container 'app' sets runAsUser: 0 in a 'restricted' namespace"
    ]


def sops_secret(**fields: Any) -> dict[str, Any]:
    body = obj("Secret", "db", "shop", **fields)
    body["sops"] = {
        "age": [{"recipient": "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}],
        "lastmodified": "2026-10-02T09:14:11Z",
        "mac": "ENC[AES256_GCM,data:m]",
        "version": "3.9.1",
    }
    return body


def test_a_sops_block_does_not_make_plaintext_values_encrypted() -> None:
    operator = unit("operator", "shop", 10, "shop")
    mixed = sops_secret(
        data={"token": "ENC[AES256_GCM,data:abc,type:str]"},
        stringData={"password": "hunter2", "user": "ENC[AES256_GCM,data:u,type:str]"},
    )
    empty_block = sops_secret(data={"a": "aHVudGVyMg==", "b": 42})
    findings = check_policies(
        CLUSTER, [(operator, [manifest(mixed), manifest(empty_block, line=9)])]
    )
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: Secret shop/db: SOPS-encrypted Secret carries plaintext "
        "stringData ('password') [no-plaintext-secrets]\n"
        "  hint: encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
        "instead; this rule cannot be waived",
        "charts/shop/app.yaml:9: Secret shop/db: SOPS-encrypted Secret carries plaintext "
        "data ('a', 'b') [no-plaintext-secrets]\n"
        "  hint: encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
        "instead; this rule cannot be waived",
    ]
    assert "hunter2" not in str(findings)
    assert [f.rule for f in check_secrets([manifest(mixed)])] == ["no-plaintext-secrets"]
    encrypted = sops_secret(data={"token": "ENC[AES256_GCM,data:abc,type:str]"})
    assert check_policies(CLUSTER, [(operator, [manifest(encrypted)])]) == []
    assert check_secrets([manifest(encrypted)]) == []


def test_secret_kind_is_matched_case_insensitively_without_validation() -> None:
    lower = obj("secret", "leak", "leak", stringData={"password": "hunter2"})
    findings = check_secrets([manifest(lower, line=3)])
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:3: secret leak/leak: Secret carries plaintext stringData "
        "('password') [no-plaintext-secrets]\n"
        "  hint: encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
        "instead; this rule cannot be waived"
    ]


def external_secret(template: dict[str, Any], kind: str = "ExternalSecret") -> dict[str, Any]:
    spec = {
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "platform-secrets"},
        "target": {"name": "db", "template": template},
        "data": [{"secretKey": "password", "remoteRef": {"key": "dev/shop/db"}}],
    }
    if kind == "ClusterExternalSecret":
        spec = {"externalSecretSpec": spec, "namespaceSelector": {}}
    return obj(kind, "db", "shop", "external-secrets.io/v1beta1", spec=spec)


def test_external_secret_template_literals_are_plaintext() -> None:
    template = {
        "engineVersion": "v2",
        "data": {
            "password": "hunter2",
            "url": "postgres://admin:hunter2@db:5432/app",
            "dsn": "postgres://app:{{ .password }}@db:5432/app",
        },
        "templateFrom": [{"literal": "user=admin\npass=hunter2"}, {"literal": "{{ .password }}"}],
    }
    operator = unit("operator", "shop", 10, "shop")
    hint = (
        "take the value from the secret store: reference it as '{{ .<secretKey> }}' and list "
        "it under spec.data; this rule cannot be waived"
    )
    findings = check_policies(CLUSTER, [(operator, [manifest(external_secret(template))])])
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: ExternalSecret shop/db: ExternalSecret template carries "
        f"plaintext data ('password', 'url') [no-plaintext-secrets]\n  hint: {hint}",
        "charts/shop/app.yaml:1: ExternalSecret shop/db: ExternalSecret templateFrom 1 "
        f"carries a plaintext literal [no-plaintext-secrets]\n  hint: {hint}",
    ]
    assert "hunter2" not in str(findings)
    cluster_wide = external_secret({"data": {"password": "hunter2"}}, "ClusterExternalSecret")
    assert [f.message for f in check_secrets([manifest(cluster_wide)])] == [
        "ExternalSecret template carries plaintext data ('password')"
    ]
    still = check_policies(
        CLUSTER,
        [(operator, [manifest(waived(external_secret(template), "no-plaintext-secrets"))])],
    )
    assert len(still) == 2
    templated = external_secret({"data": {"password": "{{ .password }}"}})
    assert check_policies(CLUSTER, [(operator, [manifest(templated)])]) == []


NETWORK_HINT = (
    "name the peers: pods of this namespace, a namespace by its kubernetes.io/metadata.name "
    "label, or a narrower ipBlock; if the opening is intended, annotate "
    "waive.platform.generator/tenant-network with the reason"
)


def network_policy(name: str, **spec: Any) -> dict[str, Any]:
    return obj(
        "NetworkPolicy", name, "ns-shop", "networking.k8s.io/v1", spec={"podSelector": {}, **spec}
    )


def test_tenant_network_policies_may_not_open_the_namespace() -> None:
    allow_all = network_policy(
        "allow-all", ingress=[{}], egress=[{}], policyTypes=["Ingress", "Egress"]
    )
    wide = network_policy(
        "wide",
        ingress=[{"from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"a": "b"}}}]}],
        egress=[
            {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]},
            {"to": [{"ipBlock": {"cidr": "::/0"}}], "ports": [{"port": 443}]},
            {"to": [{"namespaceSelector": {"matchLabels": {}}}]},
        ],
    )
    findings = check_policies(CLUSTER, tenant_with(allow_all, wide))
    assert [str(f) for f in findings[:1]] == [
        "charts/shop/app.yaml:1: NetworkPolicy ns-shop/allow-all: ingress rule 1 has no "
        f"'from': it allows every source [tenant-network]\n  hint: {NETWORK_HINT}"
    ]
    assert [(f.key.name if f.key else "", f.message) for f in findings] == [
        ("allow-all", "ingress rule 1 has no 'from': it allows every source"),
        ("allow-all", "egress rule 1 has no 'to': it allows every destination"),
        ("wide", "ingress rule 1 selects every namespace"),
        ("wide", "egress rule 2 allows ipBlock '0.0.0.0/0'"),
        ("wide", "egress rule 3 allows ipBlock '::/0'"),
        ("wide", "egress rule 4 selects every namespace"),
    ]
    internet = waived(wide, "tenant-network", "calls the payment provider's public API")
    assert rules_of(tenant_with(internet)) == []
    assert RULES["tenant-network"].waivable is True
    operator = unit("operator", "gateway", 30, "gateway-system")
    open_platform = dict(allow_all, metadata={"name": "allow-all", "namespace": "gateway-system"})
    assert check_policies(CLUSTER, [(operator, [manifest(open_platform)])]) == []


def test_the_tenant_library_network_policies_pass() -> None:
    peer_ns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
    dns = network_policy(
        "allow-dns",
        egress=[{"to": [dict(peer_ns, podSelector={"matchLabels": {"k8s-app": "kube-dns"}})]}],
        policyTypes=["Egress"],
    )
    same = network_policy(
        "allow-same-namespace",
        ingress=[{"from": [{"podSelector": {"matchLabels": {}}}]}],
        egress=[{"to": [{"podSelector": {"matchLabels": {}}}]}],
        policyTypes=["Ingress", "Egress"],
    )
    gateway_ns = {"kubernetes.io/metadata.name": "gateway-system"}
    gateway = network_policy(
        "allow-from-gateway",
        ingress=[{"from": [{"namespaceSelector": {"matchLabels": gateway_ns}}]}],
        policyTypes=["Ingress"],
    )
    assert check_policies(CLUSTER, tenant_with(dns, same, gateway)) == []


def test_deeply_nested_tenant_objects_are_searched_without_recursion() -> None:
    nested: Any = {"containers": [{"name": "deep", "image": "x:1", "ports": [{"hostPort": 1}]}]}
    for _ in range(5000):
        nested = [nested]
    body = obj("Widget", "deep", "ns-shop", "example.com/v1", spec={"items": nested})
    widgets = crd_operator(("example.com", "Widget"))
    assert [f.message for f in check_policies(CLUSTER, [widgets, *tenant_with(body)])] == [
        "container 'deep' declares no resource requests or limits",
        "container 'deep' uses hostPort 1",
    ]


CLUSTER_KINDS = [
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("v1", "PersistentVolume"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("v1", "Node"),
]


@pytest.mark.parametrize(("api", "kind"), CLUSTER_KINDS)
def test_a_cluster_scoped_kind_is_refused_even_when_it_names_the_tenant_namespace(
    api: str, kind: str
) -> None:
    body = obj(kind, "sneaky", "ns-shop", api)
    findings = check_policies(CLUSTER, tenant_with(body))
    assert [(f.rule, f.message) for f in findings] == [
        ("tenant-namespace", f"tenant renders a cluster-scoped {kind}")
    ]
    still = check_policies(CLUSTER, tenant_with(waived(body, "tenant-namespace")))
    assert [f.message for f in still] == [
        f"tenant renders a cluster-scoped {kind} (the waiver is ignored)"
    ]


def test_scope_of_a_custom_kind_comes_from_its_crd_not_from_the_object() -> None:
    operator = (
        unit("operator", "crds", 5, "crds"),
        [
            manifest(crd("cert-manager.io", "ClusterIssuer", "Cluster")),
            manifest(crd("cert-manager.io", "Issuer", "Namespaced")),
        ],
    )
    cluster_issuer = obj("ClusterIssuer", "ca", "ns-shop", "cert-manager.io/v1", spec={})
    issuer = obj("Issuer", "ca", "ns-shop", "cert-manager.io/v1", spec={})
    findings = check_policies(CLUSTER, [operator, *tenant_with(cluster_issuer, issuer)])
    assert [(f.key.kind if f.key else "", f.message) for f in findings] == [
        ("ClusterIssuer", "tenant renders a cluster-scoped ClusterIssuer")
    ]


def test_a_kind_of_unknown_scope_is_refused_in_a_tenant() -> None:
    widget = obj("Widget", "w", "ns-shop", "example.com/v1", spec={})
    # a built-in kind name under a group that does not define it is no built-in kind
    fake_role = obj("ClusterRoleBinding", "b", "ns-shop", "example.com/v1")
    findings = check_policies(CLUSTER, tenant_with(widget, fake_role))
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: Widget ns-shop/w: tenant renders Widget of 'example.com/v1', "
        "a kind neither Kubernetes nor a CustomResourceDefinition of this cluster defines, so "
        "its scope is unknown [tenant-namespace]\n"
        "  hint: a tenant renders built-in namespaced kinds and custom resources whose "
        "CustomResourceDefinition a platform operator of this cluster renders; check "
        "apiVersion and kind",
        "charts/shop/app.yaml:1: ClusterRoleBinding ns-shop/b: tenant renders "
        "ClusterRoleBinding of 'example.com/v1', a kind neither Kubernetes nor a "
        "CustomResourceDefinition of this cluster defines, so its scope is unknown "
        "[tenant-namespace]\n"
        "  hint: a tenant renders built-in namespaced kinds and custom resources whose "
        "CustomResourceDefinition a platform operator of this cluster renders; check "
        "apiVersion and kind",
    ]
    assert (
        check_policies(CLUSTER, [crd_operator(("example.com", "Widget")), *tenant_with(widget)])
        == []
    )


PRIVILEGED_POD = {
    "hostPID": True,
    "containers": [
        {
            "name": "root",
            "image": "busybox:1.36",
            "securityContext": {"privileged": True},
            "resources": {"requests": {"cpu": "10m"}, "limits": {"cpu": "10m"}},
        }
    ],
    "volumes": [{"name": "host", "hostPath": {"path": "/"}}],
}


@pytest.mark.parametrize(
    "spec",
    [
        {"containers": [], "template": {"spec": PRIVILEGED_POD}},
        {"containers": {}, "template": {"spec": PRIVILEGED_POD}},
        {"initContainers": [], "jobTemplate": {"spec": {"template": {"spec": PRIVILEGED_POD}}}},
        {
            "template": {
                "spec": dict(
                    PRIVILEGED_POD, containers=[], initContainers=PRIVILEGED_POD["containers"]
                )
            }
        },
    ],
    ids=["empty-list", "not-a-list", "empty-init-containers", "init-containers-only"],
)
def test_a_decoy_pod_spec_does_not_hide_the_real_template(spec: dict[str, Any]) -> None:
    body = obj("Deployment", "app", "ns-shop", "apps/v1", spec=spec)
    messages = [f.message for f in check_policies(CLUSTER, tenant_with(body))]
    assert messages == [
        "pod sets hostPID: true",
        "volume 'host' uses hostPath",
        "container 'root' is privileged",
    ]


DELEGATING = [
    (
        "source.toolkit.fluxcd.io/v1",
        "GitRepository",
        "a Flux source, which fetches content for Flux to apply",
    ),
    (
        "source.toolkit.fluxcd.io/v1beta2",
        "OCIRepository",
        "a Flux source, which fetches content for Flux to apply",
    ),
    (
        "kustomize.toolkit.fluxcd.io/v1",
        "Kustomization",
        "a Flux Kustomization, which applies manifests",
    ),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease", "a Flux HelmRelease, which installs a chart"),
    ("argoproj.io/v1alpha1", "Application", "an Argo CD Application, which deploys content"),
    (
        "argoproj.io/v1alpha1",
        "ApplicationSet",
        "an Argo CD ApplicationSet, which creates Applications",
    ),
    ("argoproj.io/v1alpha1", "AppProject", "an Argo CD AppProject, which grants deployment rights"),
    ("ARGOPROJ.IO/v1alpha1", "application", "an Argo CD Application, which deploys content"),
]


@pytest.mark.parametrize(("api", "kind", "what"), DELEGATING)
def test_a_tenant_may_not_render_objects_that_deploy_with_a_controllers_rights(
    api: str, kind: str, what: str
) -> None:
    group = api.rpartition("/")[0]
    # the CRD is on the cluster, so scope alone does not refuse the object
    crds = crd_operator((group, kind))
    spec = {
        "targetNamespace": "kube-system",
        "path": "./",
        "sourceRef": {"kind": "GitRepository", "name": "x"},
    }
    body = obj(kind, "escape", "ns-shop", api, spec=spec)
    findings = check_policies(CLUSTER, [crds, *tenant_with(waived(body, "tenant-delegation"))])
    assert [str(f) for f in findings] == [
        f"charts/shop/app.yaml:1: {kind} ns-shop/escape: tenant renders {kind} of '{api}': "
        f"{what} with the controller's rights, beyond the tenant namespace (the waiver is "
        "ignored) [tenant-delegation]\n"
        "  hint: waive.platform.generator/tenant-delegation has no effect: a tenant's own "
        "annotation cannot lift the tenant's confinement; the platform generates the GitOps "
        "objects that deploy a tenant (confined to its namespace); render the workloads "
        "themselves in the tenant's overlay"
    ]
    operator = unit("operator", "flux-tenants", 90, "ns-shop")
    assert check_policies(CLUSTER, [crds, (operator, [manifest(body)])]) == []


def test_ip_blocks_that_together_cover_every_address_open_the_namespace() -> None:
    low = network_policy("low", egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/1"}}]}])
    high = network_policy(
        "high",
        egress=[{"to": [{"ipBlock": {"cidr": "128.0.0.0/1", "except": ["169.254.0.0/16"]}}]}],
    )
    findings = check_policies(CLUSTER, tenant_with(low, high))
    assert [str(f) for f in findings] == [
        "charts/shop/app.yaml:1: NetworkPolicy ns-shop/low: egress ipBlocks '0.0.0.0/1', "
        "'128.0.0.0/1' of NetworkPolicies 'high', 'low' together allow every address "
        f"[tenant-network]\n  hint: {NETWORK_HINT}"
    ]
    quarters = network_policy(
        "quarters",
        ingress=[
            {"from": [{"ipBlock": {"cidr": f"{a}::/2"}} for a in ("0", "4000", "8000", "c000")]}
        ],
    )
    assert [f.message for f in check_policies(CLUSTER, tenant_with(quarters))] == [
        "ingress ipBlocks '::/2', '4000::/2', '8000::/2', 'c000::/2' of NetworkPolicies "
        "'quarters' together allow every address"
    ]
    # half of the addresses is a wide opening, but not every address
    assert check_policies(CLUSTER, tenant_with(low)) == []
    assert rules_of(tenant_with(waived(low, "tenant-network"), high)) == []


@pytest.mark.parametrize("role", ["system:node", "system:controller:namespace-controller"])
def test_tenants_may_not_bind_kubernetes_component_roles(role: str) -> None:
    binding = obj(
        "RoleBinding",
        "component",
        "ns-shop",
        "rbac.authorization.k8s.io/v1",
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        subjects=[{"kind": "Group", "name": "team-shop"}],
    )
    findings = check_policies(CLUSTER, tenant_with(waived(binding, "tenant-rbac")))
    assert [(f.rule, f.message) for f in findings] == [
        (
            "tenant-rbac",
            f"binds the built-in ClusterRole '{role}', meant for Kubernetes components "
            "(the waiver is ignored)",
        )
    ]


def cluster_secret_store(name: str, **conditions: Any) -> dict[str, Any]:
    spec = {"provider": {"fake": {"data": []}}, "conditions": [conditions] if conditions else []}
    return obj("ClusterSecretStore", name, "", "external-secrets.io/v1beta1", spec=spec)


def test_a_tenant_may_use_only_a_cluster_secret_store_granted_to_its_namespace() -> None:
    stores = [
        cluster_secret_store(
            "platform-secrets",
            namespaceSelector={
                "matchExpressions": [
                    {
                        "key": "kubernetes.io/metadata.name",
                        "operator": "NotIn",
                        "values": ["kube-system"],
                    }
                ]
            },
        ),
        cluster_secret_store("shop-secrets", namespaces=["ns-shop"]),
        cluster_secret_store(
            "labelled",
            namespaceSelector={"matchLabels": {"kubernetes.io/metadata.name": "ns-shop"}},
        ),
    ]
    operator = (
        unit("operator", "external-secrets", 40, "external-secrets"),
        [manifest(s, "charts/eso/stores.yaml") for s in stores]
        + [
            manifest(crd("external-secrets.io", k), "charts/eso/crds.yaml")
            for k in ("ExternalSecret", "PushSecret")
        ],
    )

    def external_secret(store: str, where: str = "secretStoreRef") -> dict[str, Any]:
        ref = {"name": store, "kind": "ClusterSecretStore"}
        spec: dict[str, Any] = {"target": {"name": "db"}}
        if where == "secretStoreRef":
            spec["secretStoreRef"] = ref
        else:  # a per-key source, beside a harmless namespaced store
            spec["secretStoreRef"] = {"name": "own", "kind": "SecretStore"}
            spec["data"] = [
                {"secretKey": "p", "remoteRef": {"key": "k"}, "sourceRef": {"storeRef": ref}}
            ]
        return obj(
            "ExternalSecret",
            f"from-{store}-{where}",
            "ns-shop",
            "external-secrets.io/v1beta1",
            spec=spec,
        )

    push = obj(
        "PushSecret",
        "push",
        "ns-shop",
        "external-secrets.io/v1alpha1",
        spec={
            "secretStoreRefs": [
                {"kind": "ClusterSecretStore", "labelSelector": {"matchLabels": {"a": "b"}}}
            ]
        },
    )
    bodies = [
        external_secret("platform-secrets"),
        external_secret("platform-secrets", "sourceRef"),
        external_secret("shop-secrets"),
        external_secret("labelled", "sourceRef"),
        push,
    ]
    findings = check_policies(CLUSTER, [operator, *tenant_with(*bodies)])
    assert [(f.key.name if f.key else "", f.rule, f.message) for f in findings] == [
        (
            "from-platform-secrets-secretStoreRef",
            "tenant-delegation",
            "tenant ExternalSecret uses ClusterSecretStore 'platform-secrets', whose "
            "spec.conditions do not name namespace 'ns-shop': the store reads with the "
            "platform's credentials",
        ),
        (
            "from-platform-secrets-sourceRef",
            "tenant-delegation",
            "tenant ExternalSecret uses ClusterSecretStore 'platform-secrets', whose "
            "spec.conditions do not name namespace 'ns-shop': the store reads with the "
            "platform's credentials",
        ),
        (
            "push",
            "tenant-delegation",
            "tenant PushSecret uses ClusterSecretStore '<selected by label>', whose "
            "spec.conditions do not name namespace 'ns-shop': the store reads with the "
            "platform's credentials",
        ),
    ]
    assert findings[0].hint == (
        "read through a SecretStore in the tenant namespace, or have the platform list "
        "'ns-shop' under spec.conditions[].namespaces of that ClusterSecretStore"
    )


def test_a_cluster_issuer_signs_only_names_the_tenant_owns() -> None:
    issuers = crd_operator(
        ("cert-manager.io", "Certificate"), ("cert-manager.io", "CertificateRequest")
    )
    tenant_unit = unit("tenant", "shop", 1000, "ns-shop")
    tenant_unit = dataclasses.replace(
        tenant_unit,
        context={
            "tenant": {"podSecurity": "restricted", "exposure": {"hosts": ["shop.example.com"]}}
        },
    )

    def certificate(name: str, issuer_kind: str = "ClusterIssuer", **spec: Any) -> dict[str, Any]:
        ref = {"name": "platform-ca", "kind": issuer_kind, "group": "cert-manager.io"}
        return obj(
            name.title(), name, "ns-shop", "cert-manager.io/v1", spec={"issuerRef": ref, **spec}
        )

    own = dict(
        certificate("certificate", dnsNames=["shop.example.com", "api.ns-shop.svc"]),
        metadata={"name": "own", "namespace": "ns-shop"},
    )
    foreign = dict(
        certificate(
            "certificate",
            dnsNames=["shop.example.com", "kubernetes.default.svc", "api.ns-other"],
            isCA=True,
            ipAddresses=["10.0.0.1"],
        ),
        metadata={"name": "foreign", "namespace": "ns-shop"},
    )
    local = dict(
        certificate("certificate", "Issuer", dnsNames=["anything.example"]),
        metadata={"name": "local", "namespace": "ns-shop"},
    )
    request = certificate("certificaterequest", request="LS0t")
    request["kind"] = "CertificateRequest"
    ingress = obj(
        "Ingress",
        "web",
        "ns-shop",
        "networking.k8s.io/v1",
        spec={
            "tls": [{"hosts": ["shop.example.com", "bank.example.com"], "secretName": "web-tls"}]
        },
    )
    ingress["metadata"]["annotations"] = {"cert-manager.io/cluster-issuer": "letsencrypt-prod"}
    bodies = [manifest(b) for b in [*tenant_baseline(), own, foreign, local, request, ingress]]
    findings = check_policies(CLUSTER, [issuers, (tenant_unit, bodies)])
    # the Ingress also serves a host the tenant does not own: tenant-hosts says so on its own
    assert [f.message for f in findings if f.rule == "tenant-hosts"] == [
        "Ingress 'web' serves host 'bank.example.com', not the tenant's"
    ]
    findings = [f for f in findings if f.rule != "tenant-hosts"]
    assert [(f.key.name if f.key else "", f.message) for f in findings] == [
        ("foreign", "tenant Certificate has ClusterIssuer 'platform-ca' sign a CA certificate"),
        (
            "foreign",
            "tenant Certificate has ClusterIssuer 'platform-ca' sign ipAddresses, which the tenant does not own",
        ),
        (
            "foreign",
            "tenant Certificate has ClusterIssuer 'platform-ca' sign names the tenant does not own "
            "('api.ns-other', 'kubernetes.default.svc')",
        ),
        (
            "certificaterequest",
            "tenant CertificateRequest has ClusterIssuer 'platform-ca' sign a raw certificate "
            "request, whose names cannot be checked",
        ),
        (
            "web",
            "tenant Ingress has ClusterIssuer 'letsencrypt-prod' sign names the tenant does not own "
            "('bank.example.com')",
        ),
    ]
    assert {f.rule for f in findings} == {"tenant-delegation"}
    assert findings[0].hint == (
        "request only the tenant's exposure hosts or service names of 'ns-shop', or sign with an "
        "Issuer in the tenant namespace; to add hosts, change 'catalog/tenants/shop.yaml'"
    )
