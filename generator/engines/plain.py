"""Plain YAML component: every *.yaml / *.yml file under the folder → [Manifest], as written."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.model import Manifest, Origin, RenderUnit
from generator.yamlio import load_manifests

DOCUMENT_START = re.compile(r"^---[ \t]*(#.*)?$", re.MULTILINE)
# Files that configure a component rather than being part of its output.
NOT_MANIFESTS = frozenset({"values.yaml", "Chart.yaml", "kustomization.yaml"})


def render(unit: RenderUnit, repo: Path) -> list[Manifest]:
    folder = repo / str(unit.component.path)
    manifests: list[Manifest] = []
    for path in component_files(folder, (".yaml", ".yml")):
        rel = PurePosixPath(path.relative_to(repo).as_posix())
        manifests.extend(parse_stream(read_text(path, rel), rel))
    return manifests


def component_files(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Files of a component in a stable order, skipping partials (`_*`) and hidden files."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.name.endswith(suffixes)
        and p.name not in NOT_MANIFESTS
        and not any(part.startswith(("_", ".")) for part in p.relative_to(folder).parts)
    )


def read_text(path: Path, rel: PurePosixPath) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GeneratorError("file is not valid UTF-8", Origin(rel), "save the file as UTF-8") from e


def parse_stream(text: str, rel: PurePosixPath, line_offset: int = 0) -> list[Manifest]:
    """Split a YAML stream into objects, each with the line its document starts on."""
    separators = list(DOCUMENT_START.finditer(text))
    starts = [0] + [m.end() + 1 for m in separators]
    ends = [m.start() for m in separators] + [len(text)]
    manifests: list[Manifest] = []
    for start, end in zip(starts, ends, strict=True):
        chunk = text[start:end]
        line = text.count("\n", 0, start) + 1 + line_offset
        origin = Origin(rel, line)
        try:
            documents = load_manifests(chunk, rel)
        except GeneratorError as e:
            if e.origin is not None and e.origin.line:
                e.origin = Origin(rel, e.origin.line + line - 1, e.origin.column)
            raise
        for body in documents:
            manifests.extend(_objects(body, origin))
    return manifests


def _objects(body: object, origin: Origin) -> list[Manifest]:
    if not isinstance(body, dict):
        raise GeneratorError(
            f"document is a {type(body).__name__}, not a Kubernetes object",
            origin,
            "each YAML document must be a mapping with apiVersion, kind and metadata.name",
        )
    kind = body.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(body.get("items"), list):
        return [m for item in body["items"] for m in _objects(item, origin)]
    missing = [k for k in ("apiVersion", "kind") if not body.get(k)]
    if not isinstance(body.get("metadata"), dict) or not body["metadata"].get("name"):
        missing.append("metadata.name")
    if missing:
        raise GeneratorError(
            f"object is missing {', '.join(missing)}",
            origin,
            "every Kubernetes object needs apiVersion, kind and metadata.name",
        )
    return [Manifest(body, origin)]
