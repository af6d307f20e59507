"""Resources and a kustomization's `namespace` → resources moved into that namespace."""

from __future__ import annotations

from collections.abc import Iterable

from generator.overlays.resources import Resource


def set_namespace(resources: Iterable[Resource], namespace: str) -> None:
    """Behaviour 2: overwrite every namespaced object's namespace and rename Namespaces."""
    for resource in resources:
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
