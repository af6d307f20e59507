"""One cluster's rendered units → [Finding] for the platform's boundary rules: tenant
confinement, baseline and network isolation, no plaintext Secrets, pinned images with
resources, tenant pod security and RBAC, operator order. An annotation with a reason waives a
waivable rule per object."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.model import Cluster, Finding, Manifest, Origin, RenderUnit

WAIVER_PREFIX = "waive.platform.generator/"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str
    unwaivable_because: str = ""  # set: the rule cannot be waived, and the hint says why

    @property
    def waivable(self) -> bool:
        return not self.unwaivable_because


# A waiver annotation sits on the object it waives, so whoever writes a tenant's manifests
# could lift the tenant's own confinement with it.
_CONFINEMENT = "a tenant's own annotation cannot lift the tenant's confinement"
RULES = {
    rule.id: rule
    for rule in (
        Rule("tenant-namespace", "tenant objects stay in the tenant namespace", _CONFINEMENT),
        Rule("tenant-baseline", "tenant namespaces have default-deny policies, quota, limits"),
        Rule("tenant-network", "tenant NetworkPolicies keep the namespace isolated"),
        Rule(
            "no-plaintext-secrets",
            "Secrets are SOPS-encrypted or come from an operator",
            "plaintext in rendered/ reaches Git and everyone who can read the repository",
        ),
        Rule("image-pinned", "container images carry a tag other than latest, or a digest"),
        Rule("container-resources", "containers declare resource requests and limits"),
        Rule(
            "tenant-pod-security",
            "tenant pods stay within the catalog's Pod Security level, never privileged",
            _CONFINEMENT,
        ),
        Rule(
            "tenant-rbac",
            "tenants never bind cluster-admin or wildcard ClusterRoles",
            _CONFINEMENT,
        ),
        Rule("operator-order", "custom resources come after the operator installing the CRD"),
    )
}

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
SECRET_SOURCES = frozenset({"ExternalSecret", "SealedSecret", "ClusterExternalSecret"})


def check_policies(
    cluster: Cluster, rendered: Sequence[tuple[RenderUnit, list[Manifest]]]
) -> list[Finding]:
    """Every policy finding of one cluster's output, waivers applied, sorted by origin."""
    findings: list[Finding] = []
    levels = {u.namespace: _catalog_level(u) for u, _ in rendered if u.kind == "tenant"}
    cluster_roles = {
        m.name: m.body for _, manifests in rendered for m in manifests if m.kind == "ClusterRole"
    }
    crd_orders = _crd_orders(rendered)
    for unit, manifests in rendered:
        tenant = unit.kind == "tenant"
        for manifest in manifests:
            level = levels.get(unit.namespace if tenant else manifest.namespace)
            violations = list(_object_rules(manifest, level, cluster_roles))
            if tenant:
                violations.extend(_confinement(manifest, unit.namespace))
                violations.extend(_namespace_level(manifest, unit))
            violations.extend(_order(manifest, unit, crd_orders))
            findings.extend(_apply_waivers(manifest, violations))
        if tenant:
            findings.extend(_baseline(unit, manifests))
            findings.extend(_namespace_missing(unit, manifests))
    return sorted(findings, key=lambda f: f.origin.sort_key)  # stable: render order on ties


def check_manifests(manifests: Sequence[Manifest]) -> list[Finding]:
    """The rules that need no catalog, for `generator validate --policies`: a namespace
    labelled platform.generator/tenant counts as a tenant namespace, at the Pod Security
    level of its enforce label."""
    levels = {
        m.name: _label_level(m.body)
        for m in manifests
        if m.kind == "Namespace" and "platform.generator/tenant" in _labels(m.body)
    }
    cluster_roles = {m.name: m.body for m in manifests if m.kind == "ClusterRole"}
    findings: list[Finding] = []
    for manifest in manifests:
        violations = list(_object_rules(manifest, levels.get(manifest.namespace), cluster_roles))
        findings.extend(_apply_waivers(manifest, violations))
    return findings


Violation = tuple[str, str, str]  # (rule id, message, hint)


def _object_rules(
    manifest: Manifest, tenant_level: str | None, cluster_roles: Mapping[str, Any]
) -> Iterator[Violation]:
    """tenant_level: the Pod Security level of the tenant namespace the object sits in, None
    outside tenant namespaces."""
    body = manifest.body
    yield from _plaintext(manifest)
    if tenant_level is None:
        pod = _pod_spec(body)
        if pod is not None:
            yield from _containers(pod)
        return
    # Any object can carry a pod template (KEDA ScaledJob, PodTemplate, operators' CRDs):
    # in a tenant namespace every one of them is checked.
    for pod in _pod_specs(body):
        yield from _containers(pod)
        yield from _pod_security(pod, tenant_level)
    if manifest.kind in ("RoleBinding", "ClusterRoleBinding"):
        yield from _binding(body, cluster_roles)
    if manifest.kind == "NetworkPolicy":
        yield from _network(body)


def _plaintext(manifest: Manifest) -> Iterator[Violation]:
    # Lower-cased: under --no-validate no schema refuses `kind: secret`, and the API server
    # may still accept it through a tool that normalises kinds.
    kind = manifest.kind.lower()
    if kind == "secret":
        yield from _secret(manifest.body)
    elif kind in ("externalsecret", "clusterexternalsecret"):
        yield from _external_secret(manifest.body)


def _is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("ENC[") and value.endswith("]")


def _secret(body: Mapping[str, Any]) -> Iterator[Violation]:
    sops = isinstance(body.get("sops"), Mapping)
    for field in ("data", "stringData"):
        values = body.get(field)
        if not isinstance(values, Mapping):
            continue
        # A sops block proves nothing about the values: one added after encryption, or kept
        # plain by an encrypted_regex, is plaintext all the same.
        plain = sorted(str(k) for k, v in values.items() if not (sops and _is_encrypted(v)))
        if plain:
            keys = ", ".join(f"'{k}'" for k in plain)
            what = "SOPS-encrypted Secret" if sops else "Secret"
            yield (
                "no-plaintext-secrets",
                f"{what} carries plaintext {field} ({keys})",
                "encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
                "instead; this rule cannot be waived",
            )


def _external_secret(body: Mapping[str, Any]) -> Iterator[Violation]:
    spec = body.get("spec")
    if isinstance(spec, Mapping) and str(body.get("kind")).lower() == "clusterexternalsecret":
        spec = spec.get("externalSecretSpec")
    target = spec.get("target") if isinstance(spec, Mapping) else None
    template = target.get("template") if isinstance(target, Mapping) else None
    if not isinstance(template, Mapping):
        return
    hint = (
        "take the value from the secret store: reference it as '{{ .<secretKey> }}' and "
        "list it under spec.data; this rule cannot be waived"
    )
    values = template.get("data")
    if isinstance(values, Mapping):
        # A template value without a template reference is copied into the Secret as it is.
        plain = sorted(str(k) for k, v in values.items() if "{{" not in str(v))
        if plain:
            keys = ", ".join(f"'{k}'" for k in plain)
            message = f"ExternalSecret template carries plaintext data ({keys})"
            yield ("no-plaintext-secrets", message, hint)
    for index, source in enumerate(template.get("templateFrom") or (), 1):
        literal = source.get("literal") if isinstance(source, Mapping) else None
        if literal is not None and "{{" not in str(literal):
            message = f"ExternalSecret templateFrom {index} carries a plaintext literal"
            yield ("no-plaintext-secrets", message, hint)


def check_secrets(manifests: Sequence[Manifest]) -> list[Finding]:
    """Only the no-plaintext-secrets rule: it holds even when validation is switched off."""
    return [
        finding
        for manifest in manifests
        for finding in _apply_waivers(manifest, list(_plaintext(manifest)))
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


def _pod_specs(body: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every mapping with a `containers` list, at any depth: a pod spec whatever holds it.
    Depth first in document order, with a stack: nesting depth is the input's to choose."""
    stack: list[Any] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            if isinstance(node.get("containers"), list):
                yield node
                continue
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))


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


def _pod_security(pod: Mapping[str, Any], level: str) -> Iterator[Violation]:
    hint = (
        "tenant namespaces run unprivileged pods; move this workload to a platform operator; "
        "this rule cannot be waived"
    )
    rule = "tenant-pod-security"
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field) is True:
            yield (rule, f"pod sets {field}: true", hint)
    for volume in pod.get("volumes") or ():
        if isinstance(volume, Mapping) and "hostPath" in volume:
            yield (rule, f"volume '{volume.get('name', '?')}' uses hostPath", hint)
    restricted = level == "restricted"
    pod_context = pod.get("securityContext")
    pod_context = pod_context if isinstance(pod_context, Mapping) else {}
    if restricted and _is_root(pod_context.get("runAsUser")):
        yield (rule, "pod sets runAsUser: 0 in a 'restricted' namespace", hint)
    inherits_root = False
    allowed = ALLOWED_CAPABILITIES["restricted" if restricted else "baseline"]
    for _, container in _all_containers(pod):
        name = container.get("name", "?")
        for port in container.get("ports") or ():
            if isinstance(port, Mapping) and port.get("hostPort") not in (None, 0):
                yield (rule, f"container '{name}' uses hostPort {port['hostPort']}", hint)
        context = container.get("securityContext")
        context = context if isinstance(context, Mapping) else {}
        if context.get("privileged") is True:
            yield (rule, f"container '{name}' is privileged", hint)
        capabilities = context.get("capabilities")
        added = capabilities.get("add") if isinstance(capabilities, Mapping) else None
        extra = sorted({str(c) for c in added or ()} - allowed)
        if extra:
            names = ", ".join(f"'{c}'" for c in extra)
            yield (rule, f"container '{name}' adds capabilities {names} ({level} level)", hint)
        if not restricted:
            continue
        if context.get("allowPrivilegeEscalation") is True:
            message = f"container '{name}' sets allowPrivilegeEscalation: true"
            yield (rule, message + " in a 'restricted' namespace", hint)
        if _is_root(context.get("runAsUser")):
            yield (rule, f"container '{name}' sets runAsUser: 0 in a 'restricted' namespace", hint)
        if context.get("runAsNonRoot") is False:
            message = f"container '{name}' sets runAsNonRoot: false"
            yield (rule, message + " in a 'restricted' namespace", hint)
        elif "runAsNonRoot" not in context and pod_context.get("runAsNonRoot") is False:
            inherits_root = True
    if inherits_root:
        yield (rule, "pod sets runAsNonRoot: false in a 'restricted' namespace", hint)


def _is_root(uid: Any) -> bool:
    return type(uid) is int and uid == 0  # not `== 0`: False equals 0 too


def _catalog_level(unit: RenderUnit) -> str:
    """The Pod Security level the catalog sets for a tenant (restricted when unset)."""
    tenant = unit.context.get("tenant")
    level = tenant.get("podSecurity") if isinstance(tenant, Mapping) else None
    return level if level in PSA_LEVELS else "restricted"


def _label_level(body: Mapping[str, Any]) -> str:
    level = _labels(body).get(PSA_LABEL + "enforce")
    return level if level in PSA_LEVELS else "restricted"


def _namespace_level(manifest: Manifest, unit: RenderUnit) -> Iterator[Violation]:
    """The tenant's Namespace keeps the catalog's level: enforce must be set to it or
    stricter; audit and warn, when set, must not be weaker."""
    if manifest.kind != "Namespace" or manifest.name != unit.namespace:
        return
    want = _catalog_level(unit)
    labels = _labels(manifest.body)
    for mode in ("enforce", "audit", "warn"):
        value = labels.get(PSA_LABEL + mode)
        if value is None and mode != "enforce":
            continue
        if value in PSA_LEVELS and PSA_LEVELS.index(value) >= PSA_LEVELS.index(want):
            continue
        what = "is missing" if value is None else f"is '{value}'"
        yield (
            "tenant-pod-security",
            f"Namespace label '{PSA_LABEL}{mode}' {what}, weaker than the catalog's "
            f"podSecurity '{want}'",
            f"change podSecurity in '{unit.origin.path}' instead of the label; "
            "this rule cannot be waived",
        )


def _namespace_missing(unit: RenderUnit, manifests: Sequence[Manifest]) -> Iterator[Finding]:
    # Without its Namespace object the namespace is created bare (by Argo CD or by hand),
    # and no label enforces the catalog's level.
    if any(m.kind == "Namespace" and m.name == unit.namespace for m in manifests):
        return
    yield Finding(
        unit.origin,
        None,
        f"tenant renders no Namespace '{unit.namespace}', so nothing enforces its podSecurity "
        f"'{_catalog_level(unit)}'",
        "render the tenant with the shipped tenant library, or keep its Namespace; "
        "this rule cannot be waived",
        "tenant-pod-security",
    )


def _network(body: Mapping[str, Any]) -> Iterator[Violation]:
    """Rules of a tenant NetworkPolicy that open the namespace to everything."""
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return
    hint = (
        "name the peers: pods of this namespace, a namespace by its "
        "kubernetes.io/metadata.name label, or a narrower ipBlock; if the opening is "
        f"intended, annotate {WAIVER_PREFIX}tenant-network with the reason"
    )
    for direction, peers_field, noun in (
        ("ingress", "from", "source"),
        ("egress", "to", "destination"),
    ):
        for index, rule in enumerate(spec.get(direction) or (), 1):
            if not isinstance(rule, Mapping):
                continue
            peers = rule.get(peers_field)
            if not peers:
                message = f"{direction} rule {index} has no '{peers_field}': it allows every {noun}"
                yield ("tenant-network", message, hint)
                continue
            for peer in peers:
                if not isinstance(peer, Mapping):
                    continue
                if "namespaceSelector" in peer and _selects_all(peer["namespaceSelector"]):
                    message = f"{direction} rule {index} selects every namespace"
                    yield ("tenant-network", message, hint)
                block = peer.get("ipBlock")
                cidr = block.get("cidr") if isinstance(block, Mapping) else None
                if cidr is not None and _whole_range(str(cidr)):
                    message = f"{direction} rule {index} allows ipBlock '{cidr}'"
                    yield ("tenant-network", message, hint)


def _selects_all(selector: Any) -> bool:
    if selector is None:
        return True
    if not isinstance(selector, Mapping):
        return False
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def _whole_range(cidr: str) -> bool:
    try:
        return bool(ipaddress.ip_network(cidr, strict=False).prefixlen == 0)
    except ValueError:
        return False  # the schema stage reports malformed CIDRs


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
        if waiver is not None and not RULES[rule].waivable:
            message += " (the waiver is ignored)"
            hint = f"{WAIVER_PREFIX}{rule} has no effect: {RULES[rule].unwaivable_because}; {hint}"
        elif waiver is not None:
            if str(waiver).strip():
                continue
            hint = f"say why in the annotation: {WAIVER_PREFIX}{rule}: '<reason>'"
            message += " (the waiver gives no reason)"
        yield Finding(_origin(manifest), manifest.key, message, hint, rule)


def _origin(manifest: Manifest) -> Origin:
    return manifest.origin
