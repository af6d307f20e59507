"""A cluster's kubernetesVersion → the `.Capabilities` Helm renders with (`--kube-version` and
`--api-versions`), the same for both backends."""

from __future__ import annotations

# Built-in APIs by the minor version that first served and (exclusive) stopped serving them.
# Helm's offline default set lists group/versions only; real discovery also yields
# group/version/Kind, which charts test (`APIVersions.Has "policy/v1/PodDisruptionBudget"`).
BUILTIN_APIS: tuple[tuple[str, str, int, int], ...] = (
    ("v1", "ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume "
     "PersistentVolumeClaim Pod ReplicationController ResourceQuota Secret Service "
     "ServiceAccount", 0, 999),
    ("apps/v1", "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet", 9, 999),
    ("batch/v1", "Job", 0, 999),
    ("batch/v1", "CronJob", 21, 999),
    ("batch/v1beta1", "CronJob", 8, 25),
    ("autoscaling/v1", "HorizontalPodAutoscaler", 2, 999),
    ("autoscaling/v2", "HorizontalPodAutoscaler", 23, 999),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", 8, 25),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", 12, 26),
    ("policy/v1", "PodDisruptionBudget", 21, 999),
    ("policy/v1beta1", "PodDisruptionBudget PodSecurityPolicy", 5, 25),
    ("networking.k8s.io/v1", "NetworkPolicy", 7, 999),
    ("networking.k8s.io/v1", "Ingress IngressClass", 19, 999),
    ("networking.k8s.io/v1beta1", "Ingress IngressClass", 14, 22),
    ("rbac.authorization.k8s.io/v1", "ClusterRole ClusterRoleBinding Role RoleBinding", 8, 999),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", 16, 999),
    ("apiregistration.k8s.io/v1", "APIService", 10, 999),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration "
     "ValidatingWebhookConfiguration", 16, 999),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy "
     "ValidatingAdmissionPolicyBinding", 30, 999),
    ("storage.k8s.io/v1", "StorageClass VolumeAttachment", 13, 999),
    ("storage.k8s.io/v1", "CSIDriver CSINode", 18, 999),
    ("storage.k8s.io/v1", "CSIStorageCapacity", 24, 999),
    ("scheduling.k8s.io/v1", "PriorityClass", 14, 999),
    ("coordination.k8s.io/v1", "Lease", 14, 999),
    ("discovery.k8s.io/v1", "EndpointSlice", 21, 999),
    ("discovery.k8s.io/v1beta1", "EndpointSlice", 17, 25),
    ("certificates.k8s.io/v1", "CertificateSigningRequest", 19, 999),
    ("node.k8s.io/v1", "RuntimeClass", 20, 999),
    ("events.k8s.io/v1", "Event", 19, 999),
    ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema PriorityLevelConfiguration", 29, 999),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", 26, 32),
)  # fmt: skip


def kube_capabilities(kubernetes_version: str) -> tuple[str, list[str]]:
    """`--kube-version` and the extra `--api-versions` for a cluster's kubernetesVersion."""
    minor = int(kubernetes_version.split(".")[1])
    api: list[str] = []
    for group_version, kinds, since, removed in BUILTIN_APIS:
        if since <= minor < removed:
            api.append(group_version)
            api.extend(f"{group_version}/{kind}" for kind in kinds.split())
    return f"v{kubernetes_version.removeprefix('v')}", sorted(set(api))
