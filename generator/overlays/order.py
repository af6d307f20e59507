"""Built resources → the output order Kustomize defines (legacy kind priority or fifo)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.overlays.resources import Resource

ORDER_FIRST = (
    "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount",
    "PodSecurityPolicy", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap",
    "Secret", "Endpoints", "Service", "LimitRange", "PriorityClass", "PersistentVolume",
    "PersistentVolumeClaim", "Deployment", "StatefulSet", "CronJob", "PodDisruptionBudget",
)  # fmt: skip
ORDER_LAST = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def sort_resources(
    resources: Sequence[Resource], options: Mapping[str, Any] | None
) -> list[Resource]:
    if options and options.get("order") == "fifo":
        return list(resources)
    legacy = (options or {}).get("legacySortOptions") or {}
    first = legacy.get("orderFirst", ORDER_FIRST) if legacy else ORDER_FIRST
    last = legacy.get("orderLast", ORDER_LAST) if legacy else ORDER_LAST
    # A custom list replaces the built-in priorities completely (behaviour 1).
    rank = {kind: i - len(first) for i, kind in enumerate(first)}
    rank.update({kind: i + 1 for i, kind in enumerate(last)})

    def key(r: Resource) -> tuple[int, str, str]:
        group = r.group or "~G"
        version = r.version or "~V"
        # The empty core group spells "~G", which sorts after every named group.
        gvk = f"{group}_{version}_{r.kind or '~K'}"
        identity = "|".join((r.namespace or "~X", r.name or "~N"))
        return (rank.get(r.kind, 0), gvk, identity)

    return sorted(resources, key=key)
