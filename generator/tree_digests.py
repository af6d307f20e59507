"""rendered/ as the generator last wrote or checked it: each file's path → a digest of its
text, trusted only while rendered/'s stamp (tree_stamp.py: every entry's name, size, times
and inode) is the one recorded with it. The writer then compares a render with what is
on disk without reading 50,000 files; any change to rendered/ makes it read them again."""

from __future__ import annotations

import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from generator.model import RenderedFile
from generator.render_cache import CACHE_DIR
from generator.tree_stamp import (
    FolderDigests,
    folder_digests,
    stamp_of,
    stamp_processes,
    tree_stamp,
)

DIGESTS = Path(CACHE_DIR).parent / "rendered-digests.pickle"
FORMAT = 2  # bump when the record changes


def of(files: Sequence[RenderedFile]) -> dict[str, str]:
    return {f.path: f.digest for f in files}


class Recalled(NamedTuple):
    files: dict[str, str]  # each file's path → the digest of its text
    folders: FolderDigests  # rendered/'s folders as the check found them, for restamp()


def recall(repo: Path, root: Path) -> Recalled | None:
    """The digests of rendered/'s files, when nothing under it changed since they were kept."""
    try:
        with (repo / DIGESTS).open("rb") as f:
            form, stamp, files = pickle.load(f)
        if form != FORMAT or not isinstance(files, dict) or not root.is_dir():
            return None
        folders = folder_digests(root, stamp_processes(len(files)))
        if stamp != stamp_of(folders):
            return None
        return Recalled(files, folders)
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
