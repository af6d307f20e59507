"""Rendered objects → [Finding]: every check of the registry in the scopes it applies to,
with waiver annotations applied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from typing import cast

from generator.kinds import scopes_of
from generator.model import Cluster as CatalogCluster
from generator.model import Finding, Manifest, RenderUnit
from generator.policies.crds import crd_orders
from generator.policies.pods import catalog_level, namespace_levels
from generator.policies.registry import RULES
from generator.policies.rule import (
    WAIVER_PREFIX,
    Cluster,
    ObjectCheck,
    Rule,
    Scope,
    Subject,
    Tenant,
    TenantCheck,
    Violation,
    annotations_of,
)

Rendered = Sequence[tuple[RenderUnit, list[Manifest]]]


def check_policies(
    cluster: CatalogCluster,
    rendered: Rendered,
    facts: Cluster | None = None,
    levels: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Every policy finding of one cluster's output, waivers applied, sorted by origin.
    `facts` and `levels` describe the whole cluster (cluster_facts, tenant_levels) when
    `rendered` holds only some of its units."""
    del cluster  # every rule reads what it needs from the units
    facts = cluster_facts(rendered) if facts is None else facts
    levels = tenant_levels(u for u, _ in rendered) if levels is None else levels
    findings: list[Finding] = []
    for unit, manifests in rendered:
        tenant = unit.kind == "tenant"
        for manifest in manifests:
            level = levels.get(unit.namespace if tenant else manifest.namespace)
            subject = Subject(manifest, level, unit, facts)
            findings.extend(_object_findings(subject))
        if tenant:
            findings.extend(_tenant_findings(Tenant(unit, manifests, facts)))
    return sorted(findings, key=lambda f: f.origin.sort_key)  # stable: render order on ties


def cluster_facts(rendered: Rendered) -> Cluster:
    """What checks may know of the rest of the cluster: its cluster roles, CRDs (with the
    operator installing each) and cluster secret stores."""
    return Cluster(
        {m.name: m.body for _, ms in rendered for m in ms if m.kind == "ClusterRole"},
        crd_orders(rendered),
        scopes_of(m for _, ms in rendered for m in ms),
        {m.name: m.body for _, ms in rendered for m in ms if m.kind == "ClusterSecretStore"},
    )


def tenant_levels(units: Iterable[RenderUnit]) -> dict[str, str]:
    """Tenant namespace → the Pod Security level its catalog entry sets."""
    return {u.namespace: catalog_level(u) for u in units if u.kind == "tenant"}


def check_manifests(manifests: Sequence[Manifest]) -> list[Finding]:
    """The checks that need no catalog, for `generator validate --policies`."""
    levels = namespace_levels(manifests)
    facts = Cluster(
        {m.name: m.body for m in manifests if m.kind == "ClusterRole"}, {}, scopes_of(manifests)
    )
    return [
        finding
        for manifest in manifests
        for finding in _object_findings(
            Subject(manifest, levels.get(manifest.namespace), None, facts)
        )
    ]


def check_secrets(manifests: Sequence[Manifest]) -> list[Finding]:
    """Only the rules that hold even when validation is switched off."""
    facts = Cluster({}, {}, scopes_of(()))
    return [
        finding
        for manifest in manifests
        for finding in _object_findings(Subject(manifest, None, None, facts), unvalidated=True)
    ]


def _applies(scope: Scope, shape: tuple[bool, bool, bool]) -> bool:
    rendered, tenant_unit, tenant_namespace = shape
    if scope is Scope.OBJECT:
        return True
    if scope is Scope.TENANT_NAMESPACE:
        return tenant_namespace
    if scope is Scope.TENANT_OBJECT:
        return tenant_unit
    if scope is Scope.RENDERED_OBJECT:
        return rendered
    return False  # Scope.TENANT looks at a whole tenant, not at one object


@cache
def _object_checks(
    unvalidated: bool, shape: tuple[bool, bool, bool]
) -> list[tuple[Rule, ObjectCheck]]:
    """The object checks that apply to subjects of this shape (of the rules that hold
    without validation, or of all), in registry order: the order of an object's findings."""
    return [
        (rule, cast("ObjectCheck", check.run))
        for rule in RULES.values()
        if rule.without_validation or not unvalidated
        for check in rule.checks
        if _applies(check.scope, shape)
    ]


def _object_findings(subject: Subject, unvalidated: bool = False) -> Iterator[Finding]:
    unit = subject.unit
    shape = (unit is not None, unit is not None and unit.kind == "tenant",
             subject.tenant_level is not None)  # fmt: skip
    violations: list[tuple[Rule, Violation]] = []
    for rule, run in _object_checks(unvalidated, shape):
        violations.extend((rule, v) for v in run(subject))
    yield from _apply_waivers(subject.manifest, violations)


def _tenant_findings(tenant: Tenant) -> Iterator[Finding]:
    for rule in RULES.values():
        for check in rule.checks:
            if check.scope is not Scope.TENANT:
                continue
            for anchor, message, hint in cast("TenantCheck", check.run)(tenant):
                if anchor is not None:
                    yield from _apply_waivers(anchor, [(rule, (message, hint))])
                else:
                    yield Finding(tenant.unit.origin, None, message, hint, rule.id)


def _apply_waivers(
    manifest: Manifest, violations: Sequence[tuple[Rule, Violation]]
) -> Iterator[Finding]:
    found = annotations_of(manifest.body)
    for rule, (message, hint) in violations:
        waiver = found.get(WAIVER_PREFIX + rule.id)
        if waiver is not None and not rule.waivable:
            message += " (the waiver is ignored)"
            hint = f"{WAIVER_PREFIX}{rule.id} has no effect: {rule.unwaivable_because}; {hint}"
        elif waiver is not None:
            if str(waiver).strip():
                continue
            hint = f"say why in the annotation: {WAIVER_PREFIX}{rule.id}: '<reason>'"
            message += " (the waiver gives no reason)"
        yield Finding(manifest.origin, manifest.key, message, hint, rule.id)
