"""Catalog → [RenderUnit]: platform → operator/tenant defaults → environment (and its entry for
the operator or tenant) → cluster (and its entry) values, merged and interpolated, one unit per
cluster and enabled operator or tenant."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from generator.errors import GeneratorError
from generator.model import (
    Catalog,
    Cluster,
    Environment,
    Operator,
    Origin,
    RenderUnit,
    Tenant,
    Values,
)

TENANT_ORDER = 1000  # tenants render, and sync, after every operator (orders are NNN ≤ 999)
OWN_LAYERS = ("operator", "tenant")  # layer names, as written by value_layers
REFERENCE = re.compile(r"\$(\$?)\{([^${}]*)\}")
# A `${}` result longer than this is refused: references that embed one another several
# times grow exponentially (the YAML alias bomb, spelt with references).
MAX_INTERPOLATED = 1_000_000


def deep_merge(base: Values, override: Values) -> dict[str, Any]:
    """Maps merge key by key, lists and scalars replace, an explicit null removes the key."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = _without_nulls(value)
    return merged


def _without_nulls(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


class Layer(NamedTuple):
    """One step of the value hierarchy: its name (for `explain`), values and their positions."""

    name: str  # "platform", "operator", "environment", "environment operators.grafana", ...
    values: Values
    origins: Mapping[tuple[str, ...], Origin]
    origin: Origin  # the file (or the override entry) that holds them


def value_layers(
    catalog: Catalog,
    cluster: Cluster | Environment,
    record: Operator | Tenant,
) -> list[Layer]:
    """platform → the operator's or tenant's defaults → environment → its entry for the record
    → cluster → its entry for the record; later layers win. Given an environment instead of a
    cluster: what the environment gives every cluster of it (no cluster layers)."""
    holders: tuple[tuple[str, Environment | Cluster], ...]
    if isinstance(cluster, Environment):
        environment, holders = cluster, (("environment", cluster),)
    else:
        environment = catalog.environment(cluster.environment)
        holders = (("environment", environment), ("cluster", cluster))
    kind = "operator" if isinstance(record, Operator) else "tenant"
    layers = [
        Layer(
            "platform",
            catalog.platform.values,
            catalog.platform.value_origins,
            catalog.platform.origin,
        ),
        Layer(kind, record.values, record.value_origins, record.origin),
    ]
    for scope, holder in holders:
        layers.append(Layer(scope, holder.values, holder.value_origins, holder.origin))
        overrides = holder.operator_overrides if kind == "operator" else holder.tenant_overrides
        entry = overrides.get(record.name)
        if entry is not None:
            name = f"{scope} {kind}s.{record.name}"
            layers.append(Layer(name, entry.values, entry.value_origins, entry.origin))
    return layers


def helm_scoped(catalog: Catalog, record: Operator | Tenant) -> bool:
    """A Helm operator's chart receives only its own values block (docs/helm.md), so its
    layers do not join the hierarchy that `${values.…}` names."""
    return isinstance(record, Operator) and catalog.components[record.source].engine == "helm"


def split_layers(layers: Sequence[Layer]) -> tuple[list[Layer], list[Layer]]:
    """(platform, environment and cluster layers; the record's own file and entries)."""
    own = [layer for layer in layers if layer.name.rpartition(" ")[2].startswith(OWN_LAYERS)]
    return [layer for layer in layers if layer not in own], own


def tenant_quotas(catalog: Catalog, cluster: Cluster, tenant: Tenant) -> dict[str, Any]:
    """The tenant's quotas, then its environment's and cluster's `tenants.<name>.quotas`."""
    quotas = dict(tenant.quotas)
    for holder in (catalog.environment(cluster.environment), cluster):
        entry = holder.tenant_overrides.get(tenant.name)
        if entry is not None:
            quotas.update(entry.quotas)
    return quotas


def resolve_units(catalog: Catalog, clusters: Sequence[str] = ()) -> list[RenderUnit]:
    """Every (cluster, operator or tenant) pair that is enabled, in render order."""
    known = {c.name for c in catalog.clusters}
    for name in clusters:
        if name not in known:
            raise GeneratorError(
                f"unknown cluster '{name}'",
                hint=f"use one of: {', '.join(sorted(known))}",
            )
    units: list[RenderUnit] = []
    for cluster in sorted(catalog.clusters, key=lambda c: c.name):
        if clusters and cluster.name not in clusters:
            continue
        for operator in sorted(catalog.operators, key=lambda o: (o.order, o.name)):
            if operator.enabled.allows(cluster) and cluster.operators.selects(
                operator.name, operator.labels
            ):
                units.append(_unit(catalog, cluster, operator))
        for tenant in sorted(catalog.tenants, key=lambda t: t.name):
            if tenant.enabled.allows(cluster) and cluster.tenants.selects(
                tenant.name, tenant.labels
            ):
                units.append(_unit(catalog, cluster, tenant))
    return units


def derived_values(catalog: Catalog, cluster: Cluster) -> dict[str, Any]:
    """The platform abstractions every component receives instead of provider names."""
    platform = catalog.platform
    classes = platform.storage_classes.get(cluster.provider)
    if classes is None:
        raise GeneratorError(
            f"storageClasses has no entry for provider '{cluster.provider}'",
            platform.origin,
            f"add storageClasses.{cluster.provider} with fast, standard and bulk "
            "to catalog/platform.yaml",
        )
    return {
        "dns": {"zone": f"{cluster.environment}.{platform.domain}"},
        "storageClasses": dict(classes),
        "ingressClass": platform.ingress_classes.get(cluster.provider, "nginx"),
        "secretPathPrefix": cluster.environment,
    }


def _unit(catalog: Catalog, cluster: Cluster, record: Operator | Tenant) -> RenderUnit:
    environment = catalog.environment(cluster.environment)
    platform = catalog.platform
    values: dict[str, Any] = derived_values(catalog, cluster)
    origins: dict[tuple[str, ...], Origin] = {}
    layers = value_layers(catalog, cluster, record)
    shared, own = split_layers(layers) if helm_scoped(catalog, record) else (layers, [])
    for layer in shared:
        values = deep_merge(values, layer.values)
        origins.update(layer.origins)

    if isinstance(record, Operator):
        kind, order, dirname = "operator", record.order, record.dirname
        component = catalog.components[record.source]
    else:
        kind, order, dirname = "tenant", TENANT_ORDER, f"tenants/{record.name}"
        component = catalog.components["tenant"]
    context: dict[str, Any] = {
        "platform": {
            "name": platform.name,
            "domain": platform.domain,
            "repoURL": platform.repo_url,
            "revision": platform.revision,
            "jsonnet": {"engine": platform.jsonnet_engine},
            "helm": {"strict": platform.helm_strict},
        },
        "environment": {"name": environment.name, "order": environment.order},
        "cluster": {
            "name": cluster.name,
            "environment": cluster.environment,
            "provider": cluster.provider,
            "kubernetesVersion": cluster.kubernetes_version,
            "apiServer": cluster.api_server,
            "gitops": cluster.gitops,
            "labels": dict(cluster.labels),
        },
        "component": {
            "name": record.name,
            "kind": kind,
            "order": order,
            "dirname": dirname,
            "namespace": record.namespace,
        },
    }
    if isinstance(record, Tenant):
        context["tenant"] = {
            "name": record.name,
            "namespace": record.namespace,
            "owners": list(record.owners),
            "readers": list(record.readers),
            "quotas": tenant_quotas(catalog, cluster, record),
            "exposure": dict(record.exposure),
            "storage": record.storage,
            "storageClass": values["storageClasses"].get(record.storage, ""),
            "podSecurity": record.pod_security,
            "allow": [dict(a) for a in record.allow],
            "labels": dict(record.labels),
        }
    context["values"] = values
    values = interpolate(values, context, origins, record.origin)
    context["values"] = values
    if isinstance(record, Tenant):
        context["tenant"] = interpolate(
            context["tenant"], context, record.field_origins, record.origin, own="tenant"
        )
    if own:  # a Helm chart's values: its block, referencing the hierarchy above
        block: dict[str, Any] = {}
        block_origins: dict[tuple[str, ...], Origin] = {}
        for layer in own:
            block = deep_merge(block, layer.values)
            block_origins.update(layer.origins)
        values = interpolate(block, context, block_origins, record.origin, local=False)
    files = (platform, environment, cluster, record)
    sources = tuple(dict.fromkeys(f.origin.path for f in files))
    return RenderUnit(
        cluster=cluster,
        environment=environment,
        kind=kind,  # type: ignore[arg-type]
        name=record.name,
        order=order,
        dirname=dirname,
        namespace=record.namespace,
        component=component,
        values=values,
        context=context,
        sources=sources,
        origin=record.origin,
    )


def interpolate(
    values: Mapping[str, Any],
    context: Mapping[str, Any],
    origins: Mapping[tuple[str, ...], Origin],
    fallback: Origin,
    own: str = "values",
    local: bool = True,
) -> dict[str, Any]:
    """Replace ${a.b.c} references in every string under values.

    `${<own>.…}` names a key of these values; with local=False it names context[own] instead
    (a Helm operator's block references the hierarchy, never itself).

    A string that is exactly one reference takes the referenced value with its type; `$${x}`
    stays literally `${x}`. References to other values resolve recursively; a cycle or a
    dangling reference is an error naming the file and key that hold it.
    """
    plain = _copy_without_references(values)
    if plain is not None:  # most values reference nothing: no paths to build
        return plain
    resolved: dict[tuple[str, ...], Any] = {}
    resolving: list[tuple[str, ...]] = []

    def where(path: tuple[str, ...]) -> Origin:
        for cut in range(len(path), 0, -1):
            if path[:cut] in origins:
                return origins[path[:cut]]
        return fallback

    def lookup(reference: str, at: tuple[str, ...]) -> Any:
        parts = tuple(reference.strip().split("."))
        if parts[0] == own and local:
            return value_at(parts[1:], at)
        node: Any = context
        for part in parts:
            if not isinstance(node, Mapping) or part not in node:
                raise _dangling(reference, at, where(at), own)
            node = node[part]
        return node

    def value_at(path: tuple[str, ...], at: tuple[str, ...]) -> Any:
        node: Any = values
        for part in path:
            if not isinstance(node, Mapping) or part not in node:
                raise _dangling(f"{own}." + ".".join(path), at, where(at), own)
            node = node[part]
        return resolve(node, path)

    def resolve(node: Any, path: tuple[str, ...]) -> Any:
        if isinstance(node, Mapping):
            return {k: resolve(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v, (*path, str(i))) for i, v in enumerate(node)]
        if not isinstance(node, str) or "${" not in node:
            return node
        if path in resolved:
            return resolved[path]
        if path in resolving:
            chain = " → ".join(
                f"{own}." + ".".join(p) for p in (*resolving[resolving.index(path) :], path)
            )
            raise GeneratorError(
                f"{own}.{'.'.join(path)}: interpolation cycle: {chain}",
                where(path),
                "break the cycle: one of these values must not reference the others",
            )
        resolving.append(path)
        whole = REFERENCE.fullmatch(node)
        if whole and not whole.group(1):
            result = lookup(whole.group(2), path)
        else:
            result = REFERENCE.sub(
                lambda m: (
                    "${" + m.group(2) + "}"
                    if m.group(1)
                    else _text(lookup(m.group(2), path), m.group(2), path, where, own)
                ),
                node,
            )
        resolving.pop()
        if isinstance(result, str) and len(result) > MAX_INTERPOLATED:
            raise GeneratorError(
                f"{own}.{'.'.join(path)}: interpolation makes a string of {len(result):,} "
                f"characters (the limit is {MAX_INTERPOLATED:,})",
                where(path),
                "references that embed each other several times grow exponentially; "
                "reference the value once",
            )
        resolved[path] = result
        return result

    result: dict[str, Any] = resolve(values, ())
    return result


_SCALARS = frozenset({int, float, bool, type(None)})


class _Reference(Exception):
    """A string holding `${` was met: the values need the full walk."""


def _copy_without_references(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """What resolve() makes of values that hold no `${` (fresh dicts and lists, the same
    scalars), None when one does or a container is not a plain dict or list."""

    def copy(node: Any) -> Any:
        kind = type(node)
        if kind is str:
            if "${" in node:
                raise _Reference
            return node
        if kind is dict:
            return {k: copy(v) for k, v in node.items()}
        if kind is list:
            return [copy(v) for v in node]
        if kind in _SCALARS:
            return node
        raise _Reference  # any other type: the full walk knows what to do with it

    try:
        return copy(values) if type(values) is dict else None
    except _Reference:
        return None


def _text(value: Any, reference: str, at: tuple[str, ...], where: Any, own: str) -> str:
    if isinstance(value, Mapping | list):
        raise GeneratorError(
            f"{own}.{'.'.join(at)}: '${{{reference}}}' is a "
            f"{'mapping' if isinstance(value, Mapping) else 'list'} and cannot be embedded in text",
            where(at),
            "reference a scalar, or make the whole string the reference to copy the structure",
        )
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _dangling(reference: str, at: tuple[str, ...], origin: Origin, own: str) -> GeneratorError:
    return GeneratorError(
        f"{own}.{'.'.join(at)}: reference '${{{reference}}}' does not resolve",
        origin,
        "reference platform.*, environment.*, cluster.*, component.*, tenant.* or values.* keys "
        "that exist "
        "(write $${...} for a literal '${')",
    )
