"""Catalog → problems with references between files: unknown environments, clusters,
operators and tenants, duplicate names, clashing namespaces."""

from __future__ import annotations

import difflib

from generator.catalog.records import Locate
from generator.errors import GeneratorError
from generator.model import Catalog, Operator, Origin, Tenant


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
    namespaces: dict[str, str] = {}
    for tenant in catalog.tenants:
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
        if tenant.namespace in {o.namespace for o in catalog.operators}:
            problems.append(
                GeneratorError(
                    f"namespace: '{tenant.namespace}' belongs to an operator",
                    at(tenant.origin, "namespace"),
                    "tenants get their own namespace (default ns-<tenant>)",
                )
            )


def _unknown(key: str, value: str, known: set[str], origin: Origin, what: str) -> GeneratorError:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else f"known {what}s: {', '.join(sorted(known)) or 'none'}"
    )
    return GeneratorError(f"{key}: unknown {what} '{value}'", origin, hint)
