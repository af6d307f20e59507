"""A revision's catalog → what the tenant library renders for each (cluster, tenant) before
overlays: the generated baseline the RBAC and NetworkPolicy rules do not report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from pathlib import Path
from typing import Any

from generator.diff.trees import Checkout, Revision, temporary_worktree
from generator.errors import GeneratorError

TenantObjects = dict[tuple[str, str], Sequence[Mapping[str, Any]]]


def render_tenants(project: Path, wanted: Set[tuple[str, str]]) -> TenantObjects:
    """The engine stage alone for the wanted (cluster, tenant) units of the catalog in
    `project`."""
    from generator.catalog import load_catalog
    from generator.engines import engine
    from generator.merge import resolve_units

    catalog = load_catalog(project)
    return {
        (unit.cluster.name, unit.name): [
            m.body for m in engine(unit.component.engine)(unit, project)
        ]
        for unit in resolve_units(catalog)
        if unit.kind == "tenant" and (unit.cluster.name, unit.name) in wanted
    }


def tenant_baseline(
    checkout: Checkout, revision: Revision, wanted: Set[tuple[str, str]]
) -> TenantObjects | None:
    """None when the revision's catalog does not render: the diff then reports every tenant
    RBAC and NetworkPolicy change, and `generator render` names the catalog's problem."""
    try:
        if not revision.sha:
            return render_tenants(checkout.project, wanted)
        with temporary_worktree(checkout, revision.sha) as project:
            return render_tenants(project, wanted)
    except GeneratorError:
        return None
