"""A RenderUnit (its resolved values) and the files its engine read → that engine's output from
an earlier render, so an edit re-renders only the units that read what changed.

An entry is found by the unit's own key (the tool, the unit record) and kept only while every
file and folder its engine reported reading still has the content it had: the reads are known
after rendering, so they are stored in the entry and checked on the way out, as ccache's
manifests do. Folders count as a whole: a file added to a component folder misses too.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path, PurePosixPath

from generator.model import Reads, Rendered, RenderUnit
from generator.render_cache import CACHE_DIR, content, entries, link_text, tool_fingerprint

UNITS_DIR = Path(CACHE_DIR).parent / "units"
ABSENT = "-"
FORMAT = 1  # bump when the entry layout changes
KEEP = 4  # entries kept per unit of the last render


class Digests:
    """Content hashes of repository files and folders, each computed at most once per render."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.memo: dict[tuple[str, PurePosixPath], str] = {}

    def file(self, rel: PurePosixPath) -> str:
        key = ("file", rel)
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

    def folder(self, rel: PurePosixPath) -> str:
        key = ("folder", rel)
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

    def of(self, reads: Reads) -> list[tuple[str, PurePosixPath, str]]:
        return sorted(
            [("file", p, self.file(p)) for p in reads.files]
            + [("folder", p, self.folder(p)) for p in reads.folders]
        )

    def current(self, kind: str, rel: PurePosixPath) -> str:
        return self.file(rel) if kind == "file" else self.folder(rel)


def unit_key(unit: RenderUnit) -> str:
    """What an engine sees of the unit (its context and values, names, component and the
    cluster's Kubernetes version) and the tool that renders it, as one hash. Key order is kept:
    a template that loops over a mapping follows it."""
    seen = [
        FORMAT,
        tool_fingerprint(),
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
    return hashlib.sha256(json.dumps(seen, default=repr).encode()).hexdigest()


class UnitCache:
    """Per-unit engine output under .generator-cache/units/, checked against the reads."""

    def __init__(self, repo: Path) -> None:
        self.folder = repo / UNITS_DIR
        self.digests = Digests(repo)
        self.used: set[str] = set()

    def load(self, unit: RenderUnit) -> tuple[str, Rendered | None]:
        key = unit_key(unit)
        self.used.add(key)
        path = self.folder / key[:2] / key
        try:
            with path.open("rb") as f:
                checks, rendered = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError):
            return key, None
        for kind, rel, digest in checks:
            if self.digests.current(kind, rel) != digest:
                return key, None
        return key, rendered

    def store(self, key: str, rendered: Rendered) -> None:
        """Keep a unit's output; a cache that cannot be written is only a missed speed-up."""
        checks = self.digests.of(rendered.reads)
        path = self.folder / key[:2] / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{key}.{os.getpid()}.tmp")
            with temporary.open("wb") as f:
                pickle.dump((checks, rendered), f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except OSError:
            pass

    def prune(self) -> None:
        """Drop entries this render did not use once there are four times as many as it used:
        enough to switch between a few branches without growing for ever."""
        try:
            found = [p for p in self.folder.glob("??/*") if not p.name.startswith(".")]
            if len(found) <= KEEP * len(self.used):
                return
            stale = [p for p in found if p.name not in self.used]
            stale.sort(key=lambda p: p.stat().st_mtime_ns)
            for path in stale[: len(found) - KEEP * len(self.used)]:
                path.unlink(missing_ok=True)
        except OSError:
            pass
