"""catalog/ on disk → [CatalogFile]: every file found, read as UTF-8 YAML with positions;
files in unexpected places are problems."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.paths import outside_error, read_text
from generator.yamlio import Marks, load_with_positions, position_of

KINDS = {
    "environments": "environment",
    "clusters": "cluster",
    "operators": "operator",
    "tenants": "tenant",
}
YAML_SUFFIXES = (".yaml", ".yml")


CATALOG_HINT = (
    "keep catalog files and folders inside the repository: copy them in instead of linking to "
    "them"
)


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """One parsed catalog file: its plain data and where each key path was written."""

    path: PurePosixPath
    data: Mapping[str, Any]
    marks: Marks

    def at(self, *key_path: str | int, value: bool = False) -> Origin:
        return position_of(self.marks, key_path, self.path, value)


def read_files(repo: Path, problems: list[GeneratorError]) -> dict[PurePosixPath, CatalogFile]:
    root = repo / "catalog"
    if not root.is_dir():
        raise GeneratorError(
            f"no catalog/ folder in '{repo}'",
            hint="run from the repository root or pass --repo; see docs/catalog.md for the layout",
        )
    files: dict[PurePosixPath, CatalogFile] = {}
    for path in _listing(root, repo, problems):
        rel = PurePosixPath(path.relative_to(repo).as_posix())
        if path.name.startswith("."):
            continue
        if not _expected_place(rel):
            problems.append(
                GeneratorError(
                    f"unexpected file '{rel}' in the catalog",
                    Origin(rel),
                    "catalog files live in catalog/platform.yaml or catalog/{environments,clusters,"
                    "operators,tenants}/<name>.yaml; move or delete this file",
                )
            )
            continue
        try:
            files[rel] = _read_one(path, rel, repo)
        except GeneratorError as e:
            problems.append(e)
    return files


def _listing(root: Path, repo: Path, problems: list[GeneratorError]) -> list[Path]:
    """Every file under catalog/, through symlinked folders that stay in the repository; a
    folder linked out of it is a problem, never walked."""
    found: list[Path] = []
    real_repo, seen = repo.resolve(), set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = Path(dirpath).resolve()
        if real in seen:  # a link back to a folder already listed
            dirnames.clear()
            continue
        seen.add(real)
        kept = []
        for name in sorted(dirnames):
            path = Path(dirpath, name)
            if path.resolve().is_relative_to(real_repo):
                kept.append(name)
                continue
            rel = PurePosixPath(path.relative_to(repo).as_posix())
            problems.append(outside_error("catalog folder", str(rel), path, Origin(rel), CATALOG_HINT))
        dirnames[:] = kept
        found.extend(Path(dirpath, name) for name in filenames)
    return sorted(found)


def _expected_place(rel: PurePosixPath) -> bool:
    if rel == PurePosixPath("catalog/platform.yaml"):
        return True
    return len(rel.parts) == 3 and rel.parts[1] in KINDS and rel.suffix in YAML_SUFFIXES


def _read_one(path: Path, rel: PurePosixPath, repo: Path) -> CatalogFile:
    text = read_text(path, repo, "catalog file", str(rel), Origin(rel), CATALOG_HINT, rel=rel)
    documents = [d for d in load_with_positions(text, rel) if d.data is not None]
    if len(documents) != 1 or not isinstance(documents[0].data, Mapping):
        found = "no document" if not documents else f"{len(documents)} documents"
        if len(documents) == 1:
            found = {list: "a list"}.get(type(documents[0].data), "a single value")
        raise GeneratorError(
            f"expected one YAML mapping, found {found}",
            Origin(rel, 1, 1),
            "write the file as a single mapping of keys (see docs/catalog.md)",
        )
    return CatalogFile(rel, documents[0].data, documents[0].marks)
