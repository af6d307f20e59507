"""Pod specs inside any object → violations of tenant-pod-security: tenant pods stay within
the catalog's Pod Security level, and the tenant's Namespace keeps that level."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from generator.model import Manifest, RenderUnit
from generator.policies.rule import (
    CONFINEMENT,
    Check,
    Rule,
    Scope,
    Subject,
    Tenant,
    TenantViolation,
    Violation,
    is_mapping,
    labels_of,
)

# Pod Security Admission levels, weakest first, and the labels that carry them.
PSA_LEVELS = ("privileged", "baseline", "restricted")
PSA_LABEL = "pod-security.kubernetes.io/"
# Capabilities a container may add at each level (Pod Security Standards).
ALLOWED_CAPABILITIES: Mapping[str, frozenset[str]] = {
    "baseline": frozenset(
        [
            "AUDIT_WRITE",
            "CHOWN",
            "DAC_OVERRIDE",
            "FOWNER",
            "FSETID",
            "KILL",
            "MKNOD",
            "NET_BIND_SERVICE",
            "SETFCAP",
            "SETGID",
            "SETPCAP",
            "SETUID",
            "SYS_CHROOT",
        ]
    ),
    "restricted": frozenset({"NET_BIND_SERVICE"}),
}

# Kinds that carry a pod template, and where it sits.
POD_PATHS: Mapping[str, tuple[str, ...]] = {
    "Pod": (),
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}

CONTAINER_FIELDS = ("initContainers", "containers", "ephemeralContainers")


def pod_specs(subject: Subject) -> tuple[Mapping[str, Any], ...]:
    """The pod specs a subject's checks look at: in a tenant namespace every one, wherever
    it sits (KEDA ScaledJob, PodTemplate, operators' CRDs); elsewhere the built-in
    workloads' own. Found once per subject: several checks ask."""
    return subject.memo("pod_specs", _find_pod_specs)


def _find_pod_specs(subject: Subject) -> tuple[Mapping[str, Any], ...]:
    if subject.tenant_level is not None:
        return tuple(_nested_pod_specs(subject.body))
    pod = _pod_spec(subject.body)
    return () if pod is None else (pod,)


def _pod_spec(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = POD_PATHS.get(str(body.get("kind", "")))
    if path is None:
        return None
    node: Any = body
    for key in path:
        node = node.get(key) if is_mapping(node) else None
    spec = node.get("spec") if is_mapping(node) else None
    return spec if is_mapping(spec) else None


def _nested_pod_specs(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every mapping with a list of containers, init or ephemeral containers, at any depth:
    a pod spec whatever holds it. The search goes on inside a pod spec too, so an empty
    `containers: []` beside a real template cannot hide it. Depth first in document order,
    with a stack: nesting depth is the input's to choose."""
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is str or kind is int or kind is bool or node is None:
            continue  # the leaves most bodies are made of
        if kind is dict or isinstance(node, Mapping):
            get = node.get
            if (
                isinstance(get("containers"), list)
                or isinstance(get("initContainers"), list)
                or isinstance(get("ephemeralContainers"), list)
            ):
                yield node
            values = node.values()
            stack.extend(reversed(values) if kind is dict else reversed(list(values)))
        elif isinstance(node, list):
            stack.extend(reversed(node))


def all_containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in CONTAINER_FIELDS:
        for container in pod.get(field) or ():
            if is_mapping(container):
                yield field, container


_HINT = (
    "tenant namespaces run unprivileged pods; move this workload to a platform operator; "
    "this rule cannot be waived"
)


def _pod_security(subject: Subject) -> Iterator[Violation]:
    assert subject.tenant_level is not None  # the scope is a tenant namespace
    for pod in pod_specs(subject):
        yield from _pod(pod, subject.tenant_level)


def _pod(pod: Mapping[str, Any], level: str) -> Iterator[Violation]:
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) is True:
            yield (f"pod sets {field}: true", _HINT)
    for volume in pod.get("volumes") or ():
        if is_mapping(volume) and "hostPath" in volume:
            yield (f"volume '{volume.get('name', '?')}' uses hostPath", _HINT)
    restricted = level == "restricted"
    pod_context = pod.get("securityContext")
    pod_context = pod_context if is_mapping(pod_context) else {}
    if restricted and _is_root(pod_context.get("runAsUser")):
        yield ("pod sets runAsUser: 0 in a 'restricted' namespace", _HINT)
    inherits_root = False
    allowed = ALLOWED_CAPABILITIES["restricted" if restricted else "baseline"]
    for _, container in all_containers(pod):
        name = container.get("name", "?")
        for port in container.get("ports") or ():
            if is_mapping(port) and port.get("hostPort") not in (None, 0):
                yield (f"container '{name}' uses hostPort {port['hostPort']}", _HINT)
        context = container.get("securityContext")
        context = context if is_mapping(context) else {}
        if context.get("privileged") is True:
            yield (f"container '{name}' is privileged", _HINT)
        capabilities = context.get("capabilities")
        added = capabilities.get("add") if is_mapping(capabilities) else None
        extra = sorted({str(c) for c in added or ()} - allowed)
        if extra:
            names = ", ".join(f"'{c}'" for c in extra)
            yield (f"container '{name}' adds capabilities {names} ({level} level)", _HINT)
        if not restricted:
            continue
        if context.get("allowPrivilegeEscalation") is True:
            message = f"container '{name}' sets allowPrivilegeEscalation: true"
            yield (message + " in a 'restricted' namespace", _HINT)
        if _is_root(context.get("runAsUser")):
            yield (f"container '{name}' sets runAsUser: 0 in a 'restricted' namespace", _HINT)
        if context.get("runAsNonRoot") is False:
            message = f"container '{name}' sets runAsNonRoot: false"
            yield (message + " in a 'restricted' namespace", _HINT)
        elif "runAsNonRoot" not in context and pod_context.get("runAsNonRoot") is False:
            inherits_root = True
    if inherits_root:
        yield ("pod sets runAsNonRoot: false in a 'restricted' namespace", _HINT)


def _is_root(uid: Any) -> bool:
    return type(uid) is int and uid == 0  # not `== 0`: False equals 0 too


def catalog_level(unit: RenderUnit) -> str:
    """The Pod Security level the catalog sets for a tenant (restricted when unset)."""
    tenant = unit.context.get("tenant")
    level = tenant.get("podSecurity") if isinstance(tenant, Mapping) else None
    return level if level in PSA_LEVELS else "restricted"


def label_level(body: Mapping[str, Any]) -> str:
    level = labels_of(body).get(PSA_LABEL + "enforce")
    return level if level in PSA_LEVELS else "restricted"


def _namespace_level(subject: Subject) -> Iterator[Violation]:
    """The tenant's Namespace keeps the catalog's level: enforce must be set to it or
    stricter; audit and warn, when set, must not be weaker."""
    manifest, unit = subject.manifest, subject.unit
    assert unit is not None  # the scope is a tenant's output
    if manifest.kind != "Namespace" or manifest.name != unit.namespace:
        return
    want = catalog_level(unit)
    found = labels_of(manifest.body)
    for mode in ("enforce", "audit", "warn"):
        value = found.get(PSA_LABEL + mode)
        if value is None and mode != "enforce":
            continue
        if value in PSA_LEVELS and PSA_LEVELS.index(value) >= PSA_LEVELS.index(want):
            continue
        what = "is missing" if value is None else f"is '{value}'"
        yield (
            f"Namespace label '{PSA_LABEL}{mode}' {what}, weaker than the catalog's "
            f"podSecurity '{want}'",
            f"change podSecurity in '{unit.origin.path}' instead of the label; "
            "this rule cannot be waived",
        )


def _namespace_missing(tenant: Tenant) -> Iterator[TenantViolation]:
    # Without its Namespace object the namespace is created bare (by Argo CD or by hand),
    # and no label enforces the catalog's level.
    unit = tenant.unit
    if any(m.kind == "Namespace" and m.name == unit.namespace for m in tenant.manifests):
        return
    yield (
        None,
        f"tenant renders no Namespace '{unit.namespace}', so nothing enforces its podSecurity "
        f"'{catalog_level(unit)}'",
        "render the tenant with the shipped tenant library, or keep its Namespace; "
        "this rule cannot be waived",
    )


def namespace_levels(manifests: Sequence[Manifest]) -> dict[str, str]:
    """Without a catalog: a namespace labelled platform.generator/tenant is a tenant
    namespace, at the Pod Security level of its enforce label."""
    return {
        m.name: label_level(m.body)
        for m in manifests
        if m.kind == "Namespace" and "platform.generator/tenant" in labels_of(m.body)
    }


RULES = (
    Rule(
        "tenant-pod-security",
        "tenant pods stay within the catalog's Pod Security level, never privileged",
        (
            Check(Scope.TENANT_NAMESPACE, _pod_security),
            Check(Scope.TENANT_OBJECT, _namespace_level),
            Check(Scope.TENANT, _namespace_missing),
        ),
        CONFINEMENT,
    ),
)
