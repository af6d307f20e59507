"""apiVersion + kind → where an object lives: cluster-scoped, namespaced, or unknown. The
built-in Kubernetes API table below, plus the CustomResourceDefinitions of one cluster's
output. An object's own metadata.namespace never decides: the API server ignores it on a
cluster-scoped kind."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from generator.model import Manifest

Kind = tuple[str, str]  # (API group, kind); the core group is ""

# Every kind the bundled Kubernetes schemas (v1.25 to the newest) define as a stored object,
# by the scope `kubectl api-resources` gives it. tests/test_kinds.py checks the table against
# those schemas, so a new Kubernetes release with a new kind fails the suite until it is here.
CLUSTER_SCOPED: frozenset[Kind] = frozenset(
    {
        ("", "ComponentStatus"), ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "MutatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"),
        ("apiregistration.k8s.io", "APIService"),
        ("authentication.k8s.io", "SelfSubjectReview"),
        ("authentication.k8s.io", "TokenReview"),
        ("authorization.k8s.io", "SelfSubjectAccessReview"),
        ("authorization.k8s.io", "SelfSubjectRulesReview"),
        ("authorization.k8s.io", "SubjectAccessReview"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
        ("certificates.k8s.io", "ClusterTrustBundle"),
        ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
        ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
        ("internal.apiserver.k8s.io", "StorageVersion"),
        ("networking.k8s.io", "ClusterCIDR"), ("networking.k8s.io", "IPAddress"),
        ("networking.k8s.io", "IngressClass"), ("networking.k8s.io", "ServiceCIDR"),
        ("node.k8s.io", "RuntimeClass"),
        ("policy", "PodSecurityPolicy"),
        ("rbac.authorization.k8s.io", "ClusterRole"),
        ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("resource.k8s.io", "DeviceClass"), ("resource.k8s.io", "DeviceTaintRule"),
        ("resource.k8s.io", "ResourceClass"), ("resource.k8s.io", "ResourcePoolStatusRequest"),
        ("resource.k8s.io", "ResourceSlice"),
        ("scheduling.k8s.io", "PriorityClass"),
        ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"),
        ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "VolumeAttachment"),
        ("storage.k8s.io", "VolumeAttributesClass"),
        ("storagemigration.k8s.io", "StorageVersionMigration"),
    }
)  # fmt: skip
NAMESPACED: frozenset[Kind] = frozenset(
    {
        ("", "Binding"), ("", "ConfigMap"), ("", "Endpoints"), ("", "Event"),
        ("", "LimitRange"), ("", "PersistentVolumeClaim"), ("", "Pod"), ("", "PodTemplate"),
        ("", "ReplicationController"), ("", "ResourceQuota"), ("", "Secret"), ("", "Service"),
        ("", "ServiceAccount"),
        ("apps", "ControllerRevision"), ("apps", "DaemonSet"), ("apps", "Deployment"),
        ("apps", "ReplicaSet"), ("apps", "StatefulSet"),
        ("authorization.k8s.io", "LocalSubjectAccessReview"),
        ("autoscaling", "HorizontalPodAutoscaler"),
        ("batch", "CronJob"), ("batch", "Job"),
        ("certificates.k8s.io", "PodCertificateRequest"),
        ("coordination.k8s.io", "Lease"), ("coordination.k8s.io", "LeaseCandidate"),
        ("discovery.k8s.io", "EndpointSlice"),
        ("events.k8s.io", "Event"),
        ("lifecycle.k8s.io", "EvictionRequest"),
        ("networking.k8s.io", "Ingress"), ("networking.k8s.io", "NetworkPolicy"),
        ("policy", "PodDisruptionBudget"),
        ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
        ("resource.k8s.io", "PodScheduling"), ("resource.k8s.io", "PodSchedulingContext"),
        ("resource.k8s.io", "ResourceClaim"), ("resource.k8s.io", "ResourceClaimParameters"),
        ("resource.k8s.io", "ResourceClaimTemplate"),
        ("resource.k8s.io", "ResourceClassParameters"),
        ("scheduling.k8s.io", "CompositePodGroup"), ("scheduling.k8s.io", "PodGroup"),
        ("scheduling.k8s.io", "Workload"),
        ("storage.k8s.io", "CSIStorageCapacity"),
    }
)  # fmt: skip
# The custom kinds whose schemas ship with the generator (generator/schemas/crds/: Argo CD and
# Flux), so known on every cluster; tests/test_kinds.py checks them against upstream CRDs.
SHIPPED_NAMESPACED: frozenset[Kind] = frozenset(
    {
        ("argoproj.io", "AppProject"), ("argoproj.io", "Application"),
        ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        ("source.toolkit.fluxcd.io", "GitRepository"),
    }
)  # fmt: skip
# Kinds the schemas define that are no stored object (subresource bodies, API status): an
# object of one of these kinds in a manifest is a mistake, so they stay unknown.
NOT_OBJECTS: frozenset[Kind] = frozenset(
    {
        ("", "Status"), ("autoscaling", "Scale"), ("authentication.k8s.io", "TokenRequest"),
        ("policy", "Eviction"), ("lifecycle.k8s.io", "Eviction"), ("resource.k8s.io", "Status"),
    }
)  # fmt: skip


def group_of(api_version: str) -> str:
    return api_version.rpartition("/")[0]


@dataclass(frozen=True, slots=True)
class Scopes:
    """Kind → namespaced (True) or cluster-scoped (False), for one cluster."""

    custom: Mapping[Kind, bool]  # from the CustomResourceDefinitions of the cluster's output

    def namespaced(self, api_version: str, kind: str) -> bool | None:
        """None: a kind neither Kubernetes nor a CRD of this cluster defines."""
        key = (group_of(api_version), kind)
        if key in NAMESPACED or key in SHIPPED_NAMESPACED:
            return True
        if key in CLUSTER_SCOPED:
            return False
        return self.custom.get(key)

    def cluster_scoped(self, manifest: Manifest) -> bool:
        return self.namespaced(manifest.api_version, manifest.kind) is False


def scopes_of(manifests: Iterable[Manifest]) -> Scopes:
    """The built-in table and the scope each CustomResourceDefinition among `manifests`
    declares (a CRD without a valid scope is left to the schema stage)."""
    custom: dict[Kind, bool] = {}
    for m in manifests:
        spec = m.body.get("spec")
        if not (
            m.kind == "CustomResourceDefinition"
            and group_of(m.api_version) == "apiextensions.k8s.io"
            and isinstance(spec, Mapping)
        ):
            continue
        names = spec.get("names")
        kind = names.get("kind") if isinstance(names, Mapping) else None
        scope = spec.get("scope")
        if isinstance(kind, str) and scope in ("Namespaced", "Cluster"):
            custom[(str(spec.get("group", "")), kind)] = scope == "Namespaced"
    return Scopes(custom)
