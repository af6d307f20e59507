"""Chart folder → Chart (from Chart.yaml), and the checks made before either backend runs:
release name, chart type, vendored dependencies, kubeVersion, values.yaml and its schema."""

from __future__ import annotations

import functools
import json
import os
import re
import tarfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.engines.helm.semver import satisfies
from generator.errors import GeneratorError
from generator.model import Origin, RenderUnit
from generator.paths import inside, outside_error, read_bytes
from generator.textfiles import decode_utf8
from generator.yamlio import ManifestLoader, load_with_positions, position_of

RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


@dataclass(frozen=True, slots=True)
class Chart:
    """What the engine needs from Chart.yaml, read before either backend runs."""

    name: str
    path: PurePosixPath  # repo-relative chart folder
    folder: Path
    kube_version: str  # Chart.yaml kubeVersion constraint, or ""
    dependencies: tuple[str, ...]
    chart_type: str


CHART_HINT = (
    "charts may only hold files inside the repository: copy the file or subchart into the "
    "chart folder instead of linking to it"
)


def where(unit: RenderUnit) -> str:
    """The prefix of every Helm engine message: `<cluster>/<unit>`."""
    return unit.label


def read_chart(repo: Path, path: PurePosixPath) -> Chart:
    folder = repo / path
    raw = _read(folder / "Chart.yaml", path / "Chart.yaml", repo)
    meta = chart_metadata(raw, path / "Chart.yaml")
    return Chart(
        name=str(meta["name"]),
        path=path,
        folder=folder,
        kube_version=str(meta.get("kubeVersion") or ""),
        dependencies=tuple(str(d["name"]) for d in meta.get("dependencies") or ()),
        chart_type=str(meta.get("type") or "application"),
    )


def chart_metadata(raw: bytes, path: PurePosixPath) -> dict[str, Any]:
    """A Chart.yaml's content, checked for what the engine reads: UTF-8, one mapping without
    duplicate keys or tags, a string name, dependencies as a list of mappings with names."""
    documents = [d for d in load_with_positions(decode_utf8(raw, path), path) if d.data is not None]
    meta = documents[0].data if len(documents) == 1 else None
    if not isinstance(meta, dict):
        raise GeneratorError(
            "Chart.yaml is not one YAML mapping",
            Origin(path, 1, 1),
            "write Chart.yaml as a mapping: apiVersion: v2, name, version",
        )
    marks = documents[0].marks
    if not isinstance(meta.get("name"), str) or not meta["name"]:
        raise GeneratorError(
            "Chart.yaml has no 'name'",
            position_of(marks, ["name"], path),
            "add `name: <chart name>` (and apiVersion: v2, version) to Chart.yaml",
        )
    dependencies = meta.get("dependencies") or []
    if not isinstance(dependencies, list):
        raise GeneratorError(
            "Chart.yaml: dependencies must be a list",
            position_of(marks, ["dependencies"], path, value=True),
            "write dependencies as a list of {name, version, repository} entries",
        )
    for index, entry in enumerate(dependencies):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise GeneratorError(
                f"Chart.yaml: dependencies[{index}] has no name",
                position_of(marks, ["dependencies", index], path),
                "give every dependency a name (and version, repository)",
            )
    for key in ("annotations",):
        if key in meta and not isinstance(meta[key], dict | type(None)):
            raise GeneratorError(
                f"Chart.yaml: {key} must be a mapping",
                position_of(marks, [key], path, value=True),
                f"write {key} as key: value pairs",
            )
    return meta


def check_release_name(unit: RenderUnit) -> None:
    if not RELEASE_NAME.fullmatch(unit.name) or len(unit.name) > 53:
        raise GeneratorError(
            f"{where(unit)}: '{unit.name}' cannot be a Helm release name (at most 53 "
            "lower-case letters, digits, '-' and '.')",
            unit.origin,
            "shorten the operator's name: Helm release names are limited to 53 characters",
        )


def check_dependencies(chart: Chart, unit: RenderUnit) -> None:
    """Every dependency in Chart.yaml must be vendored under charts/ (nothing is fetched)."""
    if chart.chart_type != "application":
        raise GeneratorError(
            f"{where(unit)}: chart '{chart.name}' is a '{chart.chart_type}' chart and renders "
            "no objects",
            _chart_yaml_origin(chart, ["type"]),
            "point the operator at an application chart that depends on this library chart",
        )
    vendored = vendored_charts(chart.folder, chart.path)
    for index, name in enumerate(chart.dependencies):
        if name not in vendored:
            raise GeneratorError(
                f"{where(unit)}: chart '{chart.name}' depends on '{name}', which is not "
                f"vendored in '{chart.path}/charts/'",
                _chart_yaml_origin(chart, ["dependencies", index, "name"]),
                f"run `helm dependency build {chart.path}` where the repository is reachable "
                f"and commit {chart.path}/charts/; charts are never fetched while rendering",
            )


def vendored_charts(folder: Path, path: PurePosixPath) -> set[str]:
    """Names of the subcharts in charts/: unpacked folders and .tgz archives."""
    names: set[str] = set()
    charts = folder / "charts"
    if not charts.is_dir():
        return names
    for entry in sorted(charts.iterdir()):
        shown = path / "charts" / entry.name
        if (entry / "Chart.yaml").is_file():
            meta = chart_metadata((entry / "Chart.yaml").read_bytes(), shown / "Chart.yaml")
            names.add(str(meta["name"]))
        elif entry.name.endswith((".tgz", ".tar.gz")) and entry.is_file():
            names.add(_archive_chart_name(entry, shown))
    return names


def check_chart_tree(chart: Chart, unit: RenderUnit, repo: Path) -> None:
    """Before Helm reads anything: every file and folder of the chart (templates, files for
    .Files.Get, vendored subcharts) must resolve inside the repository, and every template
    must be UTF-8 (Helm would otherwise render replacement characters without a word)."""
    real_repo = repo.resolve()
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(chart.folder, followlinks=True):
        folder = Path(dirpath)
        real = folder.resolve()
        if real in seen:  # a link back to a folder already checked: do not walk it twice
            dirnames.clear()
            continue
        seen.add(real)
        for name in sorted(dirnames) + sorted(filenames):
            path = folder / name
            if not inside(path, real_repo):
                shown = chart.path / path.relative_to(chart.folder).as_posix()
                raise outside_error(
                    f"{where(unit)}: chart '{chart.name}' file",
                    str(shown),
                    path,
                    Origin(shown),
                    CHART_HINT,
                )
        if "templates" in folder.relative_to(chart.folder).parts:
            for name in sorted(filenames):
                _check_utf8(folder / name, chart, unit)


def _check_utf8(path: Path, chart: Chart, unit: RenderUnit) -> None:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        shown = chart.path / path.relative_to(chart.folder).as_posix()
        line = data.count(b"\n", 0, e.start) + 1
        raise GeneratorError(
            f"{where(unit)}: template is not valid UTF-8: byte 0x{data[e.start]:02x} at offset "
            f"{e.start}",
            Origin(shown, line),
            "save the file as UTF-8",
        ) from e


def check_kube_version(chart: Chart, unit: RenderUnit) -> None:
    version = unit.cluster.kubernetes_version.removeprefix("v")
    if chart.kube_version and not satisfies(version, chart.kube_version):
        raise GeneratorError(
            f"{where(unit)}: chart '{chart.name}' requires kubeVersion "
            f"'{chart.kube_version}', which cluster '{unit.cluster.name}' (Kubernetes "
            f"'{version}') does not satisfy",
            _chart_yaml_origin(chart, ["kubeVersion"]),
            "disable the operator on this cluster (enabledOn) or use a chart version that "
            "supports it",
        )


def check_chart_files(chart: Chart, unit: RenderUnit) -> None:
    """Raise for a values.yaml that is not YAML or a values.schema.json that is not JSON."""
    values, schema = chart.folder / "values.yaml", chart.folder / "values.schema.json"
    if values.is_file():
        try:
            _compose(values.read_text(), chart.path / "values.yaml")
        except GeneratorError as e:
            raise GeneratorError(f"{where(unit)}: {e.message}", e.origin, e.hint) from e
    if schema.is_file():
        try:
            json.loads(schema.read_text())
        except json.JSONDecodeError as e:
            raise GeneratorError(
                f"{where(unit)}: values.schema.json is not valid JSON: {e.msg}",
                Origin(chart.path / "values.schema.json", e.lineno, e.colno),
                "fix the JSON syntax (a JSON Schema document, as Helm requires)",
            ) from e


@functools.lru_cache(maxsize=4096)
def repo_path(source: str, chart: Chart) -> PurePosixPath:
    """`<chart name>/charts/<sub>/templates/x.yaml` → the repo-relative file it came from."""
    _, _, rest = source.partition("/")
    parts = rest.split("/")
    base, folder = chart.path, chart.folder
    while len(parts) > 2 and parts[0] == "charts":
        if (folder / "charts" / parts[1]).is_dir():
            base, folder, parts = (
                base / "charts" / parts[1],
                folder / "charts" / parts[1],
                parts[2:],
            )
            continue
        archives = sorted((folder / "charts").glob(f"{parts[1]}-*.tgz"))
        if archives:  # a packaged subchart: point at the archive
            return base / "charts" / archives[0].name
        break
    return base.joinpath(*parts)


def _chart_yaml_origin(chart: Chart, key_path: list[str | int]) -> Origin:
    """Where the key at key_path is written in Chart.yaml (its deepest existing part)."""
    path = chart.path / "Chart.yaml"
    node = _compose((chart.folder / "Chart.yaml").read_text(), path)
    origin = Origin(path, 1, 1)
    for key in key_path:
        if isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == key), None)
            if found is None:
                break
            mark, node = found[0].start_mark, found[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            mark = node.start_mark
        else:
            break
        origin = Origin(path, mark.line + 1, mark.column + 1)
    return origin


def _compose(text: str, path: PurePosixPath) -> yaml.Node | None:
    """The node tree of a one-document chart file (Chart.yaml, values.yaml); a malformed one
    is a GeneratorError at the problem's line and column."""
    try:
        return yaml.compose(text, Loader=ManifestLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise GeneratorError(
            f"malformed YAML: {problem}",
            Origin(path, mark.line + 1, mark.column + 1) if mark else Origin(path),
            "fix the YAML syntax at that position (indentation, quoting, a missing ':')",
        ) from e


def _read(file: Path, path: PurePosixPath, repo: Path) -> bytes:
    if not file.is_file() and not file.is_symlink():
        raise GeneratorError(
            "cannot read chart file: No such file or directory",
            Origin(path),
            "a helm component needs Chart.yaml in its folder under charts/",
        )
    return read_bytes(file, repo, "chart file", str(path), Origin(path), CHART_HINT)


def _archive_chart_name(archive: Path, shown: PurePosixPath) -> str:
    try:
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                if member.name.count("/") == 1 and member.name.endswith("/Chart.yaml"):
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        meta = chart_metadata(extracted.read(), shown / member.name)
                        return str(meta["name"])
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:
        raise GeneratorError(
            "subchart archive is not a readable gzipped tar file",
            Origin(shown),
            "vendor subcharts with `helm dependency build` (or `helm package`), or unpack it "
            "into a folder",
        ) from e
    raise GeneratorError(
        "subchart archive holds no <chart>/Chart.yaml",
        Origin(shown),
        "vendor subcharts with `helm dependency build` (or `helm package`)",
    )
