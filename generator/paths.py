"""A path and the repository root → the file's bytes, once it is proved to stay inside the
repository (every symlink resolved) and to be a regular file: the one check made before
reading any input file, so nothing outside the repository reaches rendered/ or a message."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.model import Origin
from generator.textfiles import decode_utf8

OUTSIDE_HINT = "keep inputs inside the repository: copy the file in instead of linking to it"
# A Kubernetes kind, and an apiVersion's group and version, as the API server accepts them:
# checked before either takes part in a file name, so neither can lead out of a folder.
KIND = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")
_LABEL = r"[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
API_VERSION = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*/)?[A-Za-z0-9]{{1,63}}")


def inside(path: Path, repo: Path) -> bool:
    """True when the path, every symlink on the way resolved, stays under the repository."""
    return path.resolve().is_relative_to(repo.resolve())


def outside_error(what: str, shown: str, path: Path, origin: Origin, hint: str) -> GeneratorError:
    """`<what> '<shown>' leaves the repository (it resolves to '<target>')`."""
    return GeneratorError(
        f"{what} '{shown}' leaves the repository (it resolves to '{path.resolve()}')",
        origin,
        hint,
    )


def check_inside(path: Path, repo: Path, what: str, shown: str, origin: Origin, hint: str) -> None:
    """Raise the shared message when `path` resolves outside `repo`."""
    if not inside(path, repo):
        raise outside_error(what, shown, path, origin, hint)


def read_bytes(
    path: Path,
    repo: Path,
    what: str,
    shown: str,
    origin: Origin,
    hint: str = OUTSIDE_HINT,
) -> bytes:
    """The bytes of an input file inside the repository. A symlink out of it, or anything
    but a regular file (a FIFO would block, a device never ends), is refused unread."""
    check_inside(path, repo, what, shown, origin, hint)
    try:
        mode = os.stat(path).st_mode
    except OSError as e:
        raise GeneratorError(
            f"cannot read {what} '{shown}': {e.strerror}", origin, "check that it exists"
        ) from e
    if not stat.S_ISREG(mode):
        raise GeneratorError(
            f"{what} '{shown}' is not a regular file", origin, "replace it with a plain file"
        )
    return path.read_bytes()


def read_text(
    path: Path,
    repo: Path,
    what: str,
    shown: str,
    origin: Origin,
    hint: str = OUTSIDE_HINT,
    *,
    rel: PurePosixPath,
) -> str:
    """read_bytes() decoded as UTF-8; other bytes are an error at the first bad one's line and
    column in `rel`, the file's own name: `origin` is where the file is named (a resource
    entry of a kustomization, say), which a refusal to read it points at."""
    return decode_utf8(read_bytes(path, repo, what, shown, origin, hint), rel)


def is_kind(text: str) -> bool:
    return bool(KIND.fullmatch(text))


def is_api_version(text: str) -> bool:
    return bool(API_VERSION.fullmatch(text))
