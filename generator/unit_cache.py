"""A RenderUnit (its resolved values) and the files its engine read → that engine's output from
an earlier render, so an edit re-renders only the units that read what changed.

An entry is found by the unit's own key (the tool, the unit record) and kept only while every
file and folder its engine reported reading still has the content it had: the reads are known
after rendering, so they are stored in the entry and checked on the way out, as ccache's
manifests do. Folders count as a whole: a file added to a component folder misses too.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from generator.model import Manifest, Reads, Rendered, RenderUnit
from generator.render_cache import (
    CACHE_DIR,
    content,
    digest_of,
    entries,
    link_text,
    tool_fingerprint,
)

UNITS_DIR = Path(CACHE_DIR).parent / "units"
ABSENT = "-"
FORMAT = 5  # bump when the entry layout or the keys change
KEEP = 4  # entries kept per unit of the last render


class Digests:
    """Content hashes of repository files and folders, each computed at most once per render."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        # keyed by plain strings: 10,000 lookups a render, from entries that unpickle faster
        # without path objects
        self.memo: dict[tuple[str, str], str] = {}

    def file(self, rel: PurePosixPath | str) -> str:
        key = ("file", str(rel))
        if key not in self.memo:
            path, bound = self.repo / rel, self.repo.resolve()
            if path.is_symlink() and not path.resolve().is_relative_to(bound):
                self.memo[key] = content(path, bound).decode()  # where it points, unread
            elif not path.exists():
                self.memo[key] = ABSENT
            elif path.is_dir():
                self.memo[key] = "folder"
            else:
                self.memo[key] = hashlib.sha256(content(path, bound)).hexdigest()
        return self.memo[key]

    def folder(self, rel: PurePosixPath | str) -> str:
        key = ("folder", str(rel))
        if key not in self.memo:
            root, bound = self.repo / rel, self.repo.resolve()
            if not root.resolve().is_relative_to(bound):
                self.memo[key] = link_text(root)  # a folder linked out: never walked
            elif not root.is_dir():
                self.memo[key] = ABSENT
            else:
                digest = hashlib.sha256()
                for path in entries(root, bound):
                    digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
                    digest.update(hashlib.sha256(content(path, bound)).digest())
                    digest.update(b"\0")
                self.memo[key] = digest.hexdigest()
        return self.memo[key]

    def of(self, reads: Reads) -> list[tuple[str, str, str]]:
        return sorted(
            [("file", str(p), self.file(p)) for p in reads.files]
            + [("folder", str(p), self.folder(p)) for p in reads.folders]
        )

    def current(self, kind: str, rel: str) -> str:
        return self.file(rel) if kind == "file" else self.folder(rel)


def unit_key(unit: RenderUnit, tool: str) -> str:
    """What an engine sees of the unit (its context and values, names, component and the
    cluster's Kubernetes version) and the tool that renders it, as one hash. Key order is kept:
    a template that loops over a mapping follows it."""
    seen = [
        FORMAT,
        tool,
        unit.kind,
        unit.name,
        unit.namespace,
        unit.dirname,
        unit.cluster.name,
        unit.cluster.kubernetes_version,
        unit.component.engine,
        str(unit.component.path),
        unit.values,
        unit.context,
    ]
    return digest_of(seen)


SHARED_KINDS = frozenset({"CustomResourceDefinition", "ClusterRole", "ClusterSecretStore"})


def shared_digest(manifests: Sequence[Manifest]) -> str:
    """A digest of the objects a unit's neighbours in the cluster see (policy.facts): the
    kinds it defines, the cluster roles it aggregates into, the secret stores it offers."""
    shared = [m.body for m in manifests if m.kind in SHARED_KINDS]
    return digest_of(shared)


def _made_of(key: str, checks: list[tuple[str, str, str]]) -> str:
    """The engine output is a function of the unit's key and of what it read: one digest."""
    return digest_of([key, checks])


class _Reader:
    """The objects of a cache entry, after its header, read on first use; an entry that
    cannot be read any more is rendered again."""

    def __init__(self, path: str, offset: int, render: Callable[[], Rendered]) -> None:
        self.path, self.offset, self.render = path, offset, render

    def __call__(self) -> Rendered:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                reads = pickle.load(f)
                manifests = pickle.load(f)
            if isinstance(reads, Reads) and isinstance(manifests, tuple):
                return Rendered(manifests, reads)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            pass
        return self.render()


def _entry_reads(path: str, offset: int) -> Reads | None:
    """What the engine read, from the entry after its header, without the objects."""
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            reads = pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    return reads if isinstance(reads, Reads) else None


@dataclass
class UnitOutput:
    """A unit's engine output, identified by what it was made from (`made_of`) and by what
    the cluster's other units see of it (`shared`)."""

    made_of: str
    shared: str
    read: Callable[[], Rendered]
    loaded: Rendered | None = None
    fresh: bool = False  # rendered by this run

    @classmethod
    def of(cls, rendered: Rendered) -> UnitOutput:
        """An output rendered just now, with no cache behind it."""
        return cls("", shared_digest(rendered.manifests), lambda: rendered, rendered, fresh=True)

    def rendered(self) -> Rendered:
        if self.loaded is None:
            self.loaded = self.read()
        return self.loaded


class UnitCache:
    """Per-unit engine output under .generator-cache/units/, checked against the reads."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.folder = repo / UNITS_DIR
        self.digests = Digests(repo)
        self.used: set[str] = set()
        self.tool = tool_fingerprint()
        from generator.finished_cache import FinishedCache  # it builds on this module

        self.finished = FinishedCache(repo, self.digests, self.used)

    def __reduce__(self) -> tuple[Any, ...]:
        # a worker process keeps one cache per repository for the whole render: its file
        # digests are computed once there, not once per cluster it renders
        return (_in_this_process, (self.repo,))

    def reads(self, unit: RenderUnit) -> tuple[str, Reads | None]:
        """What the unit's engine read, from the cache when nothing it read changed: (key,
        reads or None); the objects are not loaded."""
        key, found = self._lookup(unit)
        if found is None:
            return key, None
        return key, _entry_reads(found[0], found[1])

    def output(self, unit: RenderUnit, render: Callable[[], Rendered]) -> tuple[UnitOutput, bool]:
        """The unit's output, from the cache or from `render()` (then kept): (it, rendered)."""
        key, output = self.peek(unit, render)
        if output is not None:
            return output, False
        return self.store(key, render()), True

    def peek(
        self, unit: RenderUnit, render: Callable[[], Rendered]
    ) -> tuple[str, UnitOutput | None]:
        """The unit's cached output as a handle: what it was made from and what other units
        see of it are known at once, the objects are read only when asked for."""
        key, found = self._lookup(unit)
        if found is None:
            return key, None
        path, offset, checks, shared = found
        return key, UnitOutput(_made_of(key, checks), shared, _Reader(path, offset, render))

    def _lookup(self, unit: RenderUnit) -> tuple[str, tuple[str, int, Any, str] | None]:
        """(key, (entry path, offset after its header, checks, shared digest)) when the entry
        exists and every file and folder it read is as it was."""
        key = unit_key(unit, self.tool)
        self.used.add(key)
        path = f"{self.folder}/{key[:2]}/{key}"  # 4,000 a render: no Path
        try:
            with open(path, "rb") as f:
                checks, shared = pickle.load(f)
                offset = f.tell()
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            return key, None
        for kind, rel, digest in checks:
            if self.digests.current(kind, rel) != digest:
                return key, None
        return key, (path, offset, checks, shared)

    def store(self, key: str, rendered: Rendered) -> UnitOutput:
        """Keep a unit's output; a cache that cannot be written is only a missed speed-up."""
        checks = self.digests.of(rendered.reads)
        shared = shared_digest(rendered.manifests)
        # the header, the reads, the objects: peek reads the first alone, lint the second too
        entry = self.folder / key[:2] / key
        write_entry(entry, (checks, shared), rendered.reads, tuple(rendered.manifests))
        return replace(UnitOutput.of(rendered), made_of=_made_of(key, checks))

    def prune(self, written: int) -> None:
        """`written`: at least as many entries as this render added to either folder."""
        prune(self.folder, self.used, written)
        prune(self.finished.folder, self.used, written)


_caches: dict[Path, UnitCache] = {}


def _in_this_process(repo: Path) -> UnitCache:
    if repo not in _caches:
        _caches[repo] = UnitCache(repo)
    return _caches[repo]


def write_entry(path: Path, *values: Any) -> None:
    """Pickle `values` one after the other into a cache entry, atomically; a cache that cannot
    be written is only a missed speed-up."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with temporary.open("wb") as f:
            for value in values:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass


def prune(folder: Path, used: set[str], written: int) -> None:
    """Once there are more than KEEP times as many entries as this render used (enough to
    switch between a few branches without growing for ever), drop the oldest unused ones down
    to KEEP - 1 times. Listing 60,000 entries costs a quarter of a second, so a count kept in
    the folder (raised by an upper bound of what each render wrote) says when to look."""
    state = folder / ".entries"
    try:
        estimate = int(state.read_text(encoding="ascii")) + written
    except (OSError, ValueError):
        estimate = -1  # unknown: count them
    try:
        if 0 <= estimate <= KEEP * len(used):
            _keep_count(state, estimate)
            return
        found: list[os.DirEntry[str]] = []
        with os.scandir(folder) as shards:
            for shard in shards:
                if shard.is_dir(follow_symlinks=False) and len(shard.name) == 2:
                    with os.scandir(shard.path) as listing:
                        found += [e for e in listing if not e.name.startswith(".")]
        dropped: list[os.DirEntry[str]] = []
        if len(found) > KEEP * len(used):
            stale = [e for e in found if e.name not in used]
            stale.sort(key=lambda e: e.stat(follow_symlinks=False).st_mtime_ns)
            dropped = stale[: len(found) - (KEEP - 1) * len(used)]
            for entry in dropped:
                Path(entry.path).unlink(missing_ok=True)
        _keep_count(state, len(found) - len(dropped))
    except OSError:
        pass


def _keep_count(state: Path, count: int) -> None:
    temporary = state.with_name(f"{state.name}.{os.getpid()}.tmp")
    temporary.write_text(str(count), encoding="ascii")
    os.replace(temporary, state)
