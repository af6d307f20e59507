"""Resources and a kustomization's `namespace` → resources moved into that namespace."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from generator.overlays.fieldspecs import FieldSpec, visit
from generator.overlays.resources import Resource


def set_namespace(
    resources: Iterable[Resource], namespace: str, extra: Sequence[FieldSpec] = ()
) -> None:
    """Behaviour 2: overwrite every namespaced object's namespace and rename Namespaces;
    `extra` are the fields `configurations` add to the namespace table."""

    def leaf(parent: dict[str, Any], key: str) -> None:
        parent[key] = namespace

    for resource in resources:
        for fs in extra:
            if fs.selects(resource):
                visit(resource.body, fs.path, fs.create, leaf)
        if resource.kind == "Namespace":
            resource.remember()
            resource.set_name(namespace)
            continue
        if resource.cluster_scoped:
            if resource.kind == "APIService":
                service = (resource.body.get("spec") or {}).get("service")
                if isinstance(service, dict):
                    service["namespace"] = namespace
            elif resource.kind == "CustomResourceDefinition":
                service = (
                    (
                        ((resource.body.get("spec") or {}).get("conversion") or {}).get("webhook")
                        or {}
                    )
                    .get("clientConfig", {})
                    .get("service")
                )
                if isinstance(service, dict):
                    service["namespace"] = namespace
            continue
        resource.remember()
        resource.meta["namespace"] = namespace
