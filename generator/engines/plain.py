"""Plain YAML component: every *.yaml / *.yml file under the folder → [Manifest], as written."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Manifest, Origin, Reads, Rendered, RenderUnit
from generator.paths import check_inside
from generator.secrets import is_applied_as_list, is_list, sops_problem
from generator.textfiles import read_utf8
from generator.yamlio import document_source, load_manifests_with_lines

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
    return read_utf8(path, rel)


def parse_stream(text: str, rel: PurePosixPath) -> list[Manifest]:
    """Every object of a YAML stream, each with the line its document starts on; a
    SOPS-encrypted document carries its source text, to be written as it is."""
    manifests = []
    for line, body in load_manifests_with_lines(text, rel):
        origin = Origin(rel, line)
        if isinstance(body, dict) and "sops" in body:
            manifests.append(_encrypted(text, body, origin))
            continue
        for manifest in _objects(body, origin):
            if "sops" in manifest.body:
                raise GeneratorError(
                    f"{manifest.key} carries a 'sops' block inside a {body.get('kind')}",
                    origin,
                    "SOPS encrypts whole documents: encrypt the object as a document of its "
                    "own, outside the List",
                )
            manifests.append(manifest)
    return manifests


def _encrypted(text: str, body: dict[str, Any], origin: Origin) -> Manifest:
    """The document as SOPS wrote it, once it is proved to be exactly one SOPS-encrypted
    object: only those bytes may reach rendered/ unchanged."""
    if is_list(body):
        raise GeneratorError(
            f"SOPS-encrypted {body.get('kind')} cannot be passed through item by item",
            origin,
            "encrypt each object as a document of its own",
        )
    (manifest,) = _objects(body, origin)
    problem = sops_problem(body)
    if problem:
        raise GeneratorError(
            f"{manifest.key} has a 'sops' block but is not SOPS-encrypted: {problem}",
            origin,
            "encrypt the file with sops, which writes mac, lastmodified, version and the "
            "recipients' keys; never write or edit the 'sops' block by hand",
        )
    source = document_source(text, origin.line, body, origin.path)
    if source is None:
        raise GeneratorError(
            f"SOPS-encrypted {manifest.key} is not a document that can be copied as written",
            origin,
            "keep the file as sops wrote it: a block mapping starting on the line after its "
            "'---', nothing else in that document, no control characters, comments only as "
            "sops encrypts them",
        )
    return Manifest(body, origin, source)


def _objects(body: object, origin: Origin) -> list[Manifest]:
    if not isinstance(body, dict):
        raise GeneratorError(
            f"document is a {type(body).__name__}, not a Kubernetes object",
            origin,
            "each YAML document must be a mapping with apiVersion, kind and metadata.name",
        )
    if is_applied_as_list(body):
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
