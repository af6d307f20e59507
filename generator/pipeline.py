"""render_all(): catalog → units → engines → labels → validation → [RenderedFile], in order."""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from generator import render_cache
from generator.errors import GeneratorError, GeneratorErrors
from generator.identity import check_objects
from generator.kinds import Scopes, scopes_of
from generator.labels import COMPONENT_LABEL, common_labels
from generator.model import (
    Catalog,
    Cluster,
    Finding,
    Manifest,
    Reads,
    RenderedFile,
    RenderUnit,
    ResourceKey,
)
from generator.pool import ordered, usable_cpus
from generator.unit_cache import UnitCache
from generator.writer import RENDERED, TreeChanges, compare, layout, read_tree, write_tree

if TYPE_CHECKING:
    from generator.overlays.targets import TargetReport
    from generator.provenance.blame import OverlayTrace
    from generator.provenance.unused import Unused


# progress(clusters done, clusters in all, the cluster just done), for a terminal's progress bar
Progress = Callable[[int, int, str], None]

# Below this many clusters a render is faster in one process than with a pool's start-up.
POOL_MIN_CLUSTERS = 8


@dataclass
class RenderResult:
    files: list[RenderedFile]
    findings: list[Finding]
    clusters: tuple[str, ...]
    full: bool  # every cluster of the catalog was rendered
    timings: dict[str, float] = field(default_factory=dict)
    # what each unit's engine and its cluster's overlays read, by (cluster, unit dirname)
    reads: dict[tuple[str, str], Reads] = field(default_factory=dict)
    cache_key: str = ""  # the inputs' fingerprint ("" without the render cache)
    # rendered/ is known to hold this render already: `files` is left empty, this many are there
    unchanged: int | None = None

    @property
    def count(self) -> int:
        return self.unchanged if self.unchanged is not None else len(self.files)

    def timings_text(self) -> str:
        return "timings: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in self.timings.items())


def render_all(
    repo: Path,
    *,
    clusters: Sequence[str] = (),
    validate: bool = True,
    use_cache: bool = True,
    jobs: int | None = 1,
    progress: Progress | None = None,
    trust_tree: bool = False,
) -> RenderResult:
    """`jobs` processes render clusters side by side (None: decide by the number of clusters);
    the result is the same for any number. `progress(done, total, cluster)` hears of each
    cluster as it completes (nothing when the render cache answers). With `trust_tree`, a
    rendered/ untouched since it was written for these very inputs is answered from file
    metadata alone (`unchanged`, no files), for `write` and `stale_files` to pass through."""
    timings: dict[str, float] = {}
    with _timed(timings, "fingerprint"):
        key = render_cache.fingerprint(repo, clusters, validate) if use_cache else ""
    if key and trust_tree:  # the no-op of a large fleet: stat 50,000 files, read none
        with _timed(timings, "rendered index"):
            known = render_cache.recall_tree(repo, key, repo / RENDERED)
        if known is not None:
            count, names = known
            return RenderResult(
                [], [], names, not clusters, timings, cache_key=key, unchanged=count
            )
    cached = render_cache.load(repo, key) if key else None
    if cached is not None:  # an unchanged catalog, already rendered and validated
        names = tuple(sorted({f.relpath.parts[0] for f in cached} | set(clusters)))
        return RenderResult(cached, [], names, not clusters, timings, cache_key=key)
    units = UnitCache(repo) if use_cache else None
    result = _render(repo, clusters, validate, timings, units, jobs, progress)
    if units is not None:
        units.prune()
    if key and not result.findings:
        render_cache.store(repo, key, result.files)
        result.cache_key = key
    return result


def _render(
    repo: Path,
    clusters: Sequence[str],
    validate: bool,
    timings: dict[str, float],
    cache: UnitCache | None = None,
    jobs: int | None = 1,
    progress: Progress | None = None,
) -> RenderResult:
    from generator.catalog import load_catalog
    from generator.gitops.checks import raise_problems
    from generator.merge import resolve_units
    from generator.overlays.targets import TargetReport

    with _timed(timings, "catalog"):
        catalog = load_catalog(repo)  # read and check every catalog file
    with _timed(timings, "merge"):
        units = resolve_units(catalog, clusters)  # merge values: platform → env → cluster → unit
        _check_before_render(repo, catalog, units)  # overlay folders, GitOps naming rules
    by_cluster: dict[str, list[RenderUnit]] = defaultdict(list)
    for unit in units:
        by_cluster[unit.cluster.name].append(unit)
    selected = [
        c
        for c in sorted(catalog.clusters, key=lambda c: c.name)
        if not clusters or c.name in clusters
    ]
    files: list[RenderedFile] = []
    findings: list[tuple[str, Finding]] = []
    targets = TargetReport()
    reads: dict[tuple[str, str], Reads] = {}
    problems: list[GeneratorError] = []
    # Clusters are independent: a pool renders them in any order, results arrive in this one,
    # so output, findings and errors are those of a serial render.
    work = [(repo, catalog, c, by_cluster[c.name], validate, cache) for c in selected]
    if jobs is None:  # a worker starts by importing the engines (about a second): few clusters
        jobs = usable_cpus() if len(work) >= POOL_MIN_CLUSTERS else 1  # render faster alone
    for done, result in enumerate(ordered(_cluster_result, work, jobs), start=1):
        if progress is not None:
            progress(done, len(work), result.cluster)
        problems += result.problems  # the other clusters' engine errors are reported too
        targets.merge(result.targets)
        files += result.files
        findings += [(result.cluster, f) for f in result.findings]
        reads.update(result.reads)
        for name, seconds in result.timings.items():
            timings[name] = timings.get(name, 0.0) + seconds
        if cache is not None:
            cache.used.update(result.used)
    if problems:
        unique = list({str(p): p for p in problems}.values())
        raise unique[0] if len(unique) == 1 else GeneratorErrors(unique)
    # a patch target that selects nothing in every cluster it applies to is a typo, not a no-op
    raise_problems(targets.errors())
    names = tuple(c.name for c in selected)
    return RenderResult(files, _per_source(findings), names, not clusters, timings, reads)


@dataclass
class _ClusterResult:
    cluster: str
    files: list[RenderedFile]
    findings: list[Finding]
    reads: dict[tuple[str, str], Reads]
    timings: dict[str, float]
    used: set[str]  # unit cache entries read or written
    problems: list[GeneratorError]  # engine errors of the cluster's units, all of them
    targets: TargetReport  # which overlay patch targets selected something here


def _cluster_result(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    units_of_cluster: Sequence[RenderUnit],
    validate: bool,
    cache: UnitCache | None,
) -> _ClusterResult:
    """One cluster: engines, overlays, GitOps objects, checks and validation, then layout."""
    from generator.overlays.targets import TargetReport
    from generator.provenance.blame import OverlayTrace, blame_overlays

    timings: dict[str, float] = {}
    used = set(cache.used) if cache is not None else set()
    targets = TargetReport()
    trace = OverlayTrace()
    try:
        rendered, read = _render_cluster(
            repo, catalog, cluster, units_of_cluster, timings, targets, cache, trace
        )
    except GeneratorError as e:
        problems = e.errors if isinstance(e, GeneratorErrors) else [e]
        used = (cache.used - used) if cache is not None else set()
        return _ClusterResult(cluster.name, [], [], {}, timings, used, problems, targets)
    reads = {(cluster.name, unit.dirname): r for unit, r in read}
    with _timed(timings, "gitops"):
        # Argo CD / Flux objects
        handoff = _gitops(catalog, cluster, units_of_cluster, rendered)
    everything = [m for _, ms in rendered for m in ms]
    everything += [m for ms in handoff.values() for m in ms]
    _check_unique(cluster, everything)
    if validate:
        from generator.policies import check_policies
        from generator.validate import validate_cluster

        with _timed(timings, "validate"):  # schemas, then the platform's boundary rules
            found = validate_cluster(everything, cluster.kubernetes_version, repo)
            found += check_policies(cluster, rendered)
            # a finding an overlay introduced points at the overlay, not the template
            found = blame_overlays(cluster, found, rendered, trace, check_policies)
    else:  # even in an emergency, no plaintext secret reaches rendered/
        from generator.policies import check_secrets

        found = check_secrets(everything)
    catalog_files = {m.key: str(u.origin.path) for u, ms in rendered for m in ms}
    catalog_files.update({m.key: str(cluster.origin.path) for ms in handoff.values() for m in ms})
    findings = [replace(f, catalog=catalog_files.get(f.key, "") if f.key else "") for f in found]
    files: list[RenderedFile] = []
    with _timed(timings, "layout"):
        for unit, manifests in rendered:
            files.extend(
                layout(cluster.name, unit.dirname, manifests, unit.sources, trace.headers(unit))
            )
        for folder, manifests in handoff.items():
            files.extend(
                layout(cluster.name, folder, manifests, _cluster_sources(catalog, cluster))
            )
    used = (cache.used - used) if cache is not None else set()
    return _ClusterResult(cluster.name, files, findings, reads, timings, used, [], targets)


def render_cluster(repo: Path, name: str) -> list[tuple[RenderUnit, list[Manifest]]]:
    """One cluster's units after the engines and every overlay layer, as rendered/ gets them
    (`generator build`); nothing is validated or written."""
    from generator.catalog import load_catalog
    from generator.gitops.checks import raise_problems
    from generator.merge import resolve_units
    from generator.overlays.targets import TargetReport

    catalog = load_catalog(repo)
    units = resolve_units(catalog, [name])
    _check_before_render(repo, catalog, units)
    cluster = next(c for c in catalog.clusters if c.name == name)
    targets = TargetReport()
    rendered, _ = _render_cluster(repo, catalog, cluster, units, {}, targets)
    raise_problems(targets.errors())
    return rendered


def _per_source(findings: Sequence[tuple[str, Finding]]) -> list[Finding]:
    """One finding per problem, naming every cluster it occurs in, sorted by source file: a
    template shared by four clusters is fixed once."""
    clusters: dict[tuple[Any, ...], list[str]] = defaultdict(list)
    first: dict[tuple[Any, ...], Finding] = {}
    for cluster, finding in findings:
        key = (finding.origin.sort_key, str(finding.key), finding.rule, finding.message)
        clusters[key].append(cluster)
        first.setdefault(key, finding)
    merged = [
        replace(finding, clusters=tuple(sorted(set(clusters[key]))))
        for key, finding in first.items()
    ]
    return sorted(merged, key=lambda f: (f.origin.sort_key, str(f.key), f.rule, f.message))


def _gitops(
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    rendered: Sequence[tuple[RenderUnit, list[Manifest]]],
) -> dict[str, list[Manifest]]:
    from generator.gitops import gitops_manifests

    by_dirname = {unit.dirname: manifests for unit, manifests in rendered}
    labels = common_labels(catalog.platform.name, cluster.name, "gitops")
    return {
        folder: [_with_labels(m, labels) for m in manifests]
        for folder, manifests in gitops_manifests(catalog, cluster, units, by_dirname).items()
    }


def _cluster_sources(catalog: Catalog, cluster: Cluster) -> tuple[PurePosixPath, ...]:
    environment = catalog.environment(cluster.environment)
    return tuple(PurePosixPath(r.origin.path) for r in (catalog.platform, environment, cluster))


def _render_cluster(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    timings: dict[str, float],
    targets: TargetReport,
    cache: UnitCache | None = None,
    trace: OverlayTrace | None = None,
) -> tuple[list[tuple[RenderUnit, list[Manifest]]], list[tuple[RenderUnit, Reads]]]:
    """The cluster's units after engines, overlays and common labels, and what each unit's
    output was made from: its engine's reads and its cluster's overlay folders. `trace`
    receives what each overlay step changed."""
    from generator.engines import render_unit
    from generator.overlays.scopes import apply_overlays

    rendered = []
    reads = []
    problems: list[GeneratorError] = []
    for unit in units:
        try:
            with _timed(timings, "unit cache"):  # the unit's output, if nothing it read changed
                key, result = cache.load(unit) if cache is not None else ("", None)
            if result is None:
                with _timed(timings, f"engine:{unit.component.engine}"):
                    result = render_unit(unit, repo)  # template, evaluate or chart
                if cache is not None:
                    cache.store(key, result)
            manifests = list(result.manifests)
            check_objects(manifests, unit.label)  # names and kinds before overlays read them
        except GeneratorError as e:  # every unit's problem in one run, not only the first
            problems.extend(e.errors if isinstance(e, GeneratorErrors) else [e])
            continue
        rendered.append((unit, manifests))
        reads.append((unit, result.reads))
    if problems:
        raise problems[0] if len(problems) == 1 else GeneratorErrors(problems)
    overlay_folders: set[Path] = set()
    with _timed(timings, "overlays"):  # environment, then cluster: Kustomize semantics
        environment = catalog.environment(cluster.environment)
        changes = trace.changes if trace is not None else None
        engines = rendered
        overlaid = apply_overlays(
            repo, cluster, environment, rendered, targets, overlay_folders, changes
        )
        rendered = _keep_verbatim(rendered, overlaid)
    for unit, manifests in rendered:
        check_objects(manifests, unit.label)  # a prefix or patch may have made a name invalid
    overlays = Reads(folders=frozenset(_repo_relative(repo, p) for p in overlay_folders))
    scopes = scopes_of(m for _, ms in rendered for m in ms)
    decorated = [(unit, [_decorate(m, unit, catalog, scopes) for m in ms]) for unit, ms in rendered]
    if trace is not None:
        trace.before = lambda: [
            (unit, [_decorate(m, unit, catalog, scopes) for m in ms]) for unit, ms in engines
        ]
    return decorated, [(unit, read | overlays) for unit, read in reads]


def trace_cluster(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    trace: OverlayTrace,
) -> tuple[list[tuple[RenderUnit, list[Manifest]]], list[tuple[RenderUnit, Reads]]]:
    """Engines and overlays for some units of a cluster, recording what each overlay step
    changed (for `generator explain`); no validation, nothing written."""
    from generator.overlays.targets import TargetReport

    return _render_cluster(repo, catalog, cluster, units, {}, TargetReport(), trace=trace)


def _repo_relative(repo: Path, path: Path) -> PurePosixPath:
    return PurePosixPath(os.path.relpath(path, repo).replace(os.sep, "/"))


def _keep_verbatim(
    before: Sequence[tuple[RenderUnit, list[Manifest]]],
    after: list[tuple[RenderUnit, list[Manifest]]],
) -> list[tuple[RenderUnit, list[Manifest]]]:
    """Overlays must leave SOPS-encrypted objects as they are; carry their source text over."""
    originals = {m.key: m for _, ms in before for m in ms if m.verbatim}
    if not originals:
        return after
    kept = []
    for unit, manifests in after:
        out = []
        for m in manifests:
            original = originals.get(m.key)
            if original is None and "sops" in m.body:
                original = next(
                    (o for o in originals.values() if o.name == m.name and o.kind == m.kind), None
                )
            if original is not None:
                if m.body != original.body:
                    raise GeneratorError(
                        f"{unit.label}: an overlay changes SOPS-encrypted {original.key}",
                        original.origin,
                        "exclude it from the overlay's patches, labels and namespace, or change "
                        "the "
                        "source and encrypt it again: a modified file fails SOPS's MAC check",
                    )
                m = original
            out.append(m)
        kept.append((unit, out))
    return kept


def _with_labels(manifest: Manifest, labels: Mapping[str, str], namespace: str = "") -> Manifest:
    """Common labels on an object; `namespace` where it has none (namespaced kinds only)."""
    body: dict[str, Any] = dict(manifest.body)
    metadata: dict[str, Any] = dict(body.get("metadata") or {})
    metadata["labels"] = {**(metadata.get("labels") or {}), **labels}
    if namespace and not metadata.get("namespace"):
        metadata["namespace"] = namespace
    body["metadata"] = metadata
    return Manifest(body, manifest.origin)


def _decorate(manifest: Manifest, unit: RenderUnit, catalog: Catalog, scopes: Scopes) -> Manifest:
    """Common labels on every object; the unit's namespace on namespaced objects lacking one."""
    namespace = "" if scopes.cluster_scoped(manifest) else unit.namespace
    if manifest.verbatim:  # SOPS-encrypted: any change would break its MAC
        if namespace and not manifest.namespace:
            raise GeneratorError(
                f"{unit.label}: SOPS-encrypted {manifest.key} has no metadata.namespace",
                manifest.origin,
                f"set metadata.namespace: {namespace} before encrypting; the generator cannot "
                "add it "
                "without breaking the file's MAC",
            )
        return manifest
    return _with_labels(
        manifest, common_labels(catalog.platform.name, unit.cluster.name, unit.name), namespace
    )


def _check_unique(cluster: Cluster, manifests: Sequence[Manifest]) -> None:
    from generator.gitops.flux import CREATE_ONLY

    seen: dict[ResourceKey, Manifest] = {}
    for m in manifests:
        # Flux creates such an object only when absent (a tenant's Namespace, which the
        # tenant's own Kustomization then applies in full): a second owner by design.
        if m.metadata.get("annotations", {}).get(CREATE_ONLY[0]) == CREATE_ONLY[1]:
            continue
        if m.key in seen:
            other = seen[m.key]
            raise GeneratorError(
                f"{cluster.name}: {m.key} is rendered twice: by '{_component(other)}' "
                f"({other.origin}) and by '{_component(m)}'",
                m.origin,
                "each object may come from one component only; remove or rename one of them",
            )
        seen[m.key] = m


def _component(manifest: Manifest) -> str:
    return str(manifest.metadata.get("labels", {}).get(COMPONENT_LABEL, "?"))


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - start


def _scope(result: RenderResult) -> list[str] | None:
    return None if result.full else list(result.clusters)


def stale_files(repo: Path, result: RenderResult) -> list[str]:
    """`added: …`, `changed: …`, `removed: …` for every file of rendered/ that differs."""
    if result.unchanged is not None:
        return []
    stale = compare(read_tree(repo / RENDERED, _scope(result)), result.files).lines()
    if not stale:
        _remember(repo, result)
    return stale


def write(repo: Path, result: RenderResult) -> TreeChanges:
    if result.unchanged is not None:
        return TreeChanges((), (), ())
    changes = write_tree(repo / RENDERED, result.files, _scope(result))
    _remember(repo, result)
    return changes


def _remember(repo: Path, result: RenderResult) -> None:
    """rendered/ now holds this render: the next run with the same inputs may trust it."""
    if result.cache_key:
        render_cache.remember_tree(
            repo, result.cache_key, repo / RENDERED, len(result.files), result.clusters
        )


def _check_before_render(repo: Path, catalog: Catalog, units: Sequence[RenderUnit]) -> None:
    """What render refuses before rendering, so lint and render report it alike: overlay
    folders no cluster would apply (a misspelt one would be ignored) and the GitOps stage's
    rules (managedBy, reserved names, name lengths) and the promotion policy, at the key's
    position."""
    from generator.gitops.checks import catalog_positions, check_catalog, raise_problems
    from generator.overlays.scopes import check_layout
    from generator.promotion.versions import strict_violations

    raise_problems(check_layout(repo, catalog))
    raise_problems(check_catalog(catalog, units, catalog_positions(repo)))
    raise_problems(strict_violations(catalog, units))  # promotion.strict


def cluster_names(repo: Path) -> list[str]:
    from generator.catalog import load_catalog

    return [c.name for c in load_catalog(repo).clusters]


def lint(repo: Path) -> tuple[dict[str, int], list[str]]:
    """Check the catalog as render would before rendering; returns what it holds, counted,
    and warnings about values nothing reads."""
    from generator.catalog import load_catalog
    from generator.merge import resolve_units

    catalog = load_catalog(repo)
    units = resolve_units(catalog)  # also checks references and interpolation
    _check_before_render(repo, catalog, units)
    counts = {
        "clusters": len(catalog.clusters),
        "operators": len(catalog.operators),
        "tenants": len(catalog.tenants),
        "units": len(units),
    }
    return counts, [str(u) for u in unused_values(repo, catalog, units)]


def unused_values(repo: Path, catalog: Catalog, units: Sequence[RenderUnit]) -> list[Unused]:
    """Environment and cluster values no template reads: the engines say what they read (no
    overlays, no validation, no output); a unit the render cache holds is not rendered again."""
    from generator.engines import render_unit
    from generator.provenance.unused import unused_values as unused

    cache = UnitCache(repo)
    reads: dict[tuple[str, str], Reads] = {}
    for unit in units:
        key, result = cache.load(unit)
        if result is None:
            result = render_unit(unit, repo)
            cache.store(key, result)
        reads[(unit.cluster.name, unit.dirname)] = result.reads
    return list(unused(catalog, units, reads))
