"""Plain YAML component: every *.yaml / *.yml file under the folder → [Manifest], as written."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.model import Manifest, Origin, Reads, Rendered, RenderUnit
from generator.paths import check_inside
from generator.yamlio import load_manifests_with_lines

# Files that configure a component rather than being part of its output.
NOT_MANIFESTS = frozenset({"values.yaml", "Chart.yaml", "kustomization.yaml"})


def render(unit: RenderUnit, repo: Path) -> list[Manifest]:
    return list(rendered(unit, repo).manifests)


def rendered(unit: RenderUnit, repo: Path) -> Rendered:
    """The manifests and what was read: the component folder, every file of it counting."""
    folder = repo / str(unit.component.path)
    files = component_files(folder, (".yaml", ".yml"))
    if not files:  # an empty folder, or manifests with another ending, is a mistake
        raise GeneratorError(
            f"{unit.label}: component '{unit.component.path}' has no manifests",
            unit.component.origin,
            "put *.yaml or *.yml files in it (or *.yaml.j2 templates, main.jsonnet, a Helm "
            "Chart.yaml); see docs/catalog.md, Components",
        )
    manifests: list[Manifest] = []
    for path in files:
        rel = PurePosixPath(path.relative_to(repo).as_posix())
        manifests.extend(parse_stream(read_text(path, rel, repo), rel))
    return Rendered(tuple(manifests), Reads(folders=frozenset({unit.component.path})))


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


def read_text(path: Path, rel: PurePosixPath, repo: Path) -> str:
    """The file's text; a symlink that resolves outside the repository is refused."""
    check_inside(
        path,
        repo,
        "file",
        str(rel),
        Origin(rel),
        "keep component files inside the repository: copy the file in instead of linking to it",
    )
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise GeneratorError(
            "file is not valid UTF-8", Origin(rel), "save the file as UTF-8"
        ) from e


def parse_stream(text: str, rel: PurePosixPath) -> list[Manifest]:
    """Every object of a YAML stream, each with the line its document starts on."""
    manifests = []
    for line, body in load_manifests_with_lines(text, rel):
        for manifest in _objects(body, Origin(rel, line)):
            if "sops" in manifest.body:
                manifest = Manifest(manifest.body, manifest.origin, _document_text(text, line))
            manifests.append(manifest)
    return manifests


def _document_text(text: str, line: int) -> str:
    """The document whose content starts on `line`, up to the next `---` or the end."""
    lines = text.splitlines(keepends=True)[line - 1 :]
    end = next((i for i, row in enumerate(lines) if row.startswith("---")), len(lines))
    body = "".join(lines[:end])
    return body if body.endswith("\n") else body + "\n"


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
