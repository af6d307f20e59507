"""rendered/ as the generator last wrote or checked it: each file's path → a digest of its
text, trusted only while rendered/'s stamp (render_cache.tree_stamp: every entry's name, size,
times and inode) is the one recorded with it. The writer then compares a render with what is
on disk without reading 50,000 files; any change to rendered/ makes it read them again."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from generator.model import RenderedFile
from generator.render_cache import CACHE_DIR, stamp_processes, tree_stamp

DIGESTS = Path(CACHE_DIR).parent / "rendered-digests.json"


def of(files: Sequence[RenderedFile]) -> dict[str, str]:
    return {f.path: f.digest for f in files}


def recall(repo: Path, root: Path) -> dict[str, str] | None:
    """The digests of rendered/'s files, when nothing under it changed since they were kept."""
    try:
        record = json.loads((repo / DIGESTS).read_text(encoding="utf-8"))
        processes = stamp_processes(len(record["files"]))
        if not root.is_dir() or record["stamp"] != tree_stamp(root, processes):
            return None
        return {str(k): str(v) for k, v in record["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def remember(repo: Path, root: Path, files: Mapping[str, str] | None, stamp: str = "") -> None:
    """Keep the digests of what rendered/ holds now, whose tree_stamp the caller may know
    already; None forgets them (only a speed-up)."""
    path = repo / DIGESTS
    try:
        if files is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        stamp = stamp or tree_stamp(root, stamp_processes(len(files)))
        record = {"stamp": stamp, "files": dict(files)}
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
