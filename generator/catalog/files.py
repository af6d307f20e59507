"""catalog/ on disk → [CatalogFile]: every file found, read as UTF-8 YAML with positions;
files in unexpected places are problems."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.textfiles import read_utf8
from generator.yamlio import Marks, load_with_positions, position_of

KINDS = {
    "environments": "environment",
    "clusters": "cluster",
    "operators": "operator",
    "tenants": "tenant",
}
YAML_SUFFIXES = (".yaml", ".yml")


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
    for path in sorted(root.rglob("*")):
        rel = PurePosixPath(path.relative_to(repo).as_posix())
        if path.is_dir() or path.name.startswith("."):
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
            files[rel] = _read_one(path, rel)
        except GeneratorError as e:
            problems.append(e)
    return files


def _expected_place(rel: PurePosixPath) -> bool:
    if rel == PurePosixPath("catalog/platform.yaml"):
        return True
    return len(rel.parts) == 3 and rel.parts[1] in KINDS and rel.suffix in YAML_SUFFIXES


def _read_one(path: Path, rel: PurePosixPath) -> CatalogFile:
    text = read_utf8(path, rel)
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
