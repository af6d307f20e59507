"""A body and a strategic merge patch → the patched body, with Kubernetes patch metadata
(list merge keys) for built-in types; lists inside custom resources are replaced."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

# A schema node: field name → (child schema or None, list merge key or None). A list whose
# field has no merge key is replaced wholesale, as in Kubernetes' patch metadata.
# Ports merge by (port, protocol), as kyaml's list-map keys say: see _merge_by_keys.
Schema = Mapping[str, tuple["Schema | None", str | tuple[str, ...] | None]]

_CONTAINER: Schema = {
    "ports": ({}, ("containerPort", "protocol")),
    "env": ({}, "name"),
    "volumeMounts": ({}, "mountPath"),
    "volumeDevices": ({}, "devicePath"),
    "resizePolicy": ({}, "resourceName"),
}
_META: Schema = {"ownerReferences": ({}, "uid")}
_POD_SPEC: Schema = {
    "containers": (_CONTAINER, "name"),
    "initContainers": (_CONTAINER, "name"),
    "ephemeralContainers": (_CONTAINER, "name"),
    "volumes": ({}, "name"),
    "imagePullSecrets": ({}, "name"),
    "hostAliases": ({}, "ip"),
    "topologySpreadConstraints": ({}, "topologyKey"),
    "resourceClaims": ({}, "name"),
    "schedulingGates": ({}, "name"),
}
_TEMPLATE: Schema = {"metadata": (_META, None), "spec": (_POD_SPEC, None)}
_WORKLOAD: Schema = {"metadata": (_META, None), "spec": ({"template": (_TEMPLATE, None)}, None)}
_JOB_SPEC: Schema = {"template": (_TEMPLATE, None)}
_PLAIN: Schema = {"metadata": (_META, None)}

# (group, kind) of built-in types → schema. Kinds not listed are custom resources.
SCHEMAS: Mapping[tuple[str, str], Schema] = {
    ("", "Pod"): {"metadata": (_META, None), "spec": (_POD_SPEC, None)},
    ("", "PodTemplate"): {"metadata": (_META, None), "template": (_TEMPLATE, None)},
    ("", "ReplicationController"): _WORKLOAD,
    ("apps", "Deployment"): _WORKLOAD,
    ("apps", "StatefulSet"): _WORKLOAD,
    ("apps", "DaemonSet"): _WORKLOAD,
    ("apps", "ReplicaSet"): _WORKLOAD,
    ("batch", "Job"): {"metadata": (_META, None), "spec": (_JOB_SPEC, None)},
    ("batch", "CronJob"): {
        "metadata": (_META, None),
        "spec": ({"jobTemplate": ({"spec": (_JOB_SPEC, None)}, None)}, None),
    },
    ("", "Service"): {"metadata": (_META, None), "spec": ({"ports": ({}, ("port", "protocol"))}, None)},
    **{
        (group, kind): _PLAIN
        for group, kind in (
            ("", "ConfigMap"), ("", "Secret"), ("", "ServiceAccount"), ("", "Namespace"),
            ("", "PersistentVolumeClaim"), ("", "PersistentVolume"), ("", "ResourceQuota"),
            ("", "LimitRange"), ("", "Endpoints"), ("", "Node"),
            ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "ClusterRole"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
            ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
            ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"),
            ("networking.k8s.io", "IngressClass"), ("policy", "PodDisruptionBudget"),
            ("autoscaling", "HorizontalPodAutoscaler"), ("storage.k8s.io", "StorageClass"),
            ("scheduling.k8s.io", "PriorityClass"),
            ("apiextensions.k8s.io", "CustomResourceDefinition"),
            ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
            ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
            ("apiregistration.k8s.io", "APIService"),
        )
    },
}  # fmt: skip

DIRECTIVE = "$patch"
# Kustomize (kyaml) copies $setElementOrder, $retainKeys and $deleteFromPrimitiveList to the
# output as ordinary keys (behaviour 6) and deletes nothing for the last, so only $patch is a
# directive here.


def schema_for(api_version: str, kind: str) -> Schema | None:
    return SCHEMAS.get((api_version.rpartition("/")[0], kind))


PORTS_HINT = "give every port its number and protocol, or replace the list with $patch: replace"


class MergeFailure(Exception):
    """A patch Kustomize would apply in a way we do not reproduce; the caller adds where."""

    def __init__(
        self,
        message: str,
        hint: str = "give every item of that list its key, or replace the list with $patch: "
        "replace",
    ) -> None:
        super().__init__(message)
        self.hint = hint


def merge(original: Any, patch: Any, schema: Schema | None) -> Any:
    """The patched value; None means the whole object was deleted (`$patch: delete`)."""
    if isinstance(patch, dict) and patch.get(DIRECTIVE) == "delete":
        return None
    return _merge_value(original, patch, schema)


def _merge_value(original: Any, patch: dict[str, Any], schema: Schema | None) -> Any:
    if patch.get(DIRECTIVE) == "replace":
        return _clean({k: v for k, v in patch.items() if k != DIRECTIVE})
    if not isinstance(original, dict):
        return _clean(patch)
    return _merge_map(original, patch, schema)


def _merge_map(
    original: dict[str, Any], patch: Mapping[str, Any], schema: Schema | None
) -> dict[str, Any]:
    result = dict(original)
    for key, value in patch.items():
        if key == DIRECTIVE:
            continue
        if value is None:
            result.pop(key, None)
            continue
        child, merge_key = schema.get(key, (None, None)) if schema else (None, None)
        if merge_key and not isinstance(value, list):
            # kyaml: "wrong node kind: expected SequenceNode"
            raise MergeFailure(
                f"'{key}' must be a list, not {_kind_of(value)}",
                f"write '{key}' as a list of items, each with its '{merge_key}'",
            )
        if isinstance(value, list):
            current = result.get(key)
            if isinstance(merge_key, tuple) and isinstance(current, list):
                result[key] = _merge_by_keys(current, value, key, merge_key, child)
            elif isinstance(merge_key, str) and isinstance(current, list):
                result[key] = _merge_list(current, value, merge_key, child)
            else:
                result[key] = _clean_list(value)
        elif isinstance(value, dict):
            result[key] = _merge_value(
                result.get(key),
                value,
                child if child is not None else ({} if schema is not None else None),
            )
        else:
            result[key] = value
    return result


def _merge_list(
    original: list[Any], patch: list[Any], key: str, schema: Schema | None
) -> list[Any]:
    """Patch items first in patch order, then the untouched originals (behaviour 6)."""
    if any(isinstance(p, dict) and p.get(DIRECTIVE) == "replace" for p in patch):
        return [_clean(p) for p in patch if not (isinstance(p, dict) and DIRECTIVE in p)]
    keyless_originals = [o for o in original if isinstance(o, dict) and key not in o]
    if keyless_originals:
        # kyaml's associative-list walk treats a missing key as a wildcard that matches every
        # keyed item: only the last original item without the key survives (observed 5.5.0)
        return [keyless_originals[-1]]
    # A patch item without the key (a volumeMount without mountPath) is dropped, and so are the
    # originals the patch does not name: only the keyed patch items remain (observed 5.5.0).
    keyless_patch = any(not isinstance(p, dict) or key not in p for p in patch)
    by_key = {o.get(key): o for o in original if isinstance(o, dict) and key in o}
    seen: set[Any] = set()
    out: list[Any] = []
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            continue
        identity = item[key]
        seen.add(_hashable(identity))
        if item.get(DIRECTIVE) == "delete":
            continue
        base = by_key.get(identity) if _hashable(identity) == identity else None
        out.append(_merge_map(base, item, schema) if isinstance(base, dict) else _clean(item))
    if keyless_patch:
        return out
    for item in original:
        if isinstance(item, dict) and key in item and _hashable(item[key]) in seen:
            continue
        out.append(item)
    return out


def _merge_by_keys(
    original: list[Any], patch: list[Any], field: str, keys: tuple[str, ...], schema: Schema | None
) -> list[Any]:
    """Lists kyaml merges by (port, protocol), as observed in kustomize 5.5.0: when no item
    gives a protocol, they merge by port like any keyed list; when every item gives one, new
    patch items come first and matched items are merged where they stand. When only some
    items give a protocol, Kustomize drops patch items and ignores deletions: refused."""
    if any(isinstance(p, dict) and p.get(DIRECTIVE) == "replace" for p in patch):
        return [_clean(p) for p in patch if not (isinstance(p, dict) and DIRECTIVE in p)]
    primary, rest = keys[0], keys[1:]
    items = [*original, *patch]
    if not all(isinstance(i, dict) and primary in i for i in items):
        raise MergeFailure(
            f"an item of '{field}' has no '{primary}'; Kustomize merges this list by"
            f" ({', '.join(keys)}) and drops or reorders items then",
            PORTS_HINT,
        )
    given = {all(k in i for k in rest) for i in items}
    if given == {False} and not any(k in i for i in items for k in rest):
        return _merge_list(original, patch, primary, schema)
    if given != {True}:
        raise MergeFailure(
            f"some items of '{field}' give '{', '.join(rest)}' and some do not; Kustomize then"
            " drops patch items and ignores deletions",
            PORTS_HINT,
        )

    def identity(item: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(_hashable(item[k]) for k in keys)

    by_identity = {identity(p): p for p in patch}
    out = [
        _clean(p)
        for p in patch
        if p.get(DIRECTIVE) != "delete" and identity(p) not in {identity(o) for o in original}
    ]
    for item in original:
        change = by_identity.get(identity(item))
        if change is None:
            out.append(item)
        elif change.get(DIRECTIVE) != "delete":
            out.append(_merge_map(item, change, schema))
    return out


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}" if value is not None else "null"


def _hashable(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else repr(value)


def _clean(value: Any) -> Any:
    """A patch value with directives removed, copied so later edits cannot alias the patch."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if k != DIRECTIVE and v is not None}
    if isinstance(value, list):
        return _clean_list(value)
    return copy.copy(value)


def _clean_list(value: list[Any]) -> list[Any]:
    return [_clean(v) for v in value if not (isinstance(v, dict) and v.get(DIRECTIVE) == "delete")]
