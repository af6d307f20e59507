"""Inputs of a render (catalog/, charts/, overlays/, schemas/, the generator itself) → a
fingerprint → the files that render produced, so an unchanged catalog re-renders at once."""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import re
import shutil
import stat
import sys
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from generator import __version__
from generator.model import RenderedFile
from generator.tree_stamp import stamp_processes, tree_stamp

CACHE_DIR = ".generator-cache/render"
# What rendered/ looked like right after a render wrote or checked it, and for which inputs.
TREE_INDEX = ".generator-cache/rendered-index.json"
INPUT_FOLDERS = ("catalog", "charts", "overlays", "schemas")
# Whole renders kept: this one and the one before (a branch and main). Other earlier states are
# served unit by unit from .generator-cache/units/; four full copies of a large fleet's output
# cost 220 MB of disk.
KEEP = 2
# Distributions whose version changes the rendered bytes or the findings: an upgrade must miss.
LIBRARIES = (
    "helm-python-sdk",
    "rjsonnet",
    "jsonnet",
    "jinja2",
    "PyYAML",
    "yaml-rs",
    "kubernetes-validate",
    "jsonschema-rs",
)


def fingerprint(repo: Path, clusters: Sequence[str], validate: bool) -> str:
    """Hash of every input file's path and bytes (and of every folder: an empty misspelt overlay
    folder is an error), the options and the generator's own code."""
    digest = hashlib.sha256()
    digest.update(f"{tool_fingerprint()}\0{sorted(clusters)}\0{validate}\0".encode())
    real_repo = repo.resolve()
    for folder in INPUT_FOLDERS:
        _hash_tree(digest, repo / folder, folder, real_repo)
    return digest.hexdigest()


def digest_of(value: Any) -> str:
    """A hash of a plain value by type and content, five times faster than through JSON.
    Pickled without its memo, the same value gives the same bytes however its parts are
    shared; 1, 1.0, "1" and True stay apart."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.fast = True  # no memo: a shared part is written out again, not referenced
    pickler.dump(value)
    return hashlib.sha256(buffer.getbuffer()).hexdigest()


def tool_fingerprint() -> str:
    """The generator's version and code, Python's, the Helm backend and the versions of the
    libraries that shape output: any change to them must miss every cache."""
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{sys.version}\0{_code_digest()}\0".encode())
    # the Helm backend may differ
    backend = os.environ.get("GENERATOR_HELM_BACKEND", "")
    digest.update(f"helm={shutil.which('helm')}\0{backend}\0".encode())
    digest.update(library_versions().encode())
    return digest.hexdigest()


@functools.cache
def _code_digest() -> str:
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    _hash_tree(digest, package, "<generator>", package)
    return digest.hexdigest()


def _hash_tree(digest: Any, root: Path, label: str, bound: Path) -> None:
    if not root.resolve().is_relative_to(bound):  # the whole input folder is a link out
        digest.update(f"{label} {link_text(root)}\0".encode())
        return
    for path in entries(root, bound):
        digest.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
        digest.update(content(path, bound))
        digest.update(b"\0")


def content(path: Path, bound: Path) -> bytes:
    """What a cache key takes from one entry: a regular file's bytes; for a symlink that leads
    outside `bound`, only where it points. That is never read or walked: the render refuses it,
    and a link to /proc/self/mem or to a huge folder must not stall a key. Nothing for folders,
    FIFOs and devices."""
    mode = _mode(path, follow=False)
    if stat.S_ISLNK(mode):  # folders on the way are inside: only a link can lead out
        if not path.resolve().is_relative_to(bound):
            return link_text(path).encode()
        mode = _mode(path, follow=True)
    return path.read_bytes() if stat.S_ISREG(mode) else b""


def link_text(path: Path) -> str:
    """`-> <target>` as the link is written (/proc/self stays /proc/self), or the resolved
    path where a folder above it is the link."""
    target = os.readlink(path) if path.is_symlink() else str(path.resolve())
    return f"-> {target}"


def _mode(path: Path, follow: bool) -> int:
    try:
        return os.stat(path, follow_symlinks=follow).st_mode
    except OSError:
        return 0


def library_versions() -> str:
    """`name=version` of every installed library in LIBRARIES, from the names of the
    `*.dist-info` folders on sys.path: one directory listing, where importlib.metadata would
    cost ~40 ms of start-up on every unchanged render."""
    wanted = {_normal(name) for name in LIBRARIES}
    found = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, _, version = name.removesuffix(".dist-info").partition("-")
                if _normal(dist) in wanted:
                    found.add(f"{_normal(dist)}={version}")
    return "\0".join(sorted(found)) + "\0"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def entries(root: Path, bound: Path) -> list[Path]:
    """Folders and files below root, in a stable order, without Python's caches. Symlinked
    folders inside `bound` are followed (their files are inputs too); one that leads outside
    it, or back to a folder already on the way down, is listed but not walked."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = Path(dirpath).resolve()
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        found.extend(Path(dirpath, d) for d in dirnames)
        reals = {d: Path(dirpath, d).resolve() for d in dirnames}
        dirnames[:] = [
            d
            for d in dirnames
            if reals[d].is_relative_to(bound) and not real.is_relative_to(reals[d])
        ]
        found.extend(Path(dirpath, f) for f in sorted(filenames) if not f.endswith(".pyc"))
    return found


def load(repo: Path, key: str) -> list[RenderedFile] | None:
    path = repo / CACHE_DIR / f"{key}.json"
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return [RenderedFile(PurePosixPath(rel), text) for rel, text in entries]


def store(repo: Path, key: str, files: Sequence[RenderedFile]) -> None:
    """Keep this render's files; a cache that cannot be written is only a missed speed-up."""
    folder = repo / CACHE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        temporary = folder / f".{key}.{os.getpid()}.tmp"
        temporary.write_text(
            json.dumps([[str(f.relpath), f.text] for f in files]), encoding="utf-8"
        )
        os.replace(temporary, folder / f"{key}.json")
        entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
        for old in entries[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass


def remember_tree(
    repo: Path, key: str, root: Path, count: int, clusters: Sequence[str], stamp: str = ""
) -> None:
    """Record that rendered/ now holds exactly the render of `key` (whose tree_stamp the
    caller may know already); only a speed-up."""
    stamp = stamp or tree_stamp(root, stamp_processes(count))
    record = {"key": key, "stamp": stamp, "count": count, "clusters": list(clusters)}
    path = repo / TREE_INDEX
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass


def recall_tree(repo: Path, key: str, root: Path) -> tuple[int, tuple[str, ...]] | None:
    """(files, clusters) when rendered/ is untouched since it was the render of `key`."""
    try:
        record = json.loads((repo / TREE_INDEX).read_text(encoding="utf-8"))
        if record["key"] != key or not root.is_dir():
            return None
        if record["stamp"] != tree_stamp(root, stamp_processes(int(record["count"]))):
            return None
        return int(record["count"]), tuple(str(c) for c in record["clusters"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
