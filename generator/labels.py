"""Platform name, cluster, component → the labels that mark every rendered object as ours (the
pipeline sets them, the GitOps stage writes them, drift finds orphans by them)."""

from __future__ import annotations

MANAGED_BY = "platform-generator"  # also the server-side apply field manager
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PART_OF_LABEL = "app.kubernetes.io/part-of"
CLUSTER_LABEL = "platform.generator/cluster"
COMPONENT_LABEL = "platform.generator/component"


def common_labels(platform: str, cluster: str, component: str = "") -> dict[str, str]:
    labels = {MANAGED_BY_LABEL: MANAGED_BY, PART_OF_LABEL: platform, CLUSTER_LABEL: cluster}
    if component:
        labels[COMPONENT_LABEL] = component
    return labels
