"""Resources → resources with namePrefix/nameSuffix applied, and references (the name-reference
table) rewritten to the final names of the objects they point to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from generator.errors import GeneratorError
from generator.overlays.fieldspecs import FieldSpec, spec, visit
from generator.overlays.resources import Resource, effective_namespace

# Prefixes and suffixes skip these kinds (behaviour 4).
NO_RENAME = frozenset({"CustomResourceDefinition", "APIService", "Namespace"})


def add_prefix_suffix(
    resources: Iterable[Resource],
    prefix: str,
    suffix: str,
    prefix_specs: Sequence[FieldSpec] = (),
    suffix_specs: Sequence[FieldSpec] = (),
) -> None:
    """metadata.name of every object but NO_RENAME kinds, and the fields `configurations` add
    to the namePrefix and nameSuffix tables."""
    for resource in resources:
        for specs, start, end in ((prefix_specs, prefix, ""), (suffix_specs, "", suffix)):
            if start or end:
                _affix_fields(resource, specs, start, end)
        if resource.kind in NO_RENAME:
            continue
        if prefix:
            resource.remember()
            resource.set_name(prefix + resource.name)
        if suffix:
            resource.remember()
            resource.set_name(resource.name + suffix)


def _affix_fields(resource: Resource, specs: Sequence[FieldSpec], start: str, end: str) -> None:
    def leaf(parent: dict[str, Any], key: str) -> None:
        if isinstance(parent.get(key), str):
            parent[key] = start + parent[key] + end

    for fs in specs:
        if fs.path != ("metadata", "name") and fs.selects(resource):
            visit(resource.body, fs.path, False, leaf)


class Referral(NamedTuple):
    """A kind that other objects refer to by name, and the fields that hold such names."""

    group: str | None  # None: any group
    version: str | None
    kind: str
    referrers: tuple[FieldSpec, ...]


_POD_SPEC_PREFIX = {
    "Pod": "spec",
    "Deployment": "spec/template/spec",
    "ReplicaSet": "spec/template/spec",
    "DaemonSet": "spec/template/spec",
    "StatefulSet": "spec/template/spec",
    "Job": "spec/template/spec",
    "CronJob": "spec/jobTemplate/spec/template/spec",
    "ReplicationController": "spec/template/spec",
}
_CONFIG_KINDS = ("Pod", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob")
_POD_OWNER_KINDS = (
    "Pod",
    "StatefulSet",
    "Deployment",
    "ReplicationController",
    "CronJob",
    "Job",
    "DaemonSet",
)


def _in_pods(kinds: Sequence[str], *paths: str) -> list[FieldSpec]:
    return [spec(f"{_POD_SPEC_PREFIX[k]}/{p}", k) for k in kinds for p in paths]


_CONFIGMAP_POD = (
    "volumes/configMap/name",
    *(f"{c}/env/valueFrom/configMapKeyRef/name" for c in ("containers", "initContainers")),
    *(f"{c}/envFrom/configMapRef/name" for c in ("containers", "initContainers")),
    "volumes/projected/sources/configMap/name",
)
_SECRET_POD = (
    "volumes/secret/secretName",
    *(f"{c}/env/valueFrom/secretKeyRef/name" for c in ("containers", "initContainers")),
    *(f"{c}/envFrom/secretRef/name" for c in ("containers", "initContainers")),
    "imagePullSecrets/name",
    "volumes/projected/sources/secret/name",
)
_SCALE = ("Deployment", "ReplicationController", "ReplicaSet", "StatefulSet")
_RBAC = "rbac.authorization.k8s.io"

# Kustomize's default name-reference configuration (behaviour 4).
NAME_REFERENCES: tuple[Referral, ...] = (
    *(
        Referral(None, None, kind, (spec("spec/scaleTargetRef/name", "HorizontalPodAutoscaler"),))
        for kind in _SCALE
    ),
    Referral(
        "",
        "v1",
        "ConfigMap",
        (
            *_in_pods(_CONFIG_KINDS, *_CONFIGMAP_POD),
            spec("spec/configSource/configMap", "Node"),
            spec("rules/resourceNames", "Role"),
            spec("rules/resourceNames", "ClusterRole"),
            spec(
                "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap",
                "Ingress",
            ),
            spec(
                "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name",
                "Service",
                "serving.knative.dev",
                version="v1",
            ),
            spec(
                "spec/template/spec/containers/envFrom/configMapRef/name",
                "Service",
                "serving.knative.dev",
                version="v1",
            ),
        ),
    ),
    Referral(
        "",
        "v1",
        "Secret",
        (
            *_in_pods(_CONFIG_KINDS, *_SECRET_POD),
            spec("spec/tls/secretName", "Ingress"),
            spec("metadata/annotations/ingress.kubernetes.io\\/auth-secret", "Ingress"),
            spec("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret", "Ingress"),
            spec("metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret", "Ingress"),
            spec("imagePullSecrets/name", "ServiceAccount"),
            *(
                spec(f"parameters/{p}", "StorageClass")
                for p in ("secretName", "adminSecretName", "userSecretName", "secretRef")
            ),
            spec("rules/resourceNames", "Role"),
            spec("rules/resourceNames", "ClusterRole"),
            spec(
                "spec/template/spec/containers/env/valueFrom/secretKeyRef/name",
                "Service",
                "serving.knative.dev",
                version="v1",
            ),
            spec("spec/azureFile/secretName", "PersistentVolume"),
        ),
    ),
    Referral(
        "",
        "v1",
        "Service",
        (
            spec("spec/serviceName", "StatefulSet", "apps"),
            spec("spec/rules/http/paths/backend/serviceName", "Ingress"),
            spec("spec/backend/serviceName", "Ingress"),
            spec("spec/rules/http/paths/backend/service/name", "Ingress"),
            spec("spec/defaultBackend/service/name", "Ingress"),
            spec("spec/service/name", "APIService", "apiregistration.k8s.io"),
            spec(
                "webhooks/clientConfig/service",
                "ValidatingWebhookConfiguration",
                "admissionregistration.k8s.io",
            ),
            spec(
                "webhooks/clientConfig/service",
                "MutatingWebhookConfiguration",
                "admissionregistration.k8s.io",
            ),
        ),
    ),
    Referral(_RBAC, None, "Role", (spec("roleRef/name", "RoleBinding", _RBAC),)),
    Referral(
        _RBAC,
        None,
        "ClusterRole",
        (
            spec("roleRef/name", "RoleBinding", _RBAC),
            spec("roleRef/name", "ClusterRoleBinding", _RBAC),
        ),
    ),
    Referral(
        "",
        "v1",
        "ServiceAccount",
        (
            spec("subjects", "RoleBinding", _RBAC),
            spec("subjects", "ClusterRoleBinding", _RBAC),
            *_in_pods(_POD_OWNER_KINDS, "serviceAccountName"),
        ),
    ),
    Referral(
        "",
        "v1",
        "PersistentVolumeClaim",
        tuple(_in_pods(_POD_OWNER_KINDS, "volumes/persistentVolumeClaim/claimName")),
    ),
    Referral(
        "",
        "v1",
        "PersistentVolume",
        (
            spec("spec/volumeName", "PersistentVolumeClaim"),
            spec("rules/resourceNames", "ClusterRole"),
        ),
    ),
    Referral(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        (
            spec("spec/storageClassName", "PersistentVolume"),
            spec("spec/storageClassName", "PersistentVolumeClaim"),
            spec("spec/volumeClaimTemplates/spec/storageClassName", "StatefulSet"),
        ),
    ),
    Referral(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        tuple(_in_pods(_POD_OWNER_KINDS, "priorityClassName")),
    ),
)


def _by_referrer_kind(
    table: Sequence[Referral],
) -> dict[str | None, list[tuple[Referral, FieldSpec]]]:
    """(referral, field) pairs by the referrer's kind; None holds fields of every kind."""
    out: dict[str | None, list[tuple[Referral, FieldSpec]]] = defaultdict(list)
    for referral in table:
        for fs in referral.referrers:
            out[fs.kind].append((referral, fs))
    return out


_BY_REFERRER_KIND = _by_referrer_kind(NAME_REFERENCES)


def fix_references(
    resources: Sequence[Resource], table: Sequence[Referral] = NAME_REFERENCES
) -> None:
    """Point every reference at the final name of the object it names (run once, at the end).
    `table` is the built-in name-reference table, or that table merged with `configurations`."""
    by_kind = _BY_REFERRER_KIND if table is NAME_REFERENCES else _by_referrer_kind(table)
    renamed: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        if resource.history:
            renamed[resource.kind].append(resource)
    # referral → old name → renamed objects that once had that name
    lookup: dict[Referral, dict[str, list[Resource]]] = {}
    for referral in table:
        by_old_name: dict[str, list[Resource]] = defaultdict(list)
        for candidate in renamed.get(referral.kind, ()):
            if referral.group in (None, candidate.group) and referral.version in (
                None,
                candidate.version,
            ):
                for name in dict.fromkeys(n for _, n in candidate.history):
                    by_old_name[name].append(candidate)
        lookup[referral] = by_old_name
    if not any(lookup.values()):
        return
    originals = _OriginalNamespaces(resources)
    for referrer in resources:
        for referral, fs in (*by_kind.get(referrer.kind, ()), *by_kind.get(None, ())):
            if lookup[referral] and fs.selects(referrer):
                _rewrite(referrer, fs, referral, lookup[referral], originals)


class _OriginalNamespaces:
    """Original namespaces of the namespaced objects, by current and by written namespace,
    gathered once per fix_references call (a build may hold thousands of bindings)."""

    def __init__(self, resources: Sequence[Resource]) -> None:
        self.every: set[str] = set()
        self.by_current: dict[str, set[str]] = defaultdict(set)
        self.by_written: dict[str, set[str]] = defaultdict(set)
        for r in resources:
            if r.cluster_scoped:
                continue
            original = effective_namespace(r.original[0])
            self.every.add(original)
            self.by_current[effective_namespace(r.namespace)].add(original)
            self.by_written[r.namespace].add(original)

    def reachable(self, referrer: Resource) -> set[str]:
        if referrer.cluster_scoped:
            return self.every
        out = set(self.by_current.get(effective_namespace(referrer.namespace), ()))
        for namespace in _subject_namespaces(referrer):
            out |= self.by_written.get(namespace, set())
        return out


def _namespace_filter(
    referrer: Resource, originals: _OriginalNamespaces, namespace: str
) -> Callable[[Resource], bool]:
    """Which objects a reference carrying `namespace` (a subject, a webhook service) may mean.

    Kustomize looks at the objects the referrer can reach: when one of them was originally in
    that namespace, only objects originally there qualify; otherwise objects there now do. So
    a subject written with the overlay's namespace finds a base object that had none.
    """
    wanted = effective_namespace(namespace)
    if wanted in originals.reachable(referrer):
        return lambda c: effective_namespace(c.original[0]) == wanted
    return lambda c: effective_namespace(c.namespace) == wanted


def _subject_namespaces(referrer: Resource) -> set[str]:
    if referrer.kind not in ("RoleBinding", "ClusterRoleBinding"):
        return set()
    subjects = referrer.body.get("subjects")
    return (
        {
            str(s.get("namespace") or "")
            for s in subjects
            if isinstance(s, dict) and s.get("kind") == "ServiceAccount"
        }
        if isinstance(subjects, list)
        else set()
    )


def _rewrite(
    referrer: Resource,
    fs: FieldSpec,
    referral: Referral,
    by_old_name: dict[str, list[Resource]],
    originals: _OriginalNamespaces,
) -> None:
    role_ref = fs.path[-2:] == ("roleRef", "name")

    def new_name(old: Any, namespace: str | None = None) -> Resource | None:
        if not isinstance(old, str):
            return None
        found = by_old_name.get(old)
        if not found:
            return None
        if namespace is not None:
            found = list(filter(_namespace_filter(referrer, originals, namespace), found))
        if role_ref:
            kind = (referrer.body.get("roleRef") or {}).get("kind")
            found = [c for c in found if c.kind == kind]
        return _select(referrer, old, found)

    def leaf(parent: dict[str, Any], key: str) -> None:
        value = parent.get(key)
        if isinstance(value, str):
            target = new_name(value)
            if target is not None:
                parent[key] = target.name
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, str):
                    target = new_name(item)
                    if target is not None:
                        value[i] = target.name
                elif isinstance(item, dict):
                    _rewrite_map(item)
        elif isinstance(value, dict):
            _rewrite_map(value)

    def _rewrite_map(item: dict[str, Any]) -> None:
        namespace = item.get("namespace")
        target = new_name(item.get("name"), str(namespace) if namespace else None)
        if target is None or (
            target.name == item.get("name") and target.namespace == (namespace or "")
        ):
            return
        item["name"] = target.name
        if target.namespace:
            item["namespace"] = target.namespace

    visit(referrer.body, fs.path, False, leaf)


def _select(referrer: Resource, old: str, candidates: list[Resource]) -> Resource | None:
    if not referrer.cluster_scoped:
        here = effective_namespace(referrer.namespace)
        candidates = [
            c
            for c in candidates
            if c.cluster_scoped
            or c.kind == "ServiceAccount"
            or effective_namespace(c.namespace) == here
        ]
    if len(candidates) == 1:
        return candidates[0]
    candidates = [c for c in candidates if c.original[1] == old]
    if not candidates:
        return None
    if len(candidates) == 1 or len({c.name for c in candidates}) == 1:
        return candidates[0]
    names = ", ".join(c.describe() for c in candidates)
    raise GeneratorError(
        f"{referrer.describe()} refers to '{old}', which matches several objects: {names}",
        referrer.origin,
        "give the objects distinct names or put them in different namespaces",
    )
