"""A tenant's output → violations of tenant-namespace (its objects stay in its namespace) and
tenant-baseline (the namespace keeps default-deny policies, a quota and limits)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.policies.rule import (
    CONFINEMENT,
    Check,
    Rule,
    Scope,
    Subject,
    Tenant,
    TenantViolation,
    Violation,
)


def _confinement(subject: Subject) -> Iterator[Violation]:
    """Scope comes from the kind, never from the object: the API server ignores the
    metadata.namespace of a cluster-scoped object, so writing one proves nothing."""
    manifest, unit = subject.manifest, subject.unit
    assert unit is not None  # the scope is a tenant's output
    namespace = unit.namespace
    namespaced = subject.cluster.scopes.namespaced(manifest.api_version, manifest.kind)
    if namespaced is None:
        yield (
            f"tenant renders {manifest.kind} of '{manifest.api_version}', a kind neither "
            "Kubernetes nor a CustomResourceDefinition of this cluster defines, so its scope "
            "is unknown",
            "a tenant renders built-in namespaced kinds and custom resources whose "
            "CustomResourceDefinition a platform operator of this cluster renders; check "
            "apiVersion and kind",
        )
    elif manifest.kind == "Namespace" and not manifest.key.group:
        if manifest.name != namespace:
            yield (
                f"tenant creates Namespace '{manifest.name}' instead of '{namespace}'",
                f"a tenant owns exactly one namespace, '{namespace}'",
            )
    elif not namespaced:
        yield (
            f"tenant renders a cluster-scoped {manifest.kind}",
            "cluster-scoped objects belong to a platform operator; a tenant renders only its "
            "Namespace and namespaced objects",
        )
    elif manifest.namespace != namespace:
        yield (
            f"tenant object in namespace '{manifest.namespace}', outside '{namespace}'",
            f"remove metadata.namespace or set it to '{namespace}'",
        )


# Kinds that hand work to a controller acting with its own rights: a tenant rendering one
# would reach whatever that controller may reach (for GitOps controllers, the whole cluster).
# Matched by group alone where every kind of the group delegates, case-insensitively.
DELEGATING_GROUPS: Mapping[str, str] = {
    "source.toolkit.fluxcd.io": "a Flux source, which fetches content for Flux to apply",
    "kustomize.toolkit.fluxcd.io": "a Flux Kustomization, which applies manifests",
    "helm.toolkit.fluxcd.io": "a Flux HelmRelease, which installs a chart",
    "source.extensions.fluxcd.io": "a Flux source, which fetches content for Flux to apply",
    "fleet.cattle.io": "a Rancher Fleet object, which deploys content",
    "helm.cattle.io": "a helm-controller chart, which installs with cluster-admin rights",
    "kappctrl.k14s.io": "a kapp-controller App, which deploys content",
    "packaging.carvel.dev": "a Carvel package object, which deploys content",
}
DELEGATING_KINDS: Mapping[tuple[str, str], str] = {
    ("argoproj.io", "application"): "an Argo CD Application, which deploys content",
    ("argoproj.io", "applicationset"): "an Argo CD ApplicationSet, which creates Applications",
    ("argoproj.io", "appproject"): "an Argo CD AppProject, which grants deployment rights",
    ("image.toolkit.fluxcd.io", "imageupdateautomation"): (
        "a Flux ImageUpdateAutomation, which pushes to Git with Flux's credentials"
    ),
}


def _delegation(subject: Subject) -> Iterator[Violation]:
    manifest = subject.manifest
    group = manifest.key.group.lower()
    what = DELEGATING_KINDS.get((group, manifest.kind.lower())) or DELEGATING_GROUPS.get(group)
    if what is None:
        return
    yield (
        f"tenant renders {manifest.kind} of '{manifest.api_version}': {what} with the "
        "controller's rights, beyond the tenant namespace",
        "the platform generates the GitOps objects that deploy a tenant (confined to its "
        "namespace); render the workloads themselves in the tenant's overlay",
    )


def _shared_secret_store(subject: Subject) -> Iterator[Violation]:
    """A reference to a ClusterSecretStore anywhere in a tenant object (an ExternalSecret's
    secretStoreRef or sourceRef.storeRef, a PushSecret's secretStoreRefs): the store reads
    with the platform's credentials, so a tenant may use only one whose spec.conditions name
    the tenant namespace explicitly."""
    manifest, unit = subject.manifest, subject.unit
    assert unit is not None  # the scope is a tenant's output
    namespace = unit.namespace
    spec = manifest.body.get("spec")
    stack: list[Any] = [spec]
    names: list[str] = []
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if node.get("kind") == "ClusterSecretStore":
                names.append(str(node.get("name") or "<selected by label>"))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for name in sorted(set(names)):
        if _grants(subject.cluster.secret_stores.get(name), namespace):
            continue
        yield (
            f"tenant {manifest.kind} uses ClusterSecretStore '{name}', whose spec.conditions "
            f"do not name namespace '{namespace}': the store reads with the platform's "
            "credentials",
            "read through a SecretStore in the tenant namespace, or have the platform list "
            f"'{namespace}' under spec.conditions[].namespaces of that ClusterSecretStore",
        )


def _grants(store: Mapping[str, Any] | None, namespace: str) -> bool:
    spec = store.get("spec") if isinstance(store, Mapping) else None
    conditions = spec.get("conditions") if isinstance(spec, Mapping) else None
    for condition in conditions if isinstance(conditions, list) else ():
        if not isinstance(condition, Mapping):
            continue
        if namespace in (condition.get("namespaces") or ()):
            return True
        selector = condition.get("namespaceSelector")
        if (
            isinstance(selector, Mapping)
            and not selector.get("matchExpressions")
            and selector.get("matchLabels") == {"kubernetes.io/metadata.name": namespace}
        ):
            return True
    return False


def _baseline(tenant: Tenant) -> Iterator[TenantViolation]:
    namespace = tenant.unit.namespace
    own = [m for m in tenant.manifests if m.namespace == namespace]
    missing = []
    policies = [m.body for m in own if m.kind == "NetworkPolicy"]
    if not any(_denies(p, "Ingress") for p in policies):
        missing.append("a default-deny ingress NetworkPolicy")
    if not any(_denies(p, "Egress") for p in policies):
        missing.append("a default-deny egress NetworkPolicy")
    if not any(m.kind == "ResourceQuota" for m in own):
        missing.append("a ResourceQuota")
    if not any(m.kind == "LimitRange" for m in own):
        missing.append("a LimitRange")
    if not missing:
        return
    yield (
        next((m for m in tenant.manifests if m.kind == "Namespace"), None),
        f"tenant namespace '{namespace}' lacks " + ", ".join(missing),
        "render the tenant with the shipped tenant library, or add the missing objects",
    )


def _denies(policy: Mapping[str, Any], direction: str) -> bool:
    spec = policy.get("spec")
    if not isinstance(spec, Mapping):
        return False
    selector = spec.get("podSelector")
    if selector not in ({}, None) and (
        not isinstance(selector, Mapping)
        or selector.get("matchLabels")
        or selector.get("matchExpressions")
    ):
        return False
    types = spec.get("policyTypes") or (["Ingress"] if direction == "Ingress" else [])
    return direction in types and not spec.get(direction.lower())


RULES = (
    Rule(
        "tenant-namespace",
        "tenant objects stay in the tenant namespace",
        (Check(Scope.TENANT_OBJECT, _confinement),),
        CONFINEMENT,
    ),
    Rule(
        "tenant-delegation",
        "tenants render no GitOps or other object that acts with a controller's rights",
        (Check(Scope.TENANT_OBJECT, _delegation), Check(Scope.TENANT_OBJECT, _shared_secret_store)),
        CONFINEMENT,
    ),
    Rule(
        "tenant-baseline",
        "tenant namespaces have default-deny policies, quota, limits",
        (Check(Scope.TENANT, _baseline),),
    ),
)
