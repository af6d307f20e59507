"""CLI arguments → one asyncio run per step of bootstrap, drift and schemas pull → results.

The click commands call these synchronous functions; each opens one kr8s session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.live.bootstrap import BootstrapPlan, PlannedChange, apply_bootstrap, plan_bootstrap
from generator.live.client import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, connect
from generator.live.drift import DriftReport, detect_drift
from generator.live.kubeconfig import KubeContext, resolve_context
from generator.live.rendered import check_server, read_bootstrap, read_manifests
from generator.live.schemas_pull import SchemaFile, pull_schemas, write_schemas
from generator.model import Manifest


@dataclass(frozen=True, slots=True)
class Target:
    """A catalog cluster and the kube context checked to reach it."""

    cluster: str
    gitops: str
    managed_by: str  # the management cluster whose Argo CD bootstraps this one, or ""
    context: KubeContext


def target(
    repo: Path,
    cluster: str,
    *,
    context: str | None,
    kubeconfig: str | None,
    allow_server_mismatch: bool = False,
) -> Target:
    from generator.catalog import load_catalog

    catalog = load_catalog(repo)
    found = next((c for c in catalog.clusters if c.name == cluster), None)
    if found is None:
        names = ", ".join(sorted(c.name for c in catalog.clusters)) or "none"
        raise GeneratorError(
            f"cluster '{cluster}' is not in the catalog",
            hint=f"use one of: {names} (files under catalog/clusters/)",
        )
    kube = resolve_context(context, kubeconfig=kubeconfig)
    if not allow_server_mismatch:
        check_server(kube, found.name, found.api_server)
    return Target(found.name, found.gitops, found.managed_by, kube)


def bootstrap_plan(
    repo: Path, where: Target, *, timeout: float = DEFAULT_TIMEOUT
) -> tuple[PurePosixPath, list[Manifest], BootstrapPlan]:
    if where.managed_by and not (repo / "rendered" / where.cluster / "bootstrap").is_dir():
        raise GeneratorError(
            f"cluster '{where.cluster}' is bootstrapped by the Argo CD of '{where.managed_by}', "
            "so it has nothing to apply by hand",
            hint=f"bootstrap '{where.managed_by}' (once), register '{where.cluster}' with its "
            "Argo CD, then render and push (see docs/gitops.md)",
        )
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
    manifests = read_manifests(repo, folder)

    async def run() -> DriftReport:
        async with connect(where.context, timeout=timeout, concurrency=concurrency) as client:
            return await detect_drift(client, manifests, where.cluster)

    return asyncio.run(run())


def schemas_pull(
    out: Path,
    *,
    context: str | None,
    kubeconfig: str | None,
    timeout: float = DEFAULT_TIMEOUT,
) -> tuple[str, int, int, int]:
    """Returns (context name, schema files, written, unchanged)."""
    kube = resolve_context(context, kubeconfig=kubeconfig)

    async def run() -> list[SchemaFile]:
        async with connect(kube, timeout=timeout) as client:
            return await pull_schemas(client)

    files = asyncio.run(run())
    written, unchanged = write_schemas(files, out)
    return kube.name, len(files), written, unchanged
