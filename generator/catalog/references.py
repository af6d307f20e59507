"""Catalog → problems with references between files: unknown environments, clusters,
operators, tenants and providers, duplicate names, clashing or system namespaces, Kubernetes
versions without bundled schemas."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from generator.catalog.records import Locate
from generator.errors import GeneratorError
from generator.merge import value_layers
from generator.model import Catalog, Cluster, Environment, Operator, Origin, Tenant

# Namespaces of Kubernetes itself and of the GitOps controllers: never a tenant's.
SYSTEM_NAMESPACES = frozenset({"default", "argocd", "flux-system"})


def check_references(catalog: Catalog, problems: list[GeneratorError], at: Locate) -> None:
    environments = {e.name for e in catalog.environments}
    clusters = {c.name for c in catalog.clusters}
    operators: dict[str, Operator] = {}
    for operator in catalog.operators:
        if operator.name in operators:
            first = operators[operator.name]
            problems.append(
                GeneratorError(
                    f"operator '{operator.name}' is defined twice (also in {first.origin.path})",
                    operator.origin,
                    "give each operator a unique name; "
                    "operators sharing an install number form one wave",
                )
            )
        operators[operator.name] = operator
    orders: dict[int, str] = {}
    for environment in catalog.environments:
        if environment.order in orders:
            problems.append(
                GeneratorError(
                    f"order: {environment.order} is also the order of environment "
                    f"'{orders[environment.order]}'",
                    at(environment.origin, "order"),
                    "give each environment its own promotion order (dev lowest, prod highest)",
                )
            )
        orders[environment.order] = environment.name
    for cluster in catalog.clusters:
        if cluster.environment not in environments:
            problems.append(
                _unknown(
                    "environment",
                    cluster.environment,
                    environments,
                    at(cluster.origin, "environment"),
                    "environment",
                )
            )
        if cluster.managed_by and cluster.managed_by not in clusters:
            problems.append(
                _unknown(
                    "managedBy",
                    cluster.managed_by,
                    clusters,
                    at(cluster.origin, "managedBy"),
                    "cluster",
                )
            )
        for key, selection, known in (
            ("operators", cluster.operators, set(operators)),
            ("tenants", cluster.tenants, {t.name for t in catalog.tenants}),
        ):
            for field, patterns in (("include", selection.include), ("exclude", selection.exclude)):
                for index, pattern in enumerate(patterns):
                    if not any(c in pattern for c in "*?[") and pattern not in known:
                        where = at(cluster.origin, key, field, index)
                        problems.append(_unknown(f"{key}.{field}", pattern, known, where, key[:-1]))
    tenants = {t.name for t in catalog.tenants}
    holders: tuple[Environment | Cluster, ...] = (*catalog.environments, *catalog.clusters)
    for layer in holders:
        for key, overrides, known in (
            ("operators", layer.operator_overrides, set(operators)),
            ("tenants", layer.tenant_overrides, tenants),
        ):
            for name, override in overrides.items():
                if name not in known:
                    problems.append(_unknown(key, name, known, override.origin, key[:-1]))
    records: tuple[Operator | Tenant, ...] = (*catalog.operators, *catalog.tenants)
    for record in records:
        for field, names, what in (
            ("environments", environments, "environment"),
            ("clusters", clusters, "cluster"),
        ):
            for index, name in enumerate(getattr(record.enabled, field)):
                if name not in names:
                    where = at(record.origin, "enabledOn", field, index)
                    problems.append(_unknown(f"enabledOn.{field}", name, names, where, what))
    _check_clusters(catalog, problems, at)
    _check_tenants(catalog, problems, at)
    _check_gateway(catalog, problems, at)


def _check_clusters(catalog: Catalog, problems: list[GeneratorError], at: Locate) -> None:
    """Providers need storage classes; versions need bundled Kubernetes schemas."""
    from generator.validate.schemas import builtin_versions

    versions = builtin_versions()
    first, last = versions[0], versions[-1]
    for cluster in catalog.clusters:
        if cluster.provider not in catalog.platform.storage_classes:
            problems.append(
                GeneratorError(
                    f"provider: '{cluster.provider}' has no storage classes "
                    "in catalog/platform.yaml",
                    at(cluster.origin, "provider", value=True),
                    f"add storageClasses.{cluster.provider} with fast, standard and bulk to "
                    "catalog/platform.yaml, or use one of: "
                    + ", ".join(sorted(catalog.platform.storage_classes)),
                )
            )
        major, minor = (int(part) for part in cluster.kubernetes_version.split(".")[:2])
        if not first <= (major, minor) <= last:
            problems.append(
                GeneratorError(
                    f"kubernetesVersion: no bundled Kubernetes schemas for "
                    f"'{cluster.kubernetes_version}'",
                    at(cluster.origin, "kubernetesVersion", value=True),
                    f"use a version from {first[0]}.{first[1]}.0 to {last[0]}.{last[1]}.x, or "
                    "upgrade the kubernetes-validate package",
                )
            )
    providers = set(catalog.platform.storage_classes) | {c.provider for c in catalog.clusters}
    records: tuple[Operator | Tenant, ...] = (*catalog.operators, *catalog.tenants)
    for record in records:
        for index, provider in enumerate(record.enabled.providers):
            if provider not in providers:
                where = at(record.origin, "enabledOn", "providers", index)
                problems.append(
                    _unknown("enabledOn.providers", provider, providers, where, "provider")
                )


def _check_tenants(catalog: Catalog, problems: list[GeneratorError], at: Locate) -> None:
    operator_namespaces = {o.namespace for o in catalog.operators}
    namespaces: dict[str, str] = {}
    for tenant in catalog.tenants:
        if tenant.namespace in SYSTEM_NAMESPACES or tenant.namespace.startswith("kube-"):
            problems.append(
                GeneratorError(
                    f"namespace: '{tenant.namespace}' is a system namespace",
                    at(tenant.origin, "namespace", value=True),
                    "tenants get their own namespace (default ns-<tenant>); default, kube-*, "
                    "argocd and flux-system belong to the platform",
                )
            )
        if tenant.namespace in namespaces:
            problems.append(
                GeneratorError(
                    f"namespace: '{tenant.namespace}' is also the namespace of tenant "
                    f"'{namespaces[tenant.namespace]}'",
                    at(tenant.origin, "namespace"),
                    "give every tenant its own namespace",
                )
            )
        namespaces[tenant.namespace] = tenant.name
        if tenant.namespace in operator_namespaces:
            problems.append(
                GeneratorError(
                    f"namespace: '{tenant.namespace}' belongs to an operator",
                    at(tenant.origin, "namespace"),
                    "tenants get their own namespace (default ns-<tenant>)",
                )
            )
    known = operator_namespaces | set(namespaces)
    for tenant in catalog.tenants:
        for index, allowance in enumerate(tenant.allow):
            if allowance["namespace"] not in known:
                where = at(tenant.origin, "allow", index, "namespace", value=True)
                problems.append(
                    _unknown(
                        f"allow.{index}.namespace",
                        allowance["namespace"],
                        known,
                        where,
                        "namespace",
                    )
                )


def _check_gateway(catalog: Catalog, problems: list[GeneratorError], at: Locate) -> None:
    """An exposed tenant admits traffic from values.gateway.namespace (docs/tenants.md): on every
    cluster it runs on, that value must be set and be the namespace of an operator running
    there. A value written as a `${…}` reference is resolved when rendering, not checked here."""
    environments = {e.name for e in catalog.environments}
    unset: dict[str, list[str]] = {}  # tenant → clusters without the value
    wrong: dict[Origin, GeneratorError] = {}  # one problem per place the value is written
    for cluster in sorted(catalog.clusters, key=lambda c: c.name):
        if cluster.environment not in environments:
            continue  # reported above
        exposed = [
            t
            for t in sorted(catalog.tenants, key=lambda t: t.name)
            if t.exposure.get("exposed") is True
            and t.enabled.allows(cluster)
            and cluster.tenants.selects(t.name, t.labels)
        ]
        namespaces = {
            o.namespace
            for o in catalog.operators
            if o.enabled.allows(cluster) and cluster.operators.selects(o.name, o.labels)
        }
        for tenant in exposed:
            value, origin = _gateway_namespace(catalog, cluster, tenant)
            if value is None:
                unset.setdefault(tenant.name, []).append(cluster.name)
            elif isinstance(value, str) and "${" in value:
                continue
            elif value not in namespaces and origin not in wrong:
                close = difflib.get_close_matches(str(value), sorted(namespaces), n=1)
                wrong[origin] = GeneratorError(
                    f"values.gateway.namespace: '{value}' is not the namespace of an operator "
                    f"on cluster '{cluster.name}', where tenant '{tenant.name}' is exposed",
                    origin,
                    f"did you mean '{close[0]}'?"
                    if close
                    else "use the namespace of the operator that runs the shared gateway; "
                    f"operator namespaces there: {', '.join(sorted(namespaces)) or 'none'}",
                )
    problems.extend(wrong.values())
    for tenant in catalog.tenants:
        if tenant.name in unset:
            problems.append(
                GeneratorError(
                    f"exposure.exposed: tenant '{tenant.name}' is exposed on "
                    f"{', '.join(unset[tenant.name])}, where values.gateway.namespace is not set",
                    at(tenant.origin, "exposure", "exposed", value=True),
                    "set values.gateway.namespace (in catalog/platform.yaml, or per environment "
                    "or cluster) to the namespace of the operator that runs the shared gateway",
                )
            )


def _gateway_namespace(catalog: Catalog, cluster: Cluster, tenant: Tenant) -> tuple[object, Origin]:
    """The tenant unit's values.gateway.namespace as written (before interpolation), and where."""
    value: object = None
    origin = tenant.origin
    for layer in value_layers(catalog, cluster, tenant):
        gateway = layer.values.get("gateway")
        if "gateway" in layer.values and gateway is None:  # an explicit null removes it
            value = None
        elif isinstance(gateway, Mapping) and "namespace" in gateway:
            value = gateway["namespace"]
            origin = layer.origins.get(("gateway", "namespace"), layer.origin)
    return value, origin


def _unknown(key: str, value: str, known: set[str], origin: Origin, what: str) -> GeneratorError:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else f"known {what}s: {', '.join(sorted(known)) or 'none'}"
    )
    return GeneratorError(f"{key}: unknown {what} '{value}'", origin, hint)
