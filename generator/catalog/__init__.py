"""catalog/**.yaml + schemas/catalog/ → Catalog: read every file, check it against its
schema, build the records, check the references between them; all problems reported together."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.catalog import records
from generator.catalog.files import KINDS, CatalogFile, read_files
from generator.catalog.references import check_references
from generator.catalog.schema import PassedChecks
from generator.errors import GeneratorError, GeneratorErrors
from generator.model import Catalog, Origin

__all__ = ["PassedChecks", "load_catalog"]


def load_catalog(repo: Path, passed: PassedChecks | None = None) -> Catalog:
    """Read and check the whole catalog; every problem of the run is reported together.
    With `passed` (a render with its caches on), a document that passed its schema before is
    not checked again; the caller keeps the record once its run succeeded."""
    problems: list[GeneratorError] = []
    files = read_files(repo, problems)
    platform_file = files.pop(PurePosixPath("catalog/platform.yaml"), None)
    if platform_file is None and not any(
        p.origin and p.origin.path == PurePosixPath("catalog/platform.yaml") for p in problems
    ):
        problems.append(
            GeneratorError(
                "missing catalog/platform.yaml",
                Origin(PurePosixPath("catalog")),
                "create it with at least name, domain and gitops.repoURL (see docs/catalog.md)",
            )
        )
    by_kind: dict[str, list[CatalogFile]] = {kind: [] for kind in KINDS.values()}
    for path, catalog_file in sorted(files.items()):
        by_kind[KINDS[path.parts[1]]].append(catalog_file)
    passed = passed or PassedChecks(None)
    platforms = [platform_file] if platform_file else []
    checked = [f for f in platforms if passed.check(f, "platform", problems)]
    for kind, kind_files in by_kind.items():
        by_kind[kind] = [f for f in kind_files if passed.check(f, kind, problems)]
    if problems or platform_file is None or not checked:
        raise GeneratorErrors(problems)

    platform = records.platform(platform_file)
    environments = tuple(records.environment(f, problems) for f in by_kind["environment"])
    clusters = tuple(records.cluster(f, problems) for f in by_kind["cluster"])
    operators = tuple(o for f in by_kind["operator"] if (o := records.operator(f, problems)))
    tenants = tuple(records.tenant(f, problems) for f in by_kind["tenant"])
    located = {f.path: f for f in (platform_file, *files.values())}

    def at(origin: Origin, *key_path: str | int, value: bool = False) -> Origin:
        return located[origin.path].at(*key_path, value=value)

    components = records.components(repo, operators, tenants, problems, at)
    catalog = Catalog(platform, environments, clusters, operators, tenants, components)
    check_references(catalog, problems, at)
    if problems:
        raise GeneratorErrors(problems)
    return catalog
