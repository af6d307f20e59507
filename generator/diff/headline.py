"""DiffReport + changed inputs + the head tree → [Intent]: what the change does, one line per
intent (tenant added, operator renumbered, version promoted staging → prod, quota raised, …)
with its counts per cluster."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from generator.diff.compare import Change, DiffReport, resources
from generator.diff.inputs import InputChange, causes, unit_name
from generator.diff.platform import ClusterInfo
from generator.diff.rules.capacity import field_changes
from generator.diff.rules.context import GITOPS_FOLDERS, deployed_unit, images, spec
from generator.diff.rules.gitops import describe
from generator.diff.rules.images import repository
from generator.model import RenderedFile

QUOTA_SHOWN = (
    ("requests.cpu", "cpu"), ("requests.memory", "memory"), ("pods", "pods"),
    ("requests.storage", "storage"),
)  # fmt: skip
CAPACITY_NOUNS = {"ResourceQuota": "Quota", "LimitRange": "Limits"}


@dataclass(frozen=True, slots=True)
class ClusterCount:
    cluster: str
    added: int
    changed: int
    removed: int

    def __str__(self) -> str:
        counts = [f"{s}{n}" for s, n in zip("+~-", self.numbers, strict=True) if n]
        return f"`{self.cluster or '(top level)'}` " + " ".join(counts or ["±0"])

    @property
    def numbers(self) -> tuple[int, int, int]:
        return self.added, self.changed, self.removed


@dataclass(frozen=True, slots=True)
class Intent:
    kind: str  # tenant-added, operator-renumbered, version, promotion, quota, chart, …
    message: str  # markdown-free text with `code` spans for names
    clusters: tuple[ClusterCount, ...]
    sources: tuple[str, ...]  # the input files behind it


@dataclass
class _Builder:
    report: DiffReport
    clusters: Mapping[str, ClusterInfo]
    inputs: tuple[InputChange, ...]
    head: Sequence[RenderedFile]
    engines: Mapping[str, tuple[str, str]]  # (old, new) engine per changed component folder

    def __post_init__(self) -> None:
        self.by_place: dict[tuple[str, str], list[Change]] = defaultdict(list)
        # A unit's Application, AppProject or Flux Kustomization counts with the unit.
        self.deploying: dict[tuple[str, str], list[Change]] = defaultdict(list)
        for change in self.report.changes:
            self.by_place[(change.cluster, change.component)].append(change)
            unit = deployed_unit(change)
            if unit:
                self.deploying[(change.cluster, unit)].append(change)
        self.explained: set[tuple[str, str]] = set()
        # (kind, message) → places, in the order found
        self.found: dict[tuple[str, str], list[tuple[str, str]]] = {}

    def add(self, kind: str, message: str, places: Iterable[tuple[str, str]]) -> None:
        entry = self.found.setdefault((kind, message), [])
        for place in places:
            if place not in entry:
                entry.append(place)
            self.explained.add(place)

    def environment(self, cluster: str) -> str:
        info = self.clusters.get(cluster)
        return info.environment if info else ""

    def intents(self) -> list[Intent]:
        order = list(KIND_ORDER)
        built = []
        for (kind, message), places in self.found.items():
            # A new cluster's Applications are in its places twice: as its own, and as units'.
            changes = list(
                {
                    id(c): c
                    for place in places
                    for c in (*self.by_place.get(place, []), *self.deploying.get(place, []))
                }.values()
            )
            counts: dict[str, list[int]] = {}
            for change in changes:
                row = counts.setdefault(change.cluster, [0, 0, 0])
                row[{"added": 0, "removed": 2}.get(change.status, 1)] += 1
            for cluster, _ in places:
                counts.setdefault(cluster, [0, 0, 0])
            sources: list[str] = []
            for change in changes:
                found = causes(change, self.inputs, self.environment(change.cluster))
                sources += [s for s in found if s not in sources]
            built.append(
                Intent(
                    kind,
                    message,
                    tuple(ClusterCount(c, *n) for c, n in sorted(counts.items())),
                    tuple(sorted(sources)),
                )
            )
        return sorted(built, key=lambda i: (order.index(i.kind), i.message))


def _quota_text(changes: Sequence[Change]) -> str:
    for change in changes:
        if change.key.kind == "ResourceQuota" and change.new is not None:
            hard = spec(change.new.body).get("hard")
            if isinstance(hard, Mapping):
                shown = [f"{label} {hard[k]}" for k, label in QUOTA_SHOWN if k in hard]
                return f" (quota {', '.join(shown)})" if shown else ""
    return ""


def _clusters(builder: _Builder) -> None:
    report = builder.report
    for cluster in sorted(report.new_clusters - report.old_clusters):
        environment = builder.environment(cluster)
        where = f" ({environment})" if environment else ""
        places = [p for p in builder.by_place if p[0] == cluster]
        builder.add("cluster-added", f"Cluster `{cluster}` added{where}", places)
    for cluster in sorted(report.old_clusters - report.new_clusters):
        places = [p for p in builder.by_place if p[0] == cluster]
        builder.add("cluster-removed", f"Cluster `{cluster}` removed", places)


def _components(builder: _Builder) -> None:
    report = builder.report
    added = report.new_components - report.old_components
    removed = report.old_components - report.new_components
    for place in sorted(added | removed):
        cluster, component = place
        if component in GITOPS_FOLDERS or place in builder.explained:
            continue
        verb = "added" if place in added else "removed"
        name = unit_name(component)
        if component.startswith("tenants/"):
            quota = _quota_text(builder.by_place[place]) if verb == "added" else ""
            builder.add(f"tenant-{verb}", f"Tenant `{name}` {verb}{quota}", [place])
            continue
        other_side = removed if verb == "added" else added
        twins = [
            p for p in other_side if p[0] == cluster and p[1] not in GITOPS_FOLDERS
            and not p[1].startswith("tenants/") and unit_name(p[1]) == name and p[1] != component
        ]  # fmt: skip
        if twins:
            old, new = (twins[0][1], component) if verb == "added" else (component, twins[0][1])
            builder.add(
                "operator-renumbered",
                f"Operator `{name}` renumbered `{old}` → `{new}`",
                [(cluster, old), (cluster, new)],
            )
        else:
            builder.add(f"operator-{verb}", f"Operator `{component}` {verb}", [place])


def _versions(changes: Sequence[Change]) -> tuple[tuple[str, str], ...]:
    """(old, new) per distinct image change: just the tags when the repository stays."""
    pairs: list[tuple[str, str]] = []
    for change in changes:
        if change.old is None or change.new is None:
            continue
        before = images(change.old.body)
        for container, image in images(change.new.body).items():
            old = before.get(container)
            if old is None or old == image:
                continue
            if repository(old) == repository(image):
                old, image = old[len(repository(old)) + 1 :], image[len(repository(image)) + 1 :]
            if (old, image) not in pairs:
                pairs.append((old, image))
    return tuple(sorted(pairs))


def _head_images(builder: _Builder, cluster: str, name: str) -> set[str]:
    files = [
        f
        for f in builder.head
        if f.relpath.parts[0] == cluster
        and len(f.relpath.parts) > 2
        and f.relpath.parts[1] not in GITOPS_FOLDERS
        and unit_name(f.relpath.parts[1]) == name
    ]
    return {image for r in resources(files) for image in images(r.body).values()}


def _promoted_from(builder: _Builder, name: str, places: Sequence[tuple[str, str]]) -> str:
    """The environment right before the changed clusters' one in promotion order, when every
    one of its clusters that runs the operator already runs the new images."""
    infos = [builder.clusters.get(cluster) for cluster, _ in places]
    if any(i is None for i in infos) or len({i.environment for i in infos if i}) != 1:
        return ""
    target = next(i for i in infos if i)
    earlier = {i.environment: i.order for i in builder.clusters.values() if i.order < target.order}
    if not earlier:
        return ""
    source = max(earlier, key=lambda e: earlier[e])
    new_images = {
        image
        for place in places
        for change in builder.by_place[place]
        if change.new is not None
        for image in images(change.new.body).values()
    }
    runs = [
        _head_images(builder, cluster, name)
        for cluster, info in sorted(builder.clusters.items())
        if info.environment == source
    ]
    runs = [found for found in runs if found]
    return source if runs and all(new_images <= found for found in runs) else ""


def _changed_units(builder: _Builder) -> None:
    versions: dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[str, str]]] = {}
    capacity: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for place, changes in sorted(builder.by_place.items()):
        if place[1] in GITOPS_FOLDERS or place in builder.explained:
            continue
        pairs = _versions(changes)
        if pairs:
            versions.setdefault((unit_name(place[1]), pairs), []).append(place)
        for change in changes:
            noun = CAPACITY_NOUNS.get(change.key.kind)
            if noun and change.old is not None and change.new is not None:
                fields = field_changes(spec(change.old.body), spec(change.new.body))
                if fields:
                    text = f"{noun} of `{unit_name(place[1])}` changed: " + "; ".join(fields)
                    capacity.setdefault(("quota", text), []).append(place)
    for (name, pairs), places in versions.items():
        shown = ", ".join(f"`{old}` → `{new}`" for old, new in pairs)
        source = _promoted_from(builder, name, places)
        environments = sorted({builder.environment(c) for c, _ in places} - {""})
        if source:
            message = f"`{name}` promoted {source} → {environments[0]}: {shown}"
            builder.add("promotion", message, places)
        else:
            where = f" in {', '.join(environments)}" if environments else ""
            builder.add("version", f"`{name}` {shown}{where}", places)
    for (kind, message), places in capacity.items():
        builder.add(kind, message, places)


def _charts(builder: _Builder) -> None:
    for folder, (old, new) in sorted(builder.engines.items()):
        parts = tuple(folder.split("/"))
        places = [
            place
            for place, changes in sorted(builder.by_place.items())
            if place[1] not in GITOPS_FOLDERS
            and place not in builder.explained
            and any(
                PurePosixPath(side.source).parts[:2] == parts
                for c in changes
                for side in (c.old, c.new)
                if side is not None and side.source
            )
        ]
        switched = old and new and old != new
        if places or switched:
            units = sorted({unit_name(c) for _, c in places})
            names = ": " + ", ".join(f"`{u}`" for u in units) if units else ""
            engine = f", engine {old} → {new}" if switched else ""
            builder.add("chart", f"Component `{folder}/` changed{engine}{names}", places)


def _rest(builder: _Builder) -> None:
    for place in sorted(builder.by_place):
        if place in builder.explained or place[1] in GITOPS_FOLDERS:
            continue
        noun = "Tenant" if place[1].startswith("tenants/") else "Operator"
        builder.add("other", f"{noun} `{unit_name(place[1])}` changed", [place])
    covered = {cluster for cluster, _ in builder.explained}
    policies: dict[str, list[tuple[str, str]]] = {}
    for place in sorted(builder.by_place):
        if place[1] in GITOPS_FOLDERS and place[0] not in covered:
            found = {describe(c) for c in builder.by_place[place]} - {""}
            if len(found) == 1 and all(describe(c) for c in builder.by_place[place]):
                policies.setdefault(found.pop(), []).append(place)
    for description, places in policies.items():
        builder.add("sync-policy", f"Sync policy changed: {description}", places)
    covered = {cluster for cluster, _ in builder.explained}
    for place in sorted(builder.by_place):
        if (
            place[1] in GITOPS_FOLDERS
            and place not in builder.explained
            and place[0] not in covered
        ):
            names = [f"`{c.key}`" for c in builder.by_place[place]]
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            builder.add("gitops", f"GitOps objects changed: {shown}", [place])


KIND_ORDER = (
    "cluster-added", "cluster-removed", "tenant-added", "tenant-removed", "operator-added",
    "operator-removed", "operator-renumbered", "promotion", "version", "quota", "chart",
    "other", "sync-policy", "gitops", "no-effect",
)  # fmt: skip


def headline(
    report: DiffReport,
    clusters: Mapping[str, ClusterInfo],
    inputs: tuple[InputChange, ...],
    head: Sequence[RenderedFile],
    engines: Mapping[str, tuple[str, str]] | None = None,
) -> list[Intent]:
    builder = _Builder(report, clusters, inputs, head, engines or {})
    _clusters(builder)
    _components(builder)
    _changed_units(builder)
    _charts(builder)
    _rest(builder)
    found = builder.intents()
    if not report and inputs:
        paths = tuple(c.path for c in inputs)
        shown = ", ".join(f"`{p}`" for p in paths[:5]) + (" …" if len(paths) > 5 else "")
        found.append(
            Intent("no-effect", f"Inputs changed, nothing rendered differs: {shown}", (), paths)
        )
    return found
