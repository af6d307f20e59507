"""One cluster's rendered units → [Finding] for the platform's boundary rules: tenant
confinement and baseline, no plaintext Secrets, pinned images with resources, tenant pod
security and RBAC, operator order. An annotation with a reason waives a rule per object."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.model import Cluster, Finding, Manifest, Origin, RenderUnit

WAIVER_PREFIX = "waive.platform.generator/"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str
    waivable: bool = True


RULES = {
    rule.id: rule
    for rule in (
        Rule("tenant-namespace", "tenant objects stay in the tenant namespace"),
        Rule("tenant-baseline", "tenant namespaces have default-deny policies, quota, limits"),
        Rule("no-plaintext-secrets", "Secrets are SOPS-encrypted or come from an operator", False),
        Rule("image-pinned", "container images carry a tag other than latest, or a digest"),
        Rule("container-resources", "containers declare resource requests and limits"),
        Rule("tenant-pod-security", "no privileged pods, hostPath, hostNetwork, hostPID"),
        Rule("tenant-rbac", "tenants never bind cluster-admin or wildcard ClusterRoles"),
        Rule("operator-order", "custom resources come after the operator installing the CRD"),
    )
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
SECRET_SOURCES = frozenset({"ExternalSecret", "SealedSecret", "ClusterExternalSecret"})


def check_policies(
    cluster: Cluster, rendered: Sequence[tuple[RenderUnit, list[Manifest]]]
) -> list[Finding]:
    """Every policy finding of one cluster's output, waivers applied, sorted by origin."""
    findings: list[Finding] = []
    tenant_namespaces = {u.namespace for u, _ in rendered if u.kind == "tenant"}
    cluster_roles = {
        m.name: m.body for _, manifests in rendered for m in manifests if m.kind == "ClusterRole"
    }
    crd_orders = _crd_orders(rendered)
    for unit, manifests in rendered:
        tenant = unit.kind == "tenant"
        for manifest in manifests:
            in_tenant_ns = tenant or manifest.namespace in tenant_namespaces
            violations = list(_object_rules(manifest, in_tenant_ns, cluster_roles))
            if tenant:
                violations.extend(_confinement(manifest, unit.namespace))
            violations.extend(_order(manifest, unit, crd_orders))
            findings.extend(_apply_waivers(manifest, violations))
        if tenant:
            findings.extend(_baseline(unit, manifests))
    return sorted(findings, key=lambda f: f.origin.sort_key)  # stable: render order on ties


def check_manifests(manifests: Sequence[Manifest]) -> list[Finding]:
    """The rules that need no catalog, for `generator validate --policies`: a namespace
    labelled platform.generator/tenant counts as a tenant namespace."""
    tenant_namespaces = {
        m.name
        for m in manifests
        if m.kind == "Namespace" and "platform.generator/tenant" in _labels(m.body)
    }
    cluster_roles = {m.name: m.body for m in manifests if m.kind == "ClusterRole"}
    findings: list[Finding] = []
    for manifest in manifests:
        in_tenant_ns = manifest.namespace in tenant_namespaces
        violations = list(_object_rules(manifest, in_tenant_ns, cluster_roles))
        findings.extend(_apply_waivers(manifest, violations))
    return findings


Violation = tuple[str, str, str]  # (rule id, message, hint)


def _object_rules(
    manifest: Manifest, in_tenant_ns: bool, cluster_roles: Mapping[str, Any]
) -> Iterator[Violation]:
    body = manifest.body
    if manifest.kind == "Secret":
        yield from _secret(body)
    pod = _pod_spec(body)
    if pod is not None:
        yield from _containers(pod)
        if in_tenant_ns:
            yield from _pod_security(pod)
    if in_tenant_ns and manifest.kind in ("RoleBinding", "ClusterRoleBinding"):
        yield from _binding(body, cluster_roles)


def _secret(body: Mapping[str, Any]) -> Iterator[Violation]:
    if isinstance(body.get("sops"), Mapping):
        return  # SOPS-encrypted: the values are ENC[...] blobs
    for field in ("data", "stringData"):
        values = body.get(field)
        if isinstance(values, Mapping) and values:
            keys = ", ".join(f"'{k}'" for k in sorted(values))
            yield (
                "no-plaintext-secrets",
                f"Secret carries plaintext {field} ({keys})",
                "encrypt it with SOPS, or render an ExternalSecret or SealedSecret instead; "
                "this rule cannot be waived",
            )
            return


def check_secrets(manifests: Sequence[Manifest]) -> list[Finding]:
    """Only the no-plaintext-secrets rule: it holds even when validation is switched off."""
    return [
        finding
        for manifest in manifests
        if manifest.kind == "Secret"
        for finding in _apply_waivers(manifest, list(_secret(manifest.body)))
    ]


def _pod_spec(body: Mapping[str, Any]) -> Mapping[str, Any] | None:
    path = POD_PATHS.get(str(body.get("kind", "")))
    if path is None:
        return None
    node: Any = body
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    spec = node.get("spec") if isinstance(node, Mapping) else None
    return spec if isinstance(spec, Mapping) else None


def _all_containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        for container in pod.get(field) or ():
            if isinstance(container, Mapping):
                yield field, container


def _containers(pod: Mapping[str, Any]) -> Iterator[Violation]:
    for field, container in _all_containers(pod):
        name = container.get("name", "?")
        image = str(container.get("image", ""))
        problem = _image_problem(image)
        if problem:
            yield (
                "image-pinned",
                f"container '{name}' image '{image}' {problem}",
                "pin the image to a version tag or a digest (name:1.2.3 or name@sha256:...)",
            )
        if field == "ephemeralContainers":
            continue  # ephemeral containers may not set resources
        resources = container.get("resources")
        resources = resources if isinstance(resources, Mapping) else {}
        missing = [k for k in ("requests", "limits") if not resources.get(k)]
        if missing:
            yield (
                "container-resources",
                f"container '{name}' declares no resource {' or '.join(missing)}",
                "set resources.requests and resources.limits (cpu and memory) for it",
            )


def _image_problem(image: str) -> str:
    if not image:
        return "is empty"
    if "@" in image:
        return ""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag"
    if last.rsplit(":", 1)[1] == "latest":
        return "uses the 'latest' tag"
    return ""


def _pod_security(pod: Mapping[str, Any]) -> Iterator[Violation]:
    hint = "tenant namespaces run unprivileged pods; move this workload to a platform operator"
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) is True:
            yield ("tenant-pod-security", f"pod sets {field}: true", hint)
    for volume in pod.get("volumes") or ():
        if isinstance(volume, Mapping) and "hostPath" in volume:
            yield ("tenant-pod-security", f"volume '{volume.get('name', '?')}' uses hostPath", hint)
    for _, container in _all_containers(pod):
        context = container.get("securityContext")
        if isinstance(context, Mapping) and context.get("privileged") is True:
            message = f"container '{container.get('name', '?')}' is privileged"
            yield ("tenant-pod-security", message, hint)


def _binding(body: Mapping[str, Any], cluster_roles: Mapping[str, Any]) -> Iterator[Violation]:
    ref = body.get("roleRef")
    if not isinstance(ref, Mapping) or ref.get("kind") != "ClusterRole":
        return
    role = str(ref.get("name", ""))
    hint = "bind the built-in 'admin', 'edit' or 'view' roles, or a Role without wildcards"
    if role == "cluster-admin":
        yield ("tenant-rbac", "binds the ClusterRole 'cluster-admin'", hint)
    elif _has_wildcard(cluster_roles.get(role)):
        yield ("tenant-rbac", f"binds the ClusterRole '{role}', whose rules use '*'", hint)


def _has_wildcard(role: Any) -> bool:
    if not isinstance(role, Mapping):
        return False
    for rule in role.get("rules") or ():
        if isinstance(rule, Mapping):
            for field in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
                if "*" in (rule.get(field) or ()):
                    return True
    return False


def _confinement(manifest: Manifest, namespace: str) -> Iterator[Violation]:
    if manifest.kind == "Namespace":
        if manifest.name != namespace:
            yield (
                "tenant-namespace",
                f"tenant creates Namespace '{manifest.name}' instead of '{namespace}'",
                f"a tenant owns exactly one namespace, '{namespace}'",
            )
        return
    if not manifest.namespace:
        yield (
            "tenant-namespace",
            f"tenant renders a cluster-scoped {manifest.kind}",
            "cluster-scoped objects belong to a platform operator; a tenant renders only its "
            "Namespace and namespaced objects",
        )
    elif manifest.namespace != namespace:
        yield (
            "tenant-namespace",
            f"tenant object in namespace '{manifest.namespace}', outside '{namespace}'",
            f"remove metadata.namespace or set it to '{namespace}'",
        )


def _crd_orders(
    rendered: Sequence[tuple[RenderUnit, list[Manifest]]],
) -> dict[tuple[str, str], tuple[int, str]]:
    """(group, kind) → (order, operator) of the first operator whose output has the CRD."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for unit, manifests in rendered:
        for m in manifests:
            spec = m.body.get("spec")
            if m.kind == "CustomResourceDefinition" and isinstance(spec, Mapping):
                names = spec.get("names")
                kind = str(names.get("kind", "")) if isinstance(names, Mapping) else ""
                key = (str(spec.get("group", "")), kind)
                if key not in out or unit.order < out[key][0]:
                    out[key] = (unit.order, unit.dirname)
    return out


def _order(
    manifest: Manifest, unit: RenderUnit, crd_orders: Mapping[tuple[str, str], tuple[int, str]]
) -> Iterator[Violation]:
    installed = crd_orders.get((manifest.key.group, manifest.kind))
    if installed is not None and unit.kind == "operator" and installed[0] > unit.order:
        yield (
            "operator-order",
            f"{manifest.kind} needs the CRD installed by the later operator '{installed[1]}'",
            f"renumber '{unit.dirname}' to come after '{installed[1]}', or move this object "
            "to an operator numbered after it",
        )


def _baseline(unit: RenderUnit, manifests: Sequence[Manifest]) -> Iterator[Finding]:
    namespace = unit.namespace
    own = [m for m in manifests if m.namespace == namespace]
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
    anchor = next((m for m in manifests if m.kind == "Namespace"), None)
    violation = (
        "tenant-baseline",
        f"tenant namespace '{namespace}' lacks " + ", ".join(missing),
        "render the tenant with the shipped tenant library, or add the missing objects",
    )
    if anchor is not None:
        yield from _apply_waivers(anchor, [violation])
    else:
        yield Finding(unit.origin, None, violation[1], violation[2], violation[0])


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


def _labels(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


def _annotations(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    found = meta.get("annotations") if isinstance(meta, Mapping) else None
    return found if isinstance(found, Mapping) else {}


def _apply_waivers(manifest: Manifest, violations: Sequence[Violation]) -> Iterator[Finding]:
    annotations = _annotations(manifest.body)
    for rule, message, hint in violations:
        waiver = annotations.get(WAIVER_PREFIX + rule)
        if waiver is not None and RULES[rule].waivable:
            if str(waiver).strip():
                continue
            hint = f"say why in the annotation: {WAIVER_PREFIX}{rule}: '<reason>'"
            message += " (the waiver gives no reason)"
        yield Finding(_origin(manifest), manifest.key, message, hint, rule)


def _origin(manifest: Manifest) -> Origin:
    return manifest.origin
