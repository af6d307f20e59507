"""`generator init`: the starter platform shipped as package data → files of a new platform
repository, or in place of the example platform of a copy of the generator's repository."""

from __future__ import annotations

import shutil
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path, PurePosixPath

from generator import __version__
from generator.errors import GeneratorError
from generator.model import Origin
from generator.yamlio import load_with_positions

STARTER = files("generator") / "starter"
# What `init --here` replaces: the platform folders of the generator's own repository.
PLATFORM_FOLDERS = ("catalog", "charts", "overlays", "rendered")
EXAMPLE_PLATFORM = "acme-platform"  # catalog/platform.yaml `name` of the shipped example

REQUIREMENTS = f"""\
# The generator release this platform renders with; `make` installs it into .venv/ unless a
# `generator` is on PATH. If the release is not on your package index, pin the wheel file
# (./wheels/platform_generator-{__version__}-py3-none-any.whl) or a VCS URL instead.
platform-generator=={__version__}
"""


def starter_files(*, repository: bool) -> dict[PurePosixPath, str]:
    """Relative path → text: the starter platform (catalog/, charts/), and with `repository`
    also Makefile, requirements.txt, README, .gitignore, pre-commit and CI workflow."""
    found: dict[PurePosixPath, str] = {}
    parts = ("platform", "repo") if repository else ("platform",)
    for part in parts:
        _collect(STARTER / part, PurePosixPath(), found)
    if repository:
        found[PurePosixPath("requirements.txt")] = REQUIREMENTS
    return dict(sorted(found.items()))


def _collect(folder: Traversable, at: PurePosixPath, found: dict[PurePosixPath, str]) -> None:
    for entry in folder.iterdir():
        # package data holds no dotfiles: `dot-gitignore` is written as `.gitignore`
        name = "." + entry.name[4:] if entry.name.startswith("dot-") else entry.name
        if entry.is_dir():
            _collect(entry, at / name, found)
        elif not name.endswith((".pyc", ".pyo")):
            found[at / name] = entry.read_text(encoding="utf-8")


def init_repository(target: Path, *, force: bool) -> list[PurePosixPath]:
    """Write a new platform repository into `target` (created if missing); the paths written.
    Existing files are overwritten only with `force`; nothing is written otherwise."""
    wanted = starter_files(repository=True)
    existing = [str(path) for path in wanted if (target / path).exists()]
    if existing and not force:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" * (len(existing) > 5))
        raise GeneratorError(
            f"init would overwrite {len(existing)} existing file(s) in '{target}': {shown}",
            hint="pass --force to overwrite them, or name an empty or new folder",
        )
    _write(target, wanted)
    return list(wanted)


def init_here(repo: Path, *, force: bool) -> tuple[list[str], list[PurePosixPath]]:
    """Replace the example platform of a copy of the generator's repository by the starter
    one: (folders removed, paths written). Another platform is replaced only with `force`."""
    platform = repo / "catalog" / "platform.yaml"
    if platform.is_file() and not force:
        name = _platform_name(platform)
        if name != EXAMPLE_PLATFORM:
            shown = f"'{name}'" if name is not None else "a platform"
            raise GeneratorError(
                f"catalog/ holds {shown}, not the example platform '{EXAMPLE_PLATFORM}': "
                "init --here would delete it",
                Origin(PurePosixPath("catalog/platform.yaml")),
                "pass --force to replace it anyway, or run 'generator init DIR' for a new "
                "repository",
            )
    removed = [folder for folder in PLATFORM_FOLDERS if (repo / folder).exists()]
    for folder in removed:
        shutil.rmtree(repo / folder)
    wanted = starter_files(repository=False)
    _write(repo, wanted)
    return removed, list(wanted)


def _platform_name(path: Path) -> str | None:
    """The `name` of a catalog/platform.yaml, or None when it cannot be read as a platform."""
    try:
        documents = load_with_positions(path.read_text(encoding="utf-8"), PurePosixPath(path.name))
    except (GeneratorError, OSError, UnicodeDecodeError):
        return None
    data = documents[0].data if documents else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def _write(root: Path, wanted: dict[PurePosixPath, str]) -> None:
    for path, text in wanted.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8", newline="\n")
