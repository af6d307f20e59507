"""rendered/ as the generator last wrote or checked it: each file's path → a digest of its
text, trusted only while rendered/'s stamp (render_cache.tree_stamp: every entry's name, size,
times and inode) is the one recorded with it. The writer then compares a render with what is
on disk without reading 50,000 files; any change to rendered/ makes it read them again."""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path

from generator.model import RenderedFile
from generator.render_cache import CACHE_DIR, stamp_processes, tree_stamp

DIGESTS = Path(CACHE_DIR).parent / "rendered-digests.pickle"
FORMAT = 1  # bump when the record changes


def of(files: Sequence[RenderedFile]) -> dict[str, str]:
    return {f.path: f.digest for f in files}


def recall(repo: Path, root: Path) -> dict[str, str] | None:
    """The digests of rendered/'s files, when nothing under it changed since they were kept."""
    try:
        with (repo / DIGESTS).open("rb") as f:
            form, stamp, files = pickle.load(f)
        if form != FORMAT or not isinstance(files, dict) or not root.is_dir():
            return None
        if stamp != tree_stamp(root, stamp_processes(len(files))):
            return None
        return files
    except (OSError, ValueError, TypeError, EOFError, pickle.UnpicklingError, AttributeError):
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
        with temporary.open("wb") as f:
            pickle.dump((FORMAT, stamp, dict(files)), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except OSError:
        pass
