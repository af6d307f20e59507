"""rendered/'s stamp: every entry under it by name, size, modification and change time and
inode, what git's index trusts to say a file is unchanged without reading it. An edit, a
deletion, a new file or a `touch -r` (which cannot set the change time back) all give another
stamp.

Each folder has a digest of its own entries and of its subfolders' digests, so after the
writer patched a few files only their folders and those above them are listed again
(restamp): 300 folders instead of 60,000 files for one tenant changed on 100 clusters.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from generator.pool import only_thread, usable_cpus

# Each process stamping rendered/ takes at least this many files: forking one costs 3-5 ms,
# about what stamping 1,000 files does (two cores stamp 2,400 files no faster than one).
FILES_PER_PROCESS = 2500

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # not on Windows
_FOLDER = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW

# a folder's path relative to the stamped root ("" for the root) → its digest
FolderDigests = dict[str, bytes]


def tree_stamp(root: Path, processes: int = 1) -> str:
    """The stamp of the tree under root (rendered/ itself may be a link)."""
    return stamp_of(folder_digests(root, processes))


def stamp_of(folders: Mapping[str, bytes]) -> str:
    return folders[""].hex()


def stamp_processes(files: int) -> int:
    """How many processes pay for stamping a tree of about `files` files."""
    return max(1, min(usable_cpus(), files // FILES_PER_PROCESS))


def folder_digests(root: Path, processes: int = 1) -> FolderDigests:
    """The digest of every folder under root, root included.

    Up to `processes` processes share the top-level folders (the kernel's lstat dominates and
    does not scale with threads); the digests are the same for any number of processes and
    whichever finishes first."""
    top = os.open(root, _FOLDER & ~_NOFOLLOW)
    try:
        listing, names = _listing(top, "")
        found = _subtrees(top, names, processes)
    finally:
        os.close(top)
    found[""] = _combine(listing, [found[name] for name in names])
    return found


def restamp(root: Path, before: Mapping[str, bytes], touched: Iterable[str]) -> FolderDigests:
    """folder_digests(root) after the files at `touched` (paths relative to root) were
    written, replaced or removed, given the digests `before` it: only their folders and the
    folders above them are listed again. Folders the writer created or emptied and removed
    lie on those paths too."""
    dirty = {""}
    for path in touched:
        parts = path.split("/")[:-1]
        dirty.update("/".join(parts[:end]) for end in range(1, len(parts) + 1))
    found = dict(before)
    top = os.open(root, _FOLDER & ~_NOFOLLOW)
    try:
        for folder in sorted(dirty, key=lambda p: p.count("/") + bool(p), reverse=True):
            try:  # deepest first: a folder's subfolders are done before it
                listing, names = _listing_at(top, folder)
            except FileNotFoundError:  # emptied and removed by the writer
                found.pop(folder, None)
                continue
            below = []
            for name in names:
                path = f"{folder}/{name}" if folder else name
                if path not in found:  # on no touched path yet new: walked as a whole
                    found.update(_subtree(top, path))
                below.append(found[path])
            found[folder] = _combine(listing, below)
    finally:
        os.close(top)
    return found


def _combine(listing: bytes, below: list[bytes]) -> bytes:
    digest = hashlib.sha256(listing)
    for folder in below:
        digest.update(folder)
    return digest.digest()


def _listing(folder: int, path: str) -> tuple[bytes, list[str]]:
    """The metadata of every entry of an open folder, in name order, as bytes that cannot be
    read two ways (a name holds neither NUL nor slash); and the names of its folders."""
    names = sorted(os.listdir(folder))
    lines = [f"{path}\0{len(names)}\0"]
    folders = []
    for name in names:  # relative to the open folder: no path to resolve again per entry
        info = os.lstat(name, dir_fd=folder)
        lines.append(
            f"{name}\0{info.st_mode} {info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} "
            f"{info.st_ino}\0"
        )
        if stat.S_ISDIR(info.st_mode):
            folders.append(name)
    return "".join(lines).encode(errors="surrogateescape"), folders


def _listing_at(root: int, path: str) -> tuple[bytes, list[str]]:
    """_listing of the folder at `path` below the open root ("" for the root itself)."""
    if not path:
        return _listing(root, "")
    folder = os.open(path, _FOLDER, dir_fd=root)
    try:
        return _listing(folder, path)
    finally:
        os.close(folder)


def _subtree(root: int, name: str) -> FolderDigests:
    """The digests of the folder `name` of the open root and of every folder below it."""
    order: list[tuple[str, bytes, list[str]]] = []
    waiting = [name]
    while waiting:  # every folder is listed before the folders below it
        path = waiting.pop()
        listing, folders = _listing_at(root, path)
        order.append((path, listing, folders))
        waiting.extend(f"{path}/{below}" for below in reversed(folders))
    found: FolderDigests = {}
    for path, listing, folders in reversed(order):  # so below before above
        found[path] = _combine(listing, [found[f"{path}/{below}"] for below in folders])
    return found


def _subtrees(root: int, names: list[str], processes: int) -> FolderDigests:
    """_subtree of each name: one share here, every other share in a forked child. A share
    whose child fails (or cannot be forked) is done here, so the outcome, digests or an
    error, is the one a single process gets."""
    processes = max(1, min(processes, len(names))) if _can_fork() else 1
    shares = [names[i::processes] for i in range(processes)]
    here = shares[0]
    children: list[tuple[list[str], int, int]] = []  # share, child, pipe from it
    found: FolderDigests = {}
    try:
        for share in shares[1:]:
            try:
                children.append((share, *_fork_digests(root, share)))
            except OSError:  # no process to spare
                here = here + share
        for name in here:
            found.update(_subtree(root, name))
        while children:
            share, child, pipe = children.pop()
            sent = _received(_collect(child, pipe), share)
            if sent is None:
                sent = {}
                for name in share:
                    sent.update(_subtree(root, name))
            found.update(sent)
    finally:
        for _, child, pipe in children:  # after an error or Ctrl-C here
            _collect(child, pipe)
    return found


def _received(data: bytes, share: list[str]) -> FolderDigests | None:
    """A child's digests, None unless they are whole."""
    try:
        found = pickle.loads(data) if data else None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError):
        return None
    if not isinstance(found, dict) or not all(name in found for name in share):
        return None
    return found


def _fork_digests(root: int, share: list[str]) -> tuple[int, int]:
    """A child writing the digests of `share` into a pipe: (its pid, the pipe's read end)."""
    reader, writer = os.pipe()
    try:
        child = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        raise
    if child == 0:  # pragma: no cover - the child; coverage cannot see it
        code = 1
        try:
            os.close(reader)
            found: FolderDigests = {}
            for name in share:
                found.update(_subtree(root, name))
            data = memoryview(pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))
            while data:
                data = data[os.write(writer, data) :]
            code = 0
        finally:  # whatever happened: no traceback, no exit handlers of the parent
            os._exit(code)
    os.close(writer)
    return child, reader


def _collect(child: int, pipe: int) -> bytes:
    """What the child sent, or nothing unless it finished cleanly."""
    chunks = []
    try:
        while chunk := os.read(pipe, 65536):
            chunks.append(chunk)
    finally:
        os.close(pipe)
        _, status = os.waitpid(child, 0)
    return b"".join(chunks) if os.waitstatus_to_exitcode(status) == 0 else b""


def _can_fork() -> bool:
    """Only a process with no other thread forks safely (another thread may hold a lock the
    child needs)."""
    return only_thread()
