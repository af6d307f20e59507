"""render_all(): catalog → units → engines → labels → validation → [RenderedFile], in order."""

from __future__ import annotations

import gc
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
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
    Environment,
    Finding,
    Manifest,
    Origin,
    Reads,
    Rendered,
    RenderedFile,
    RenderUnit,
    ResourceKey,
    TextSource,
    text_digest,
)
from generator.pool import ordered, usable_cpus
from generator.tree_stamp import restamp, stamp_of, stamp_processes, tree_stamp
from generator.unit_cache import SHARED_KINDS, UnitCache, UnitOutput
from generator.writer import (
    RENDERED,
    TreeChanges,
    compare_digests,
    digest_tree,
    layout,
    within,
    write_tree,
)

if TYPE_CHECKING:
    from generator.finished_cache import FinishedUnit, Identity, SharedFacts
    from generator.gitops.plan import UnitView
    from generator.overlays.targets import TargetReport
    from generator.provenance.blame import OverlayTrace
    from generator.provenance.unused import Unused


# progress(clusters done, clusters in all, the cluster just done), for a terminal's progress bar
Progress = Callable[[int, int, str], None]

# Below this many clusters a render is faster in one process than with a pool's start-up.
POOL_MIN_CLUSTERS = 8
# Above this many files, keeping a copy of the whole output (for a re-render of unchanged
# inputs over an edited rendered/) costs every render more than it saves: the per-unit caches
# answer that render nearly as fast.
WHOLE_CACHE_MAX_FILES = 5000


@dataclass
class RenderResult:
    files: list[RenderedFile]
    findings: list[Finding]
    clusters: tuple[str, ...]
    full: bool  # every cluster of the catalog was rendered
    timings: dict[str, float] = field(default_factory=dict)
    # units in all, engines run, units finished (overlays, checks, layout) rather than reused
    work: dict[str, int] = field(default_factory=dict)
    # what each unit's engine and its cluster's overlays read, by (cluster, unit dirname), for
    # the units finished by this render (all of them with use_cache=False)
    reads: dict[tuple[str, str], Reads] = field(default_factory=dict)
    cache_key: str = ""  # the inputs' fingerprint ("" without the render cache)
    # rendered/ is known to hold this render already: `files` is left empty, this many are there
    unchanged: int | None = None

    @property
    def count(self) -> int:
        return self.unchanged if self.unchanged is not None else len(self.files)

    def timings_text(self) -> str:
        text = "timings: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in self.timings.items())
        if self.work:
            text += "\nunits: " + ", ".join(f"{k} {v}" for k, v in self.work.items())
        return text


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
    with _few_collections():
        return _render_all(repo, clusters, validate, use_cache, jobs, progress, trust_tree)


def _render_all(
    repo: Path,
    clusters: Sequence[str],
    validate: bool,
    use_cache: bool,
    jobs: int | None,
    progress: Progress | None,
    trust_tree: bool,
) -> RenderResult:
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
    if units is not None:  # entries written: engine outputs, finished units, two per cluster
        units.prune(
            sum(result.work.get(k, 0) for k in ("rendered", "finished")) + 2 * len(result.clusters)
        )
    if key and not result.findings:
        if len(result.files) <= WHOLE_CACHE_MAX_FILES:
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
    from generator.catalog import PassedChecks, load_catalog
    from generator.gitops.checks import raise_problems
    from generator.merge import resolve_units
    from generator.overlays.targets import TargetReport

    with _timed(timings, "catalog"):
        # read every catalog file, check what changed since it last passed
        passed = PassedChecks(repo if cache is not None else None)
        catalog = load_catalog(repo, passed)
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
    counts: dict[str, int] = {}
    # Clusters are independent: a pool renders them in any order, results arrive in this one,
    # so output, findings and errors are those of a serial render.
    work = [(c, by_cluster[c.name]) for c in selected]
    if jobs is None:  # a worker starts by importing the engines (about a second): few clusters
        jobs = usable_cpus() if len(work) >= POOL_MIN_CLUSTERS else 1  # render faster alone
    shared = (repo, catalog, validate, cache)  # sent once to each worker
    for done, result in enumerate(ordered(_cluster_result, work, jobs, shared), start=1):
        if progress is not None:
            progress(done, len(work), result.cluster)
        problems += result.problems  # the other clusters' engine errors are reported too
        targets.merge(result.targets)
        files += _rendered_files(repo, result)
        findings += [(result.cluster, f) for f in result.findings]
        reads.update(result.reads)
        for name, seconds in result.timings.items():
            timings[name] = timings.get(name, 0.0) + seconds
        for name, count in result.work.items():
            counts[name] = counts.get(name, 0) + count
        if cache is not None:
            cache.used.update(result.used)
    if problems:
        unique = list({str(p): p for p in problems}.values())
        raise unique[0] if len(unique) == 1 else GeneratorErrors(unique)
    # a patch target that selects nothing in every cluster it applies to is a typo, not a no-op
    raise_problems(targets.errors())
    passed.keep()  # the catalog is sound: the next render checks only what changes
    names = tuple(c.name for c in selected)
    return RenderResult(
        files, _per_source(findings), names, not clusters, timings, counts, reads=reads
    )


# a file of rendered/ as a worker sends it: path, digest of the text, the text (None: it is in
# a finished-cache entry, see _ClusterResult.stored)
FileRow = tuple[str, str, str | None]


@dataclass
class _ClusterResult:
    cluster: str
    files: list[FileRow]  # plain values: cheap to send from a worker
    findings: list[Finding]
    reads: dict[tuple[str, str], Reads]
    timings: dict[str, float]
    used: set[str]  # unit cache entries read or written
    problems: list[GeneratorError]  # engine errors of the cluster's units, all of them
    targets: TargetReport  # which overlay patch targets selected something here
    work: dict[str, int] = field(default_factory=dict)  # RenderResult.work
    # finished-cache entries holding the texts of files[start:stop]: (key, start, stop)
    stored: list[tuple[str, int, int]] = field(default_factory=list)


def _cluster_result(
    repo: Path,
    catalog: Catalog,
    validate: bool,
    cache: UnitCache | None,
    cluster: Cluster,
    units_of_cluster: Sequence[RenderUnit],
) -> _ClusterResult:
    """One cluster: engines, overlays, checks and validation, layout, then GitOps objects. A
    unit whose inputs and neighbours are unchanged comes finished from the cache."""
    with _few_collections():  # also in a worker process
        return _finish_cluster(repo, catalog, validate, cache, cluster, units_of_cluster)


def _finish_cluster(
    repo: Path,
    catalog: Catalog,
    validate: bool,
    cache: UnitCache | None,
    cluster: Cluster,
    units_of_cluster: Sequence[RenderUnit],
) -> _ClusterResult:
    from generator.overlays.targets import TargetReport

    timings: dict[str, float] = {}
    used = set(cache.used) if cache is not None else set()
    targets = TargetReport()
    try:
        outputs = _engine_outputs(repo, units_of_cluster, timings, cache)
        finished, key = _finish(repo, catalog, cluster, outputs, validate, timings, targets, cache)
        files, findings = _handoff(
            repo, catalog, cluster, units_of_cluster, finished, validate, timings, cache, key
        )
    except GeneratorError as e:
        problems = e.errors if isinstance(e, GeneratorErrors) else [e]
        used = (cache.used - used) if cache is not None else set()
        return _ClusterResult(cluster.name, [], [], {}, timings, used, problems, targets)
    reads = {
        (cluster.name, unit.dirname): done.reads
        for unit in units_of_cluster
        if (done := finished[unit.dirname]).reads is not None
    }
    rows: list[FileRow] = []
    stored: list[tuple[str, int, int]] = []
    for unit in units_of_cluster:
        done = finished[unit.dirname]
        if done.texts is None:  # from the cache: the texts stay there unless one is written
            stored.append((done.stored, len(rows), len(rows) + len(done.listing)))
            rows += [(path, digest, None) for path, digest in done.listing]
        else:
            texts = zip(done.listing, done.texts, strict=True)
            rows += [(path, digest, text) for (path, digest), text in texts]
    rows += [(path, text_digest(text), text) for path, text in files]
    findings = [f for unit in units_of_cluster for f in finished[unit.dirname].findings] + findings
    used = (cache.used - used) if cache is not None else set()
    work = {
        "in all": len(units_of_cluster),
        "rendered": sum(1 for _, out in outputs if out.fresh),
        "finished": sum(1 for f in finished.values() if f.fresh),
    }
    return _ClusterResult(
        cluster.name, rows, findings, reads, timings, used, [], targets, work, stored
    )


def _rendered_files(repo: Path, result: _ClusterResult) -> list[RenderedFile]:
    from generator.finished_cache import StoredTexts

    rows = result.files
    sources: list[tuple[TextSource, int] | None] = [None] * len(rows)
    for key, start, stop in result.stored:
        source = StoredTexts(repo, key, [digest for _, digest, _ in rows[start:stop]])
        sources[start:stop] = [(source, i) for i in range(stop - start)]
    return [
        RenderedFile(path, text, digest=digest, source=source)
        for (path, digest, text), source in zip(rows, sources, strict=True)
    ]


def _engine_outputs(
    repo: Path, units: Sequence[RenderUnit], timings: dict[str, float], cache: UnitCache | None
) -> list[tuple[RenderUnit, UnitOutput]]:
    """Each unit's engine output, from the unit cache when nothing it read changed; every
    unit's problem is reported in one run, not only the first. The units to render are known
    before any is rendered, so that those an engine renders more cheaply together are."""
    from generator.engines import render_together, render_unit

    def engine(unit: RenderUnit) -> Rendered:
        with _timed(timings, f"engine:{unit.component.engine}"):
            return render_unit(unit, repo)  # template, evaluate or chart

    peeked: dict[str, tuple[str, UnitOutput | None]] = {}
    if cache is not None:
        with _timed(timings, "unit cache"):
            peeked = {u.dirname: cache.peek(u, partial(engine, u)) for u in units}
    missing = [u for u in units if peeked.get(u.dirname, ("", None))[1] is None]
    together: dict[str, Rendered] = {}
    if any(unit.component.engine == "jsonnet" for unit in missing):
        with _timed(timings, "engine:jsonnet"):
            together = render_together(missing, repo)
    outputs = []
    problems: list[GeneratorError] = []
    for unit in units:
        key, output = peeked.get(unit.dirname, ("", None))
        try:
            if output is None:
                made = together.get(unit.dirname) or engine(unit)
                with _timed(timings, "unit cache"):
                    output = UnitOutput.of(made) if cache is None else cache.store(key, made)
                # names and kinds before overlays read them (a cached one passed)
                check_objects(made.manifests, unit.label)
        except GeneratorError as e:
            problems.extend(e.errors if isinstance(e, GeneratorErrors) else [e])
            continue
        outputs.append((unit, output))
    if problems:
        raise problems[0] if len(problems) == 1 else GeneratorErrors(problems)
    return outputs


def _finish(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    outputs: Sequence[tuple[RenderUnit, UnitOutput]],
    validate: bool,
    timings: dict[str, float],
    targets: TargetReport,
    cache: UnitCache | None,
) -> tuple[dict[str, FinishedUnit], str]:
    """Each unit of the cluster finished, by dirname: from the cache where its key matches
    and the cluster's overlays allow finishing units apart (overlays.scopes.separable);
    the others through overlays, checks and layout, against the whole cluster's facts.
    Also the key of what the units share ("" when they cannot be finished apart)."""
    from generator.finished_cache import unit_key as finished_key
    from generator.overlays.scopes import separable
    from generator.policies.run import tenant_levels

    environment = catalog.environment(cluster.environment)
    levels = tenant_levels(unit for unit, _ in outputs)
    done: dict[str, FinishedUnit] = {}
    keys: dict[str, str] = {}
    facts: SharedFacts | None = None
    facts_key = ""
    if cache is not None and separable(repo, cluster, environment):
        with _timed(timings, "unit cache"):
            facts_key = _shared_key(
                repo, catalog, cluster, environment, outputs, levels, validate, cache
            )
            keys = {u.dirname: finished_key(facts_key, u, out) for u, out in outputs}
            facts = cache.finished.facts(facts_key)
            if facts is not None:
                for unit, _ in outputs:
                    entry = cache.finished.unit(keys[unit.dirname])
                    if entry is not None:
                        done[unit.dirname] = entry
                targets.missed.update(facts.missed)
                for entry in done.values():
                    targets.hit |= entry.hits
    fresh = [(unit, out.rendered()) for unit, out in outputs if unit.dirname not in done]
    if fresh or facts is None:
        made, facts, overlays = _finish_units(
            repo, catalog, cluster, fresh, facts, levels, validate, timings, targets
        )
        if cache is not None and keys:
            if not done:  # a build of every unit: what they share, as it found it
                cache.finished.keep_facts(facts_key, facts)
            for dirname, entry in made.items():
                cache.finished.keep_unit(keys[dirname], entry, overlays)
        done.update(made)
    return done, facts_key


def _shared_key(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    environment: Environment,
    outputs: Sequence[tuple[RenderUnit, UnitOutput]],
    levels: Mapping[str, str],
    validate: bool,
    cache: UnitCache,
) -> str:
    from generator.finished_cache import cluster_key, shared_key
    from generator.overlays.scopes import scope_dirs
    from generator.validate.cluster import CRD_SCHEMA_DIR

    folders = [*scope_dirs(repo, cluster, environment), repo / CRD_SCHEMA_DIR]
    digests = [cache.digests.folder(_repo_relative(repo, folder)) for folder in folders]
    identity = (catalog.platform.name, cluster.name, cluster.kubernetes_version, environment.name)
    own = cluster_key(cache.tool, validate, identity, digests)
    return shared_key(own, outputs, levels)


def _finish_units(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    outputs: list[tuple[RenderUnit, Rendered]],
    facts: SharedFacts | None,
    levels: Mapping[str, str],
    validate: bool,
    timings: dict[str, float],
    targets: TargetReport,
) -> tuple[dict[str, FinishedUnit], SharedFacts, Reads]:
    """Some or all units of a cluster through overlays, checks and layout. Without `facts`,
    `rendered` is the whole cluster and the facts are found in it; with them, only the
    given units go through the overlays (each object is changed on its own, see separable)."""
    from generator.finished_cache import FinishedUnit, SharedFacts
    from generator.gitops.plan import unit_view
    from generator.overlays.scopes import unit_key as overlay_unit_key
    from generator.policies import check_policies, check_secrets
    from generator.policies.run import cluster_facts
    from generator.provenance.blame import OverlayTrace, blame_overlays
    from generator.validate.cluster import cluster_validator, validate_objects

    trace = OverlayTrace()
    rendered = [(unit, list(out.manifests)) for unit, out in outputs]
    kinds = facts.before.scopes if facts is not None else None
    overlaid, overlays = _overlay(repo, catalog, cluster, rendered, timings, targets, trace, kinds)
    # common labels need each kind's scope: the cluster's CRDs after its overlays
    scopes = facts.after.scopes if facts is not None else scopes_of(_objects(overlaid))
    decorated = _decorated(catalog, overlaid, scopes)
    if facts is None:
        shared = [(u, [m for m in ms if m.kind in SHARED_KINDS]) for u, ms in rendered]
        facts = SharedFacts(
            cluster_facts(_decorated(catalog, shared, scopes)),
            cluster_facts(decorated),
            [m.body for _, ms in decorated for m in ms if m.kind == "CustomResourceDefinition"],
            dict(targets.missed),  # this cluster's build of all units missed these targets
        )
    # before layout, whose file-name clash would hide it; again with every unit in _handoff
    _check_unique(cluster, [_identity(m) for m in _objects(decorated)])
    version = cluster.kubernetes_version
    validator = cluster_validator(version, repo, facts.crds) if validate else None
    before = {unit.dirname: manifests for unit, manifests in rendered}
    reads = {unit.dirname: out.reads for unit, out in outputs}
    done: dict[str, FinishedUnit] = {}
    for unit, manifests in decorated:
        one = [(unit, manifests)]
        with _timed(timings, "validate"):  # schemas, then the platform's boundary rules
            if validator is not None:
                found = validate_objects(validator, manifests, version)
                found += check_policies(cluster, one, facts.after, levels)
                engine = before[unit.dirname]
                mine = OverlayTrace(
                    trace.changes, partial(_decorated, catalog, [(unit, engine)], scopes)
                )
                # a finding an overlay introduced points at the overlay, not the template
                found = blame_overlays(
                    cluster, found, one, mine,
                    lambda c, units: check_policies(c, units, facts.before, levels),
                )  # fmt: skip
            else:  # even in an emergency, no plaintext secret reaches rendered/
                found = check_secrets(manifests)
        catalog_file = str(unit.origin.path)
        with _timed(timings, "layout"):
            laid = layout(cluster.name, unit.dirname, manifests, unit.sources, trace.headers(unit))
        done[unit.dirname] = FinishedUnit(
            [(f.path, f.digest) for f in laid],
            [replace(f, catalog=catalog_file if f.key else "") for f in found],
            frozenset(targets.hits_by_unit.get(overlay_unit_key(unit), ())),
            [_identity(m) for m in manifests],
            unit_view(manifests),
            texts=[f.text for f in laid],
            reads=reads[unit.dirname] | overlays,
        )
    return done, facts, overlays


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
    rendered, _ = _render_cluster(repo, catalog, cluster, units, targets)
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
    by_dirname: Mapping[str, UnitView],
) -> dict[str, list[Manifest]]:
    """The GitOps objects by folder, with common labels; `by_dirname` holds what the GitOps
    stage reads of each unit's output (gitops.plan.unit_view)."""
    from generator.gitops import gitops_manifests

    labels = common_labels(catalog.platform.name, cluster.name, "gitops")
    return {
        folder: [_with_labels(m, labels) for m in manifests]
        for folder, manifests in gitops_manifests(
            catalog,
            cluster,
            units,
            by_dirname,
            checked=True,  # by _check_before_render
        ).items()
    }


def _cluster_sources(catalog: Catalog, cluster: Cluster) -> tuple[PurePosixPath, ...]:
    environment = catalog.environment(cluster.environment)
    return tuple(PurePosixPath(r.origin.path) for r in (catalog.platform, environment, cluster))


def _render_cluster(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    targets: TargetReport,
    trace: OverlayTrace | None = None,
) -> tuple[list[tuple[RenderUnit, list[Manifest]]], list[tuple[RenderUnit, Reads]]]:
    """The cluster's units after engines, overlays and common labels, and what each unit's
    output was made from: its engine's reads and its cluster's overlay folders. `trace`
    receives what each overlay step changed."""
    outputs = _engine_outputs(repo, units, {}, None)
    rendered = [(unit, list(out.rendered().manifests)) for unit, out in outputs]
    overlaid, overlays = _overlay(repo, catalog, cluster, rendered, {}, targets, trace)
    decorated = _decorated(catalog, overlaid, scopes_of(_objects(overlaid)))
    return decorated, [(unit, out.rendered().reads | overlays) for unit, out in outputs]


def _overlay(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    rendered: list[tuple[RenderUnit, list[Manifest]]],
    timings: dict[str, float],
    targets: TargetReport,
    trace: OverlayTrace | None = None,
    kinds: Scopes | None = None,
) -> tuple[list[tuple[RenderUnit, list[Manifest]]], Reads]:
    """Units after the environment's, then the cluster's overlays (Kustomize semantics), and
    the overlay folders read. `kinds`: the whole cluster's, when `rendered` is a part of it."""
    from generator.overlays.scopes import apply_overlays

    folders: set[Path] = set()
    with _timed(timings, "overlays"):
        environment = catalog.environment(cluster.environment)
        changes = trace.changes if trace is not None else None
        overlaid = apply_overlays(
            repo, cluster, environment, rendered, targets, folders, changes, kinds
        )
        overlaid = _keep_verbatim(rendered, overlaid)
    for unit, manifests in overlaid:
        check_objects(manifests, unit.label)  # a prefix or patch may have made a name invalid
    if trace is not None:
        scopes = scopes_of(_objects(overlaid))
        trace.before = lambda: _decorated(catalog, rendered, scopes)
    return overlaid, Reads(folders=frozenset(_repo_relative(repo, p) for p in folders))


def _decorated(
    catalog: Catalog, rendered: Sequence[tuple[RenderUnit, list[Manifest]]], scopes: Scopes
) -> list[tuple[RenderUnit, list[Manifest]]]:
    return [(unit, [_decorate(m, unit, catalog, scopes) for m in ms]) for unit, ms in rendered]


def _objects(rendered: Sequence[tuple[RenderUnit, list[Manifest]]]) -> Iterator[Manifest]:
    return (m for _, manifests in rendered for m in manifests)


def _handoff(
    repo: Path,
    catalog: Catalog,
    cluster: Cluster,
    units: Sequence[RenderUnit],
    finished: Mapping[str, FinishedUnit],
    validate: bool,
    timings: dict[str, float],
    cache: UnitCache | None = None,
    shared: str = "",
) -> tuple[list[tuple[str, str]], list[Finding]]:
    """The Argo CD or Flux objects of the cluster, checked like the units' and laid out; the
    cluster's object keys checked unique. With the key of what the cluster's units share
    (the CRDs a GitOps object is validated against among them), the checked and laid-out
    objects are kept by their content."""
    from generator.finished_cache import handoff_key
    from generator.policies import check_secrets
    from generator.validate.cluster import cluster_validator, validate_objects

    with _timed(timings, "gitops"):
        views = {unit.dirname: finished[unit.dirname].view for unit in units}
        handoff = _gitops(catalog, cluster, units, views)
    objects = [m for manifests in handoff.values() for m in manifests]
    identities = [i for unit in units for i in finished[unit.dirname].identities]
    identities += [_identity(m) for m in objects]
    _check_unique(cluster, identities)
    key = handoff_key(shared, handoff, _cluster_sources(catalog, cluster)) if shared else ""
    kept = cache.finished.handoff(key) if cache is not None and key else None
    if kept is not None:
        return kept
    with _timed(timings, "validate"):
        if validate:
            crds = [m.body for m in objects]
            validator = cluster_validator(cluster.kubernetes_version, repo, crds)
            found = validate_objects(validator, objects, cluster.kubernetes_version)
        else:
            found = check_secrets(objects)
    catalog_file = str(cluster.origin.path)
    findings = [replace(f, catalog=catalog_file if f.key else "") for f in found]
    files: list[tuple[str, str]] = []
    with _timed(timings, "layout"):
        for folder, manifests in handoff.items():
            sources = _cluster_sources(catalog, cluster)
            laid = layout(cluster.name, folder, manifests, sources)
            files += [(str(f.relpath), f.text) for f in laid]
    if cache is not None and key:
        cache.finished.keep_handoff(key, files, findings)
    return files, findings


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

    return _render_cluster(repo, catalog, cluster, units, TargetReport(), trace=trace)


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


def _check_unique(cluster: Cluster, identities: Sequence[Identity]) -> None:
    """One owner per object key (finished_cache.identity)."""
    seen: dict[ResourceKey, tuple[str, tuple[str, int, int]]] = {}
    for key, component, where, create_only in identities:
        # Flux creates such an object only when absent (a tenant's Namespace, which the
        # tenant's own Kustomization then applies in full): a second owner by design.
        if create_only:
            continue
        if key in seen:
            other, first = seen[key]
            raise GeneratorError(
                f"{cluster.name}: {key} is rendered twice: by '{other}' ({_origin(first)}) and "
                f"by '{component}'",
                _origin(where),
                "each object may come from one component only; remove or rename one of them",
            )
        seen[key] = (component, where)


def _origin(where: tuple[str, int, int]) -> Origin:
    path, line, column = where
    return Origin(PurePosixPath(path), line, column)


def _identity(manifest: Manifest) -> Identity:
    """What the uniqueness check needs of an object; Flux creates some only when absent."""
    from generator.finished_cache import identity
    from generator.gitops.flux import CREATE_ONLY

    annotations = manifest.metadata.get("annotations", {})
    create_only = annotations.get(CREATE_ONLY[0]) == CREATE_ONLY[1]
    return identity(manifest, _component(manifest), create_only)


def _component(manifest: Manifest) -> str:
    return str(manifest.metadata.get("labels", {}).get(COMPONENT_LABEL, "?"))


@contextmanager
def _few_collections() -> Iterator[None]:
    """A render allocates millions of short-lived objects and keeps 50,000 files: with the
    default thresholds the cycle collector runs thousands of times and rescans what is kept
    (a cluster late in the run cost more than an early one). Collect far less often while
    rendering; reference counting still frees everything without cycles at once."""
    previous = gc.get_threshold()
    gc.set_threshold(50_000, 50, 50)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


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
    from generator import tree_digests

    known = tree_digests.recall(repo, repo / RENDERED)
    if known is not None:  # rendered/ untouched since it was written: no file is read
        held = within(known.files, _scope(result))
    else:
        held = digest_tree(repo / RENDERED, _scope(result))
    stale = compare_digests(held, tree_digests.of(result.files)).lines()
    if not stale:
        _remember(repo, result, stamp_of(known.folders) if known is not None else "")
    return stale


def write(repo: Path, result: RenderResult) -> TreeChanges:
    if result.unchanged is not None:
        return TreeChanges((), (), ())
    from generator import tree_digests

    root = repo / RENDERED
    recalled = tree_digests.recall(repo, root)
    known = recalled.files if recalled is not None else None
    digests = tree_digests.of(result.files)
    with _timed(result.timings, "write"):
        changes = write_tree(root, result.files, _scope(result), known, digests)
    if not root.is_dir():
        stamp = ""
    elif recalled is not None and not changes:  # as the check before found it
        stamp = stamp_of(recalled.folders)
    elif recalled is not None and changes.patched:  # list again only the folders written in
        touched = (str(p) for paths in changes.by_kind().values() for p in paths)
        stamp = stamp_of(restamp(root, recalled.folders, touched))
    else:
        with _timed(result.timings, "stamp"):
            stamp = tree_stamp(root, stamp_processes(len(result.files)))
    _remember(repo, result, stamp)
    if result.full:
        tree_digests.remember(repo, root, digests, stamp)
    elif known is not None:  # the other clusters' files are as they were
        scope = set(result.clusters)
        kept = {p: d for p, d in known.items() if p.split("/", 1)[0] not in scope}
        tree_digests.remember(repo, root, {**kept, **digests}, stamp)
    else:
        tree_digests.remember(repo, root, None)
    return changes


def _remember(repo: Path, result: RenderResult, stamp: str = "") -> None:
    """rendered/ now holds this render: the next run with the same inputs may trust it."""
    if result.cache_key:
        render_cache.remember_tree(
            repo, result.cache_key, repo / RENDERED, len(result.files), result.clusters, stamp
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
    from generator.catalog import PassedChecks, load_catalog
    from generator.merge import resolve_units

    passed = PassedChecks(repo)  # like render's: documents that passed before are not checked
    catalog = load_catalog(repo, passed)
    units = resolve_units(catalog)  # also checks references and interpolation
    _check_before_render(repo, catalog, units)
    counts = {
        "clusters": len(catalog.clusters),
        "operators": len(catalog.operators),
        "tenants": len(catalog.tenants),
        "units": len(units),
    }
    unused = [str(u) for u in unused_values(repo, catalog, units)]
    passed.keep()
    return counts, unused


def unused_values(repo: Path, catalog: Catalog, units: Sequence[RenderUnit]) -> list[Unused]:
    """Environment and cluster values no template reads: the engines say what they read (no
    overlays, no validation, no output); a unit the render cache holds is not rendered again."""
    from generator.engines import render_unit
    from generator.provenance.unused import unused_values as unused

    cache = UnitCache(repo)
    reads: dict[tuple[str, str], Reads] = {}
    for unit in units:
        key, read = cache.reads(unit)
        if read is None:
            rendered = render_unit(unit, repo)
            cache.store(key, rendered)
            read = rendered.reads
        reads[(unit.cluster.name, unit.dirname)] = read
    return list(unused(catalog, units, reads))
