"""Two revisions → the input files (catalog/, charts/, overlays/) that differ between them, and
which of them caused a rendered change, read from the `# Catalog:` and `# Source:` lines that
`generator render` writes at the top of every file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath

from generator.diff.compare import Change, Resource
from generator.diff.trees import Checkout, Revision, git, project_path

INPUT_FOLDERS = ("catalog", "charts", "overlays")
NUMBERED = 4  # "010-" in front of an operator folder


@dataclass(frozen=True, slots=True)
class InputChange:
    status: str  # git's letter: A(dded), M(odified), D(eleted), R(enamed)
    path: str  # relative to the project; the new path of a rename
    old_path: str  # the old path of a rename, else the same as path


def changed_inputs(checkout: Checkout, old: Revision, new: Revision) -> tuple[InputChange, ...]:
    """What `git diff --name-status` says about the input folders; untracked files count as
    added when the head is the working tree."""
    specs = [str(project_path(checkout, folder)) for folder in INPUT_FOLDERS]
    revisions = [old.sha, new.sha] if new.sha else [old.sha]
    out = git(checkout.toplevel, "diff", "--name-status", "-M", "-z", *revisions, "--", *specs)
    fields = out.decode("utf-8", errors="surrogateescape").split("\0")
    found: list[InputChange] = []
    position = 0
    while position < len(fields) and fields[position]:
        status = fields[position][0]
        if status in "RC":
            before, after = fields[position + 1], fields[position + 2]
            position += 3
        else:
            before = after = fields[position + 1]
            position += 2
        found.append(InputChange(status, _local(checkout, after), _local(checkout, before)))
    if not new.sha:
        untracked = git(
            checkout.toplevel, "ls-files", "--others", "--exclude-standard", "-z", "--", *specs
        ).decode("utf-8", errors="surrogateescape")
        found += [
            InputChange("A", _local(checkout, p), _local(checkout, p))
            for p in untracked.split("\0")
            if p
        ]
    return tuple(sorted(found, key=lambda c: c.path))


def _local(checkout: Checkout, path: str) -> str:
    if str(checkout.prefix) == ".":
        return path
    return str(PurePosixPath(path).relative_to(checkout.prefix))


def unit_name(component: str) -> str:
    """`cert-manager` for `010-cert-manager`, `payments` for `tenants/payments`."""
    if component.startswith("tenants/"):
        return component.removeprefix("tenants/")
    number, dash, name = component.partition("-")
    return name if dash and number.isdigit() else component


def _overlay_scopes(change: Change, environment: str) -> tuple[list[str], list[str]]:
    """Overlay folders that apply to the change's unit: scope-wide ones, and the unit's own."""
    name = unit_name(change.component)
    unit = f"tenants/{name}" if change.component.startswith("tenants/") else name
    scopes = [f"overlays/clusters/{change.cluster}/"]
    if environment:
        scopes.insert(0, f"overlays/environments/{environment}/")
    return scopes, [f"{scope}{unit}/" for scope in scopes]


def _sides(change: Change) -> Iterable[Resource]:
    return (r for r in (change.old, change.new) if r is not None)


def causes(change: Change, inputs: Iterable[InputChange], environment: str) -> tuple[str, ...]:
    """The changed input files this rendered change follows from; the unit's own catalog file
    when no changed input is named in its header (a generator upgrade, say)."""
    changed = {c.path for c in inputs} | {c.old_path for c in inputs}
    named = [
        path
        for side in _sides(change)
        for path in (*side.catalog, side.source)
        if path.startswith("catalog/")
    ]
    found = [p for p in dict.fromkeys(named) if p in changed]
    sources = {PurePosixPath(side.source).parts[:2] for side in _sides(change) if side.source}
    found += sorted(
        p
        for p in changed
        if p.startswith("charts/") and PurePosixPath(p).parts[:2] in sources and p not in found
    )
    # A scope-wide overlay folder holds other units' folders too: only its own files count.
    scopes, units = _overlay_scopes(change, environment)
    for path in sorted(changed):
        folder = str(PurePosixPath(path).parent) + "/"
        if folder in scopes or any(folder.startswith(u) for u in units):
            found.append(path)
    if found:
        return tuple(dict.fromkeys(found))
    # Named nowhere in the header: an operator inserted before this one changes its ordering,
    # say. The catalog files the change touched are the best guess; without any, the unit's.
    touched = sorted(p for p in changed if p.startswith("catalog/"))
    return tuple(touched[:3]) if touched else tuple(named[-1:])
