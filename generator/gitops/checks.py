"""Catalog (+ its RenderUnits) → the GitOps problems found without rendering: managedBy that
no Argo CD can honour, reserved operator names, Argo CD object names past 63 characters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError, GeneratorErrors
from generator.model import Catalog, Cluster, Origin, RenderUnit

# at(origin, *key_path, value=False) → where that key is written in the file origin names
Locate = Callable[..., Origin]
# Argo CD's default label tracking writes the Application name into a label value.
MAX_NAME = 63
# Taken on every cluster, whatever its GitOps tool, so an operator can move between Argo CD and
# Flux clusters: `<cluster>-root` and `<cluster>-bootstrap` are Argo CD's control Applications,
# `flux-system` is Flux's entry point, and `tenant-<t>` names each tenant's objects.
RESERVED = ("root", "bootstrap", "flux-system")
TENANT_PREFIX = "tenant-"
RESERVED_HINT = (
    "'root', 'bootstrap', 'flux-system' and names starting with 'tenant-' are taken by the "
    "generator's own objects and the tenants"
)
# The longest name the generator gives a cluster's own Argo CD objects: `<cluster>-bootstrap`.
CONTROL_SUFFIX = "-bootstrap"


def check_catalog(
    catalog: Catalog, units: Sequence[RenderUnit] = (), at: Locate | None = None
) -> list[GeneratorError]:
    """Every problem, sorted by file and position. `units` adds the Application name check
    for the units given; `at` gives key positions (without it, the records' origins)."""
    locate: Locate = at or (lambda origin, *key_path, value=False: origin)
    problems = [*_managed_by(catalog, locate), *_reserved_names(catalog)]
    problems += _long_names(catalog, units, locate)
    return sorted(problems, key=lambda e: (e.origin or Origin.NOWHERE).sort_key)


def raise_problems(problems: Sequence[GeneratorError]) -> None:
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise GeneratorErrors(problems)


def catalog_positions(repo: Path) -> Locate:
    """A Locate that reads the catalog files of `repo` on first use: only a problem needs one."""
    from generator.catalog.files import CatalogFile, read_files

    files: dict[PurePosixPath, CatalogFile] = {}

    def at(origin: Origin, *key_path: str | int, value: bool = False) -> Origin:
        if not files:
            files.update(read_files(repo, []))
        found = files.get(PurePosixPath(origin.path))
        return found.at(*key_path, value=value) if found else origin

    return at


def management_cluster(catalog: Catalog, cluster: Cluster) -> Cluster:
    """The cluster whose Argo CD holds this cluster's Applications: itself, or its managedBy
    (check_catalog has made sure that one exists and runs its own Argo CD)."""
    if not cluster.managed_by:
        return cluster
    return next(c for c in catalog.clusters if c.name == cluster.managed_by)


def _managed_by(catalog: Catalog, at: Locate) -> list[GeneratorError]:
    clusters: Mapping[str, Cluster] = {c.name: c for c in catalog.clusters}
    problems = []
    for cluster in catalog.clusters:
        name = cluster.managed_by
        if not name:
            continue
        where = at(cluster.origin, "managedBy")
        if cluster.gitops == "flux":
            problems.append(
                GeneratorError(
                    f"cluster '{cluster.name}' uses gitops: flux but names managedBy '{name}'",
                    where,
                    "Flux runs inside each cluster: remove managedBy, or set gitops: argocd to "
                    "have the management cluster's Argo CD deploy it",
                )
            )
            continue
        management = clusters.get(name)
        if name == cluster.name or management is None:
            known = ", ".join(sorted(n for n in clusters if n != cluster.name)) or "none"
            problems.append(
                GeneratorError(
                    f"cluster '{cluster.name}': managedBy '{name}' is not another cluster of the "
                    "catalog",
                    where,
                    f"set managedBy to the management cluster (one of: {known}) or remove it",
                )
            )
        elif management.gitops != "argocd" or management.managed_by:
            problems.append(
                GeneratorError(
                    f"cluster '{cluster.name}': managedBy '{name}', but '{name}' does not run "
                    "its own Argo CD",
                    where,
                    "choose a management cluster with gitops: argocd and no managedBy, "
                    f"or change cluster '{name}'",
                )
            )
        if not cluster.api_server:
            problems.append(
                GeneratorError(
                    f"cluster '{cluster.name}' is managed by '{name}' but has no apiServer",
                    at(cluster.origin, "apiServer"),
                    "set apiServer to the URL the management cluster's Argo CD reaches it at",
                )
            )
    return problems


def _reserved_names(catalog: Catalog) -> list[GeneratorError]:
    # An operator's name is its file name, so the file is the position.
    return [
        GeneratorError(
            f"operator name '{operator.name}' is reserved",
            Origin(PurePosixPath(operator.origin.path)),
            f"rename the file: {RESERVED_HINT}",
        )
        for operator in catalog.operators
        if operator.name in RESERVED or operator.name.startswith(TENANT_PREFIX)
    ]


def _long_names(catalog: Catalog, units: Sequence[RenderUnit], at: Locate) -> list[GeneratorError]:
    problems = []
    argocd = [c for c in catalog.clusters if c.gitops == "argocd"]
    for cluster in argocd:
        name = f"{cluster.name}{CONTROL_SUFFIX}"
        if len(name) > MAX_NAME:
            problems.append(_too_long(name, at(cluster.origin, "name")))
    names = {c.name for c in argocd}
    for unit in units:
        if unit.cluster.name not in names:
            continue
        tenant = unit.kind == "tenant"
        name = f"{unit.cluster.name}-{TENANT_PREFIX if tenant else ''}{unit.name}"
        if len(name) > MAX_NAME:  # only then are the catalog files read for a position
            where = at(unit.origin, "name") if tenant else Origin(PurePosixPath(unit.origin.path))
            problems.append(_too_long(name, where))
    return problems


def _too_long(name: str, where: Origin) -> GeneratorError:
    return GeneratorError(
        f"Application name '{name}' is longer than {MAX_NAME} characters",
        where,
        "shorten the cluster, operator or tenant name",
    )
