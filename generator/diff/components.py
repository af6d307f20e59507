"""Changed input files + two revisions → the engine of each changed component folder on both
sides (`jinja` → `helm` when a Chart.yaml replaces the templates, say)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePosixPath

from generator.diff.inputs import InputChange
from generator.diff.trees import Checkout, Revision, git, project_path
from generator.engines import detect_engine, engine_for_files

CHARTS = "charts"


def changed_folders(inputs: Iterable[InputChange]) -> list[str]:
    """`charts/<name>` of every changed component file."""
    folders = set()
    for change in inputs:
        for path in (change.path, change.old_path):
            parts = PurePosixPath(path).parts
            if parts[:1] == (CHARTS,) and len(parts) > 2:
                folders.add(f"{parts[0]}/{parts[1]}")
    return sorted(folders)


def engine_at(checkout: Checkout, revision: Revision, folder: str) -> str:
    """The engine of a component folder at a revision; "" when the folder is not there."""
    if not revision.sha:
        path = checkout.project / folder
        return detect_engine(path) if path.is_dir() else ""
    prefix = project_path(checkout, folder)
    listing = git(
        checkout.toplevel, "ls-tree", "-r", "--name-only", revision.sha, "--", f"{prefix}/"
    )
    paths = [
        PurePosixPath(line).relative_to(prefix)
        for line in listing.decode("utf-8", errors="surrogateescape").splitlines()
    ]
    return engine_for_files(paths) if paths else ""


def engines(
    checkout: Checkout, old: Revision, new: Revision, inputs: Iterable[InputChange]
) -> dict[str, tuple[str, str]]:
    """(old engine, new engine) per changed component folder."""
    return {
        folder: (engine_at(checkout, old, folder), engine_at(checkout, new, folder))
        for folder in changed_folders(inputs)
    }
