"""Tenant objects → violations of tenant-delegation: nothing a tenant renders makes a
controller act for it with the platform's rights (GitOps objects, shared secret stores,
cluster-wide certificate issuers)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.kinds import group_of
from generator.model import RenderUnit
from generator.policies.rule import (
    CONFINEMENT,
    Check,
    Rule,
    Scope,
    Subject,
    Violation,
    annotations_of,
    is_mapping,
)

# Kinds that hand work to a controller acting with its own rights: a tenant rendering one
# would reach whatever that controller may reach (for GitOps controllers, the whole cluster).
# Matched by group alone where every kind of the group delegates, case-insensitively.
DELEGATING_GROUPS: Mapping[str, str] = {
    "source.toolkit.fluxcd.io": "a Flux source, which fetches content for Flux to apply",
    "kustomize.toolkit.fluxcd.io": "a Flux Kustomization, which applies manifests",
    "helm.toolkit.fluxcd.io": "a Flux HelmRelease, which installs a chart",
    "source.extensions.fluxcd.io": "a Flux source, which fetches content for Flux to apply",
    "fleet.cattle.io": "a Rancher Fleet object, which deploys content",
    "helm.cattle.io": "a helm-controller chart, which installs with cluster-admin rights",
    "kappctrl.k14s.io": "a kapp-controller App, which deploys content",
    "packaging.carvel.dev": "a Carvel package object, which deploys content",
}
DELEGATING_KINDS: Mapping[tuple[str, str], str] = {
    ("argoproj.io", "application"): "an Argo CD Application, which deploys content",
    ("argoproj.io", "applicationset"): "an Argo CD ApplicationSet, which creates Applications",
    ("argoproj.io", "appproject"): "an Argo CD AppProject, which grants deployment rights",
    ("image.toolkit.fluxcd.io", "imageupdateautomation"): (
        "a Flux ImageUpdateAutomation, which pushes to Git with Flux's credentials"
    ),
}


def _delegation(subject: Subject) -> Iterator[Violation]:
    manifest = subject.manifest
    group = group_of(manifest.api_version).lower()
    what = DELEGATING_KINDS.get((group, manifest.kind.lower())) or DELEGATING_GROUPS.get(group)
    if what is None:
        return
    yield (
        f"tenant renders {manifest.kind} of '{manifest.api_version}': {what} with the "
        "controller's rights, beyond the tenant namespace",
        "the platform generates the GitOps objects that deploy a tenant (confined to its "
        "namespace); render the workloads themselves in the tenant's overlay",
    )


def _shared_secret_store(subject: Subject) -> Iterator[Violation]:
    """A reference to a ClusterSecretStore anywhere in a tenant object (an ExternalSecret's
    secretStoreRef or sourceRef.storeRef, a PushSecret's secretStoreRefs): the store reads
    with the platform's credentials, so a tenant may use only one whose spec.conditions name
    the tenant namespace explicitly."""
    manifest, unit = subject.manifest, subject.unit
    assert unit is not None  # the scope is a tenant's output
    namespace = unit.namespace
    spec = manifest.body.get("spec")
    stack: list[Any] = [spec]
    names: list[str] = []
    while stack:
        node = stack.pop()
        if is_mapping(node):
            if node.get("kind") == "ClusterSecretStore":
                names.append(str(node.get("name") or "<selected by label>"))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for name in sorted(set(names)):
        if _grants(subject.cluster.secret_stores.get(name), namespace):
            continue
        yield (
            f"tenant {manifest.kind} uses ClusterSecretStore '{name}', whose spec.conditions "
            f"do not name namespace '{namespace}': the store reads with the platform's "
            "credentials",
            "read through a SecretStore in the tenant namespace, or have the platform list "
            f"'{namespace}' under spec.conditions[].namespaces of that ClusterSecretStore",
        )


def _cluster_issuer(subject: Subject) -> Iterator[Violation]:
    """A cert-manager ClusterIssuer (or an external issuer's cluster-wide kind) signs with the
    platform's key or DNS credentials: a tenant may have it sign only names it owns, its
    exposure hosts and the service names of its namespace, and never a CA."""
    manifest, unit = subject.manifest, subject.unit
    assert unit is not None  # the scope is a tenant's output
    body, kind = manifest.body, manifest.kind
    spec = body.get("spec")
    spec = spec if is_mapping(spec) else {}
    issuer, names = "", []
    certificate = kind in ("Certificate", "CertificateRequest")
    if certificate and group_of(manifest.api_version) == "cert-manager.io":
        ref = spec.get("issuerRef")
        if isinstance(ref, Mapping) and str(ref.get("kind", "")).endswith("ClusterIssuer"):
            issuer = str(ref.get("name", ""))
        names = [str(n) for n in (spec.get("dnsNames") or ()) if isinstance(n, str)]
        names += [str(spec["commonName"])] if spec.get("commonName") else []
    else:
        annotations = annotations_of(body)
        issuer = str(annotations.get("cert-manager.io/cluster-issuer") or "")
        for entry in spec.get("tls") or spec.get("listeners") or ():  # Ingress or Gateway
            if isinstance(entry, Mapping):
                names += [str(h) for h in entry.get("hosts") or ()]
                names += [str(entry["hostname"])] if entry.get("hostname") else []
    if not issuer:
        return
    hint = (
        f"request only the tenant's exposure hosts or service names of '{unit.namespace}', or "
        f"sign with an Issuer in the tenant namespace; to add hosts, change '{unit.origin.path}'"
    )
    what = f"tenant {kind} has ClusterIssuer '{issuer}' sign"
    if kind == "CertificateRequest":
        yield (f"{what} a raw certificate request, whose names cannot be checked", hint)
        return
    if spec.get("isCA") is True:
        yield (f"{what} a CA certificate", hint)
    for field in ("ipAddresses", "uris", "emailAddresses", "otherNames"):
        if spec.get(field):
            yield (f"{what} {field}, which the tenant does not own", hint)
    hosts = _tenant_hosts(unit)
    foreign = sorted({n for n in names if n not in hosts and not _service_name(n, unit.namespace)})
    if foreign:
        shown = ", ".join(f"'{n}'" for n in foreign)
        yield (f"{what} names the tenant does not own ({shown})", hint)


def _tenant_hosts(unit: RenderUnit) -> set[str]:
    tenant = unit.context.get("tenant")
    exposure = tenant.get("exposure") if isinstance(tenant, Mapping) else None
    hosts = exposure.get("hosts") if isinstance(exposure, Mapping) else None
    return {str(h) for h in hosts or ()}


def _service_name(name: str, namespace: str) -> bool:
    """<service>.<namespace>, with .svc or .svc.cluster.local: a name inside the namespace."""
    service, _, rest = name.partition(".")
    return (
        bool(service)
        and "*" not in service
        and rest
        in (
            namespace,
            f"{namespace}.svc",
            f"{namespace}.svc.cluster.local",
        )
    )


def _grants(store: Mapping[str, Any] | None, namespace: str) -> bool:
    spec = store.get("spec") if isinstance(store, Mapping) else None
    conditions = spec.get("conditions") if isinstance(spec, Mapping) else None
    for condition in conditions if isinstance(conditions, list) else ():
        if not isinstance(condition, Mapping):
            continue
        if namespace in (condition.get("namespaces") or ()):
            return True
        selector = condition.get("namespaceSelector")
        if (
            isinstance(selector, Mapping)
            and not selector.get("matchExpressions")
            and selector.get("matchLabels") == {"kubernetes.io/metadata.name": namespace}
        ):
            return True
    return False


RULES = (
    Rule(
        "tenant-delegation",
        "tenants render no GitOps or other object that acts with a controller's rights",
        (
            Check(Scope.TENANT_OBJECT, _delegation),
            Check(Scope.TENANT_OBJECT, _shared_secret_store),
            Check(Scope.TENANT_OBJECT, _cluster_issuer),
        ),
        CONFINEMENT,
    ),
)
