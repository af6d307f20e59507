"""A path and the repository root → inside or not, symlinks followed; the one check made before
reading any input file, so nothing outside the repository reaches rendered/."""

from __future__ import annotations

from pathlib import Path

from generator.errors import GeneratorError
from generator.model import Origin


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
