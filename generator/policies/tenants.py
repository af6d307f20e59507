"""A tenant's output → violations of tenant-namespace (its objects stay in its namespace) and
tenant-baseline (the namespace keeps default-deny policies, a quota and limits)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.kinds import group_of
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
    elif manifest.kind == "Namespace" and not group_of(manifest.api_version):
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
        "tenant-baseline",
        "tenant namespaces have default-deny policies, quota, limits",
        (Check(Scope.TENANT, _baseline),),
    ),
)
