"""Two rendered trees ([RenderedFile] each) → DiffReport: resources keyed by cluster, component
and ResourceKey, added/removed/moved/changed, each with a unified YAML diff (Secret values
hidden)."""

from __future__ import annotations

import difflib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from generator.model import RenderedFile, ResourceKey
from generator.secrets import LAST_APPLIED, carries_secret, hidden, is_list, secret_values
from generator.yamlio import dump_manifest, load_manifests

Status = Literal["added", "removed", "changed", "moved"]
STATUS_ORDER: Mapping[str, int] = {"removed": 0, "moved": 1, "changed": 2, "added": 3}
HIDDEN = "(hidden)"
HIDDEN_CHANGED = "(hidden, changed)"
CATALOG_LINE, SOURCE_LINE = "# Catalog: ", "# Source: "


@dataclass(frozen=True, slots=True)
class Resource:
    """One object of a rendered tree, placed by the folders it was written to."""

    cluster: str  # first folder under rendered/ ("" for files at the top)
    component: str  # "010-cert-manager", "tenants/alpha", "apps", "bootstrap", "flux"
    key: ResourceKey
    path: PurePosixPath  # relative to rendered/
    body: Mapping[str, Any]  # as written: compare with it, never print it
    catalog: tuple[str, ...] = ()  # the file header's `# Catalog:` files, the unit's own last
    source: str = ""  # the file header's `# Source:` (template, chart or overlay file)

    @property
    def shown(self) -> Mapping[str, Any]:
        """The body with every Secret value hidden: what reports may quote."""
        return redact(self.body)


@dataclass(frozen=True, slots=True)
class Change:
    status: Status
    old: Resource | None
    new: Resource | None
    diff: tuple[str, ...]  # unified diff lines without line ends; Secret values hidden

    @property
    def resource(self) -> Resource:
        side = self.new or self.old
        assert side is not None
        return side

    @property
    def cluster(self) -> str:
        return self.resource.cluster

    @property
    def component(self) -> str:
        return self.resource.component

    @property
    def key(self) -> ResourceKey:
        return self.resource.key

    @property
    def sort_key(self) -> tuple[str, str, int, str, str, str, str]:
        """Cluster, component, then deletions first, then by kind and name as people read."""
        key = self.key
        return (
            self.cluster,
            self.component,
            STATUS_ORDER[self.status],
            key.kind,
            key.namespace,
            key.name,
            key.api_version,
        )


@dataclass(frozen=True, slots=True)
class DiffReport:
    changes: tuple[Change, ...]
    old_clusters: frozenset[str]
    new_clusters: frozenset[str]
    old_components: frozenset[tuple[str, str]]  # (cluster, component) of every file
    new_components: frozenset[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def removed(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.status == "removed")

    @property
    def clusters(self) -> tuple[str, ...]:
        return tuple(sorted({c.cluster for c in self.changes}))

    def counts(self, cluster: str) -> Counter[str]:
        """added/changed/removed for one cluster; a moved resource counts as changed."""
        counts: Counter[str] = Counter(added=0, changed=0, removed=0)
        for change in self.changes:
            if change.cluster == cluster:
                counts["changed" if change.status == "moved" else change.status] += 1
        return counts


def place(relpath: PurePosixPath) -> tuple[str, str]:
    """(cluster, component) from a path under rendered/: the folders before the file name."""
    folders = relpath.parts[:-1]
    if not folders:
        return "", ""
    if len(folders) >= 3 and folders[1] == "tenants":
        return folders[0], f"tenants/{folders[2]}"
    return folders[0], folders[1] if len(folders) >= 2 else ""


def header(text: str) -> tuple[tuple[str, ...], str]:
    """The catalog files and the source named in the comment lines `generator render` writes
    at the top of a file."""
    catalog: tuple[str, ...] = ()
    source = ""
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if line.startswith(CATALOG_LINE):
            catalog = tuple(p.strip() for p in line[len(CATALOG_LINE) :].split(",") if p.strip())
        elif line.startswith(SOURCE_LINE):
            source = line[len(SOURCE_LINE) :].strip()
    return catalog, source


def resources(files: Iterable[RenderedFile]) -> list[Resource]:
    """Every object of every file; a file that holds no mapping is keyed by its path."""
    found: list[Resource] = []
    for file in files:
        cluster, component = place(file.relpath)
        catalog, source = header(file.text)
        path = PurePosixPath("rendered") / file.relpath
        for document in load_manifests(file.text, path):
            if isinstance(document, Mapping):
                metadata = document.get("metadata")
                metadata = metadata if isinstance(metadata, Mapping) else {}
                key = ResourceKey(
                    str(document.get("apiVersion", "")),
                    str(document.get("kind", "")),
                    str(metadata.get("namespace") or ""),
                    str(metadata.get("name", "")),
                )
                body: Mapping[str, Any] = document
            else:
                key = ResourceKey("", "", "", str(file.relpath))
                body = {"content": document}
            found.append(Resource(cluster, component, key, file.relpath, body, catalog, source))
    return found


def _index(items: Sequence[Resource]) -> dict[tuple[str, str, ResourceKey, int], Resource]:
    """Resources by identity; a repeated identity gets an occurrence number instead of
    silently replacing the first one."""
    seen: Counter[tuple[str, str, ResourceKey]] = Counter()
    index = {}
    for item in items:
        identity = (item.cluster, item.component, item.key)
        index[(*identity, seen[identity])] = item
        seen[identity] += 1
    return index


def redact(body: Mapping[str, Any], other: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The object with every Secret value it holds (generator.secrets: any spelling, List
    items, last-applied annotations) replaced: `(hidden, changed)` where it differs from the
    same place in `other`, `(hidden)` everywhere else."""
    if set(body) == {"content"}:  # a document that is no object: hide any Secret in it
        return {"content": _hide_content(body["content"])}
    if not carries_secret(body):
        return dict(body)
    now = _secret_places(body)
    before = _secret_places(other) if other is not None else {}
    return hidden(
        body,
        lambda where: (
            HIDDEN_CHANGED if where in before and before[where] != now.get(where) else HIDDEN
        ),
    )


def _hide_content(node: Any) -> Any:
    if isinstance(node, list):
        return [_hide_content(item) for item in node]
    return HIDDEN if carries_secret(node) else node


def _secret_places(body: Mapping[str, Any]) -> dict[str, Any]:
    """Each Secret value by where it sits; a last-applied annotation also as a whole."""
    places: dict[str, Any] = {found.where: found.value for found in secret_values(body)}
    stack: list[tuple[str, Any]] = [("", body)]
    while stack:
        prefix, node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        metadata = node.get("metadata")
        annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
        if isinstance(annotations, Mapping) and LAST_APPLIED in annotations:
            places[f"{prefix}metadata.annotations[{LAST_APPLIED}]"] = annotations[LAST_APPLIED]
        if is_list(node):
            stack.extend((f"{prefix}items[{i}].", item) for i, item in enumerate(node["items"]))
    return places


def _shown(resource: Resource, other: Resource | None, is_new: bool) -> list[str]:
    # Only the new side says "changed", so a changed value reads as one -/+ pair.
    body = redact(resource.body, other.body if other is not None and is_new else None)
    return dump_manifest(body).splitlines()


def unified(old: Resource | None, new: Resource | None, context: int = 3) -> tuple[str, ...]:
    old_lines = _shown(old, new, False) if old else []
    new_lines = _shown(new, old, True) if new else []
    return tuple(
        difflib.unified_diff(
            old_lines,
            new_lines,
            fromfile=f"a/rendered/{old.path}" if old else "/dev/null",
            tofile=f"b/rendered/{new.path}" if new else "/dev/null",
            n=context,
            lineterm="",
        )
    )


def diff_trees(old: Sequence[RenderedFile], new: Sequence[RenderedFile]) -> DiffReport:
    """Compare two trees object by object; file names and formatting do not matter."""
    # A file with the same path and text on both sides cannot change anything: skip parsing it.
    old_text = {f.relpath: f.text for f in old}
    same = {f.relpath for f in new if old_text.get(f.relpath) == f.text}
    old_resources = resources(f for f in old if f.relpath not in same)
    new_resources = resources(f for f in new if f.relpath not in same)
    old_index, new_index = _index(old_resources), _index(new_resources)
    changes: list[Change] = []
    gone = [r for i, r in old_index.items() if i not in new_index]
    came = [r for i, r in new_index.items() if i not in old_index]
    for identity, before in old_index.items():
        after = new_index.get(identity)
        if after is not None and after.body != before.body:
            changes.append(Change("changed", before, after, unified(before, after)))
    changes.extend(_moves_and_rest(gone, came))
    return DiffReport(
        tuple(sorted(changes, key=lambda c: c.sort_key)),
        frozenset(place(f.relpath)[0] for f in old),
        frozenset(place(f.relpath)[0] for f in new),
        frozenset(place(f.relpath) for f in old),
        frozenset(place(f.relpath) for f in new),
    )


def _moves_and_rest(gone: list[Resource], came: list[Resource]) -> Iterable[Change]:
    """An object that left one component and arrived in another of the same cluster (an
    operator renumbered, say) is one move, not a deletion plus a creation."""
    by_place_gone: defaultdict[tuple[str, ResourceKey], list[Resource]] = defaultdict(list)
    by_place_came: defaultdict[tuple[str, ResourceKey], list[Resource]] = defaultdict(list)
    for resource in gone:
        by_place_gone[(resource.cluster, resource.key)].append(resource)
    for resource in came:
        by_place_came[(resource.cluster, resource.key)].append(resource)
    moved: set[int] = set()
    for where, befores in by_place_gone.items():
        afters = by_place_came.get(where, [])
        if len(befores) == 1 and len(afters) == 1:
            before, after = befores[0], afters[0]
            moved.update((id(before), id(after)))
            yield Change("moved", before, after, unified(before, after))
    for resource in gone:
        if id(resource) not in moved:
            yield Change("removed", resource, None, unified(resource, None))
    for resource in came:
        if id(resource) not in moved:
            yield Change("added", None, resource, unified(None, resource))
