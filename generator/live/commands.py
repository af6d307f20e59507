"""CLI arguments → one asyncio run per step of bootstrap, drift and schemas pull → results.

The click commands call these synchronous functions; each opens one kr8s session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.live.bootstrap import BootstrapPlan, PlannedChange, apply_bootstrap, plan_bootstrap
from generator.live.client import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, connect
from generator.live.drift import DriftReport, detect_drift
from generator.live.kubeconfig import KubeContext, resolve_context
from generator.live.rendered import check_server, read_bootstrap, read_manifests
from generator.live.schemas_pull import SchemaFile, SchemaWrite, pull_schemas, write_schemas
from generator.model import Cluster, Manifest

# A managed cluster's folders whose objects its management cluster's Argo CD holds.
CONTROL_FOLDERS = ("apps", "bootstrap")


@dataclass(frozen=True, slots=True)
class Target:
    """A catalog cluster and the kube context checked to reach it."""

    cluster: str
    gitops: str
    managed_by: str  # the management cluster whose Argo CD bootstraps this one, or ""
    context: KubeContext
    manages: tuple[str, ...] = ()  # the clusters whose Argo CD objects live on this one


def target(
    repo: Path,
    cluster: str,
    *,
    context: str | None,
    kubeconfig: str | None,
    allow_server_mismatch: bool = False,
    bootstrap: bool = False,
) -> Target:
    """The catalog's cluster and the checked kube context; with `bootstrap`, a managed cluster
    is refused before the kubeconfig is read."""
    from generator.catalog import load_catalog

    catalog = load_catalog(repo)
    found = next((c for c in catalog.clusters if c.name == cluster), None)
    if found is None:
        names = ", ".join(sorted(c.name for c in catalog.clusters)) or "none"
        raise GeneratorError(
            f"cluster '{cluster}' is not in the catalog",
            hint=f"use one of: {names} (files under catalog/clusters/)",
        )
    if bootstrap and found.managed_by:
        refuse_managed_bootstrap(repo, found)
    kube = resolve_context(context, kubeconfig=kubeconfig)
    if not allow_server_mismatch:
        check_server(kube, found.name, found.api_server)
    manages = tuple(sorted(c.name for c in catalog.clusters if c.managed_by == found.name))
    return Target(found.name, found.gitops, found.managed_by, kube, manages)


def refuse_managed_bootstrap(repo: Path, cluster: Cluster) -> None:
    """The management cluster's Argo CD applies a managed cluster's bootstrap/ (into itself,
    through `<cluster>-bootstrap`); applying it into the managed cluster would start a second,
    unwanted copy of the root there."""
    from generator.gitops import catalog_positions

    management = cluster.managed_by
    raise GeneratorError(
        f"cluster '{cluster.name}' is managed by '{management}', whose Argo CD applies "
        f"rendered/{cluster.name}/bootstrap/: there is nothing to bootstrap by hand",
        catalog_positions(repo)(cluster.origin, "managedBy"),
        f"run 'generator bootstrap {management}' once, register '{cluster.name}' with the "
        f"Argo CD of '{management}', then render and push (see docs/gitops.md)",
    )


def bootstrap_plan(
    repo: Path, where: Target, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[PurePosixPath, list[Manifest], BootstrapPlan]:
    folder, manifests = read_bootstrap(repo, where.cluster, where.gitops)
    if not manifests:
        raise GeneratorError(
            f"'{folder}/' holds no objects",
            hint=f"run 'generator render --cluster {where.cluster}' first",
        )

    async def run() -> BootstrapPlan:
        async with connect(where.context, timeout=timeout) as client:
            return await plan_bootstrap(client, manifests)

    return folder, manifests, asyncio.run(run())


def bootstrap_apply(
    where: Target,
    manifests: Sequence[Manifest],
    plan: BootstrapPlan,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    on_applied: Callable[[PlannedChange], None] = lambda change: None,
) -> None:
    async def run() -> None:
        async with connect(where.context, timeout=timeout) as client:
            await apply_bootstrap(client, manifests, plan, on_applied)

    asyncio.run(run())


def format_plan(plan: BootstrapPlan) -> str:
    lines = []
    for change in plan.changes:
        fields = f": {', '.join(change.fields)}" if change.fields else ""
        lines.append(f"  {change.action:<9} {change.key}  ({change.origin.path}){fields}")
    return "\n".join(lines)


def drift(
    repo: Path,
    where: Target,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> DriftReport:
    folder = PurePosixPath("rendered", where.cluster)
    if not (repo / folder).is_dir():
        raise GeneratorError(
            f"'{folder}/' does not exist",
            hint=f"run 'generator render --cluster {where.cluster}' first",
        )
    folders, manifests, note = drift_manifests(repo, where)

    async def run() -> DriftReport:
        async with connect(where.context, timeout=timeout, concurrency=concurrency) as client:
            return await detect_drift(client, manifests, where.cluster)

    return replace(asyncio.run(run()), folders=folders, note=note)


def drift_manifests(repo: Path, where: Target) -> tuple[tuple[str, ...], list[Manifest], str]:
    """(folders compared, their objects, a note on what lives elsewhere): the Argo CD objects
    of a managed cluster (apps/, bootstrap/) live on its management cluster, so they are
    compared there, and not here."""
    own = PurePosixPath("rendered", where.cluster)
    if where.managed_by:
        manifests = read_manifests(repo, own, skip=CONTROL_FOLDERS)
        note = (
            f"{own}/apps/ and bootstrap/ are not compared: their objects live on "
            f"'{where.managed_by}' (generator drift {where.managed_by})"
        )
        return (f"{own}/",), manifests, note
    folders = [own]
    for managed in where.manages:
        folders += [
            folder
            for name in CONTROL_FOLDERS
            if (repo / (folder := PurePosixPath("rendered", managed, name))).is_dir()
        ]
    manifests = [m for folder in folders for m in read_manifests(repo, folder)]
    return tuple(f"{folder}/" for folder in folders), manifests, ""


def schemas_pull(
    out: Path,
    *,
    context: str | None,
    kubeconfig: str | None,
    timeout: float = DEFAULT_TIMEOUT,
    force: bool = False,
) -> tuple[str, SchemaWrite]:
    """Returns the context name and what was written."""
    kube = resolve_context(context, kubeconfig=kubeconfig)

    async def run() -> list[SchemaFile]:
        async with connect(kube, timeout=timeout) as client:
            return await pull_schemas(client)

    files = asyncio.run(run())
    return kube.name, write_schemas(files, out, force=force)
