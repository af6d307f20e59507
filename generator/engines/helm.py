"""Helm chart folder + RenderUnit → [Manifest], rendered as `helm template` would (helm binary
on PATH, else helm-python-sdk in-process)."""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shlex
import shutil
import subprocess
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple

import yaml

from generator.errors import GeneratorError
from generator.model import Manifest, Origin, RenderUnit
from generator.yamlio import ManifestLoader, load_manifests

log = logging.getLogger(__name__)

# "binary" or "sdk" forces a backend; unset means the helm binary when it is on PATH.
BACKEND_ENV = "GENERATOR_HELM_BACKEND"
HOOK_ANNOTATION = "helm.sh/hook"
RELEASE_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Hooks that have a GitOps meaning (Argo CD maps them to PreSync/PostSync) are kept; hooks that
# run only on delete or rollback have none and are dropped, and so are test hooks.
KEPT_HOOK_EVENTS = frozenset({"pre-install", "post-install", "pre-upgrade", "post-upgrade"})
KNOWN_HOOK_EVENTS = KEPT_HOOK_EVENTS | {
    "pre-delete",
    "post-delete",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
}
# helm's releaseutil.InstallOrder: the order `helm template` prints objects in.
_KINDS_IN_INSTALL_ORDER = (
    "PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy "
    "PodDisruptionBudget ServiceAccount Secret SecretList ConfigMap StorageClass "
    "PersistentVolume PersistentVolumeClaim CustomResourceDefinition ClusterRole "
    "ClusterRoleList ClusterRoleBinding ClusterRoleBindingList Role RoleList RoleBinding "
    "RoleBindingList Service DaemonSet Pod ReplicationController ReplicaSet Deployment "
    "HorizontalPodAutoscaler StatefulSet Job CronJob IngressClass Ingress APIService "
    "MutatingWebhookConfiguration ValidatingWebhookConfiguration"
)
INSTALL_ORDER = {kind: i for i, kind in enumerate(_KINDS_IN_INSTALL_ORDER.split())}

# Built-in APIs by the minor version that first served and (exclusive) stopped serving them.
# Helm's offline default set lists group/versions only; real discovery also yields
# group/version/Kind, which charts test (`APIVersions.Has "policy/v1/PodDisruptionBudget"`).
BUILTIN_APIS: tuple[tuple[str, str, int, int], ...] = (
    ("v1", "ConfigMap Endpoints Event LimitRange Namespace Node PersistentVolume "
     "PersistentVolumeClaim Pod ReplicationController ResourceQuota Secret Service "
     "ServiceAccount", 0, 999),
    ("apps/v1", "ControllerRevision DaemonSet Deployment ReplicaSet StatefulSet", 9, 999),
    ("batch/v1", "Job", 0, 999),
    ("batch/v1", "CronJob", 21, 999),
    ("batch/v1beta1", "CronJob", 8, 25),
    ("autoscaling/v1", "HorizontalPodAutoscaler", 2, 999),
    ("autoscaling/v2", "HorizontalPodAutoscaler", 23, 999),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", 8, 25),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", 12, 26),
    ("policy/v1", "PodDisruptionBudget", 21, 999),
    ("policy/v1beta1", "PodDisruptionBudget PodSecurityPolicy", 5, 25),
    ("networking.k8s.io/v1", "NetworkPolicy", 7, 999),
    ("networking.k8s.io/v1", "Ingress IngressClass", 19, 999),
    ("networking.k8s.io/v1beta1", "Ingress IngressClass", 14, 22),
    ("rbac.authorization.k8s.io/v1", "ClusterRole ClusterRoleBinding Role RoleBinding", 8, 999),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", 16, 999),
    ("apiregistration.k8s.io/v1", "APIService", 10, 999),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration "
     "ValidatingWebhookConfiguration", 16, 999),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy "
     "ValidatingAdmissionPolicyBinding", 30, 999),
    ("storage.k8s.io/v1", "StorageClass VolumeAttachment", 13, 999),
    ("storage.k8s.io/v1", "CSIDriver CSINode", 18, 999),
    ("storage.k8s.io/v1", "CSIStorageCapacity", 24, 999),
    ("scheduling.k8s.io/v1", "PriorityClass", 14, 999),
    ("coordination.k8s.io/v1", "Lease", 14, 999),
    ("discovery.k8s.io/v1", "EndpointSlice", 21, 999),
    ("discovery.k8s.io/v1beta1", "EndpointSlice", 17, 25),
    ("certificates.k8s.io/v1", "CertificateSigningRequest", 19, 999),
    ("node.k8s.io/v1", "RuntimeClass", 20, 999),
    ("events.k8s.io/v1", "Event", 19, 999),
    ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema PriorityLevelConfiguration", 29, 999),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", 26, 32),
)  # fmt: skip


class Document(NamedTuple):
    """One rendered object and the `# Source:` path helm gave it (chart-name relative)."""

    source: str
    body: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Chart:
    """What the engine needs from Chart.yaml, read before either backend runs."""

    name: str
    path: PurePosixPath  # repo-relative chart folder
    folder: Path
    kube_version: str  # Chart.yaml kubeVersion constraint, or ""
    dependencies: tuple[str, ...]
    chart_type: str


# ---------------------------------------------------------------- public entry points


def render(unit: RenderUnit, repo: Path) -> list[Manifest]:
    """The chart's objects for this unit: CRDs from crds/, templates in install order, hooks.

    Release name = unit name, namespace = unit namespace, values = the unit's merged values
    over the chart's values.yaml; .Capabilities follow the cluster's kubernetesVersion.
    """
    chart = read_chart(repo, unit.component.path)
    if not RELEASE_NAME.fullmatch(unit.name) or len(unit.name) > 53:
        raise GeneratorError(
            f"{_where(unit)}: '{unit.name}' cannot be a Helm release name (at most 53 "
            "lower-case letters, digits, '-' and '.')",
            unit.origin,
            "shorten the operator's name: Helm release names are limited to 53 characters",
        )
    check_dependencies(chart, unit)
    check_kube_version(chart, unit)
    values = _plain(unit.values)
    backend = _backend()
    if log.isEnabledFor(logging.DEBUG):
        log.debug("chart %s for %s: %s", chart.path, _where(unit), helm_backend())
    if backend == "binary":
        documents = _render_binary(chart, unit, values)
    else:
        documents = _render_sdk(chart, unit, values)
    return [
        Manifest(doc.body, Origin(_repo_path(doc.source, chart), 1))
        for doc in documents
        if keeps_hook(doc.body)
    ]


def helm_backend() -> str:
    """Which backend renders charts, for `generator render -v` and logs."""
    if _backend() == "binary":
        return f"helm binary {_helm_binary()} ({_binary_version()})"
    import helm_python

    return (
        f"helm-python-sdk {helm_python.__version__} "
        f"(Helm {helm_python.helm_sdk_version()} Go SDK, in-process)"
    )


def kube_capabilities(kubernetes_version: str) -> tuple[str, list[str]]:
    """`--kube-version` and the extra `--api-versions` for a cluster's kubernetesVersion."""
    minor = int(kubernetes_version.split(".")[1])
    api: list[str] = []
    for group_version, kinds, since, removed in BUILTIN_APIS:
        if since <= minor < removed:
            api.append(group_version)
            api.extend(f"{group_version}/{kind}" for kind in kinds.split())
    return f"v{kubernetes_version.removeprefix('v')}", sorted(set(api))


def keeps_hook(body: Mapping[str, Any]) -> bool:
    """False for a hook that runs only on delete, rollback or test (see docs/helm.md)."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    hooks = annotations.get(HOOK_ANNOTATION)
    if hooks is None:
        return True
    events = {e.strip().lower() for e in str(hooks).split(",")}
    return not ({"test", "test-success"} & events) and bool(events & KEPT_HOOK_EVENTS)


# ---------------------------------------------------------------- checks before rendering


def read_chart(repo: Path, path: PurePosixPath) -> Chart:
    folder = repo / path
    text = _read(folder / "Chart.yaml", path / "Chart.yaml")
    _compose(text, path / "Chart.yaml")  # raises with line and column for malformed YAML
    meta = yaml.load(text, Loader=ManifestLoader)
    if not isinstance(meta, dict) or not meta.get("name"):
        raise GeneratorError(
            "Chart.yaml has no 'name'",
            Origin(path / "Chart.yaml", 1),
            "add `name: <chart name>` (and apiVersion: v2, version) to Chart.yaml",
        )
    return Chart(
        name=str(meta["name"]),
        path=path,
        folder=folder,
        kube_version=str(meta.get("kubeVersion") or ""),
        dependencies=tuple(str(d.get("name")) for d in meta.get("dependencies") or ()),
        chart_type=str(meta.get("type") or "application"),
    )


def check_dependencies(chart: Chart, unit: RenderUnit) -> None:
    """Every dependency in Chart.yaml must be vendored under charts/ (nothing is fetched)."""
    if chart.chart_type != "application":
        raise GeneratorError(
            f"{_where(unit)}: chart '{chart.name}' is a '{chart.chart_type}' chart and renders "
            "no objects",
            _chart_yaml_origin(chart, ["type"]),
            "point the operator at an application chart that depends on this library chart",
        )
    vendored = vendored_charts(chart.folder)
    for index, name in enumerate(chart.dependencies):
        if name not in vendored:
            raise GeneratorError(
                f"{_where(unit)}: chart '{chart.name}' depends on '{name}', which is not "
                f"vendored in '{chart.path}/charts/'",
                _chart_yaml_origin(chart, ["dependencies", index, "name"]),
                f"run `helm dependency build {chart.path}` where the repository is reachable "
                f"and commit {chart.path}/charts/; charts are never fetched while rendering",
            )


def vendored_charts(folder: Path) -> set[str]:
    """Names of the subcharts in charts/: unpacked folders and .tgz archives."""
    names: set[str] = set()
    charts = folder / "charts"
    if not charts.is_dir():
        return names
    for entry in charts.iterdir():
        if (entry / "Chart.yaml").is_file():
            meta = yaml.load((entry / "Chart.yaml").read_text(), Loader=ManifestLoader)
            names.add(str((meta or {}).get("name", entry.name)))
        elif entry.name.endswith((".tgz", ".tar.gz")) and entry.is_file():
            names.add(_archive_chart_name(entry))
    return names


def check_kube_version(chart: Chart, unit: RenderUnit) -> None:
    version = unit.cluster.kubernetes_version.removeprefix("v")
    if chart.kube_version and not satisfies(version, chart.kube_version):
        raise GeneratorError(
            f"{_where(unit)}: chart '{chart.name}' requires kubeVersion "
            f"'{chart.kube_version}', which cluster '{unit.cluster.name}' (Kubernetes "
            f"'{version}') does not satisfy",
            _chart_yaml_origin(chart, ["kubeVersion"]),
            "disable the operator on this cluster (enabledOn) or use a chart version that "
            "supports it",
        )


# ---------------------------------------------------------------- backends


def _backend() -> str:
    wanted = os.environ.get(BACKEND_ENV, "")
    if wanted == "sdk" or (wanted == "" and not _helm_binary()):
        return "sdk"
    if wanted in ("", "binary") and _helm_binary():
        return "binary"
    problem = "no helm binary is on PATH" if wanted == "binary" else "it is not a backend"
    raise GeneratorError(
        f"{BACKEND_ENV} is '{wanted}' but {problem}",
        hint=f"set {BACKEND_ENV} to 'sdk', or to 'binary' with helm on PATH, or unset it",
    )


@functools.cache
def _helm_binary() -> str:
    return shutil.which("helm") or ""


@functools.cache
def _binary_version() -> str:
    done = subprocess.run(
        [_helm_binary(), "version", "--short"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown version"


def helm_command(chart: Chart, unit: RenderUnit) -> list[str]:
    """The `helm template` command line the binary backend runs (values arrive on stdin)."""
    kube_version, api_versions = kube_capabilities(unit.cluster.kubernetes_version)
    return [
        _helm_binary() or "helm",
        "template",
        unit.name,
        str(chart.folder),
        "--namespace",
        unit.namespace,
        "--kube-version",
        kube_version,
        "--api-versions",
        ",".join(api_versions),
        "--include-crds",
        "--skip-tests",
        "--values",
        "-",
    ]


def _render_binary(chart: Chart, unit: RenderUnit, values: Mapping[str, Any]) -> list[Document]:
    command = helm_command(chart, unit)
    done = subprocess.run(
        command, input=json.dumps(values), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        # Warnings (kubeconfig permissions, symlinks) may precede helm's one "Error: " line.
        stderr = done.stderr.strip()
        detail = (
            stderr[stderr.rfind("Error: ") + len("Error: ") :] if "Error: " in stderr else stderr
        )
        raise _translate(
            detail.split("\n\nUse --debug flag")[0],
            chart,
            unit,
            f"rerun `{shlex.join(command)}` with the unit's merged catalog values as JSON on stdin",
            exit_status=done.returncode,
        )
    return parse_stream(done.stdout, chart, unit)


def _render_sdk(chart: Chart, unit: RenderUnit, values: Mapping[str, Any]) -> list[Document]:
    import helm_python
    from helm_python import _native

    kube_version, api_versions = kube_capabilities(unit.cluster.kubernetes_version)
    options = {
        "name": unit.name,
        "namespace": unit.namespace,
        "kube_version": kube_version,
        "api_versions": api_versions,
        "is_install": True,
    }
    # A chart is loaded per render: helm's dependency processing removes disabled subcharts
    # from the loaded chart, so a cached one would render the next unit without them.
    try:
        with helm_python.Chart.load(chart.folder) as loaded:
            # Chart.render() in 0.2.2 does not pass kube_version/api_versions, which the C
            # ABI's helm_render options accept, so the call goes one level down.
            files = json.loads(
                _native.call_string(
                    "helm_render", loaded._raw(), json.dumps(values), json.dumps(options)
                )
            )
            crds = loaded.crds  # read after rendering: disabled subcharts are gone by now
    except helm_python.HelmError as e:
        hint = (
            f"fix the chart; `helm lint {chart.path}` reports the same problem"
            if isinstance(e, helm_python.HelmChartLoadError)
            else "fix the chart or the values named above"
        )
        raise _translate(str(e), chart, unit, hint, exit_status=None) from e
    return [*_crd_documents(crds, chart, unit), *sort_manifests(files, chart, unit)]


def _crd_documents(
    crds: Sequence[Mapping[str, str]], chart: Chart, unit: RenderUnit
) -> list[Document]:
    documents = []
    for crd in crds:
        source = crd["filename"]
        for body in _load(crd["data"], source, chart, unit):
            documents.append(Document(source, body))
    return documents


def sort_manifests(files: Mapping[str, str], chart: Chart, unit: RenderUnit) -> list[Document]:
    """helm's releaseutil.SortManifests + the `helm template` printing order, for the SDK.

    Templates in path order, split into documents; NOTES.txt and partials dropped; plain
    objects sorted by kind (InstallOrder, stable), then hooks sorted the same way; unknown and
    test hooks dropped as `helm template --skip-tests` does.
    """
    manifests: list[Document] = []
    hooks: list[Document] = []
    for path in sorted(files):
        content = files[path]
        if path.endswith("NOTES.txt") or path.rpartition("/")[2].startswith("_"):
            continue
        if not content.strip():
            continue
        for entry in _DOCUMENT_START.split(content.strip()):
            for body in _load(entry.strip(), path, chart, unit) if entry else ():
                annotations = (body.get("metadata") or {}).get("annotations") or {}
                if HOOK_ANNOTATION not in annotations:
                    manifests.append(Document(path, body))
                    continue
                events = {e.strip().lower() for e in str(annotations[HOOK_ANNOTATION]).split(",")}
                if events <= KNOWN_HOOK_EVENTS and not events & {"test", "test-success"}:
                    hooks.append(Document(path, body))
    return sorted(manifests, key=_kind_order) + sorted(hooks, key=_kind_order)


# releaseutil.SplitManifests splits on `(?:^|\s*\n)---\s*`: a `---` at the start of a line;
# the whitespace it also swallows is stripped from every document anyway.
_DOCUMENT_START = re.compile(r"^---", re.MULTILINE)


def parse_stream(text: str, chart: Chart, unit: RenderUnit) -> list[Document]:
    """`helm template` output → documents, each with the `# Source:` path above it."""
    documents: list[Document] = []
    source = f"{chart.name}/Chart.yaml"
    for chunk in re.split(r"(?m)^---[ \t]*\n", text):
        header = re.match(r"# Source: (\S+)\n", chunk)
        if header:
            source = header.group(1)
        documents.extend(Document(source, body) for body in _load(chunk, source, chart, unit))
    return documents


def _kind_order(doc: Document) -> tuple[int, int, str]:
    kind = str(doc.body.get("kind", ""))
    return (0, INSTALL_ORDER[kind], "") if kind in INSTALL_ORDER else (1, 0, kind)


@functools.lru_cache(maxsize=2048)
def _parse(text: str) -> tuple[str, ...]:
    """YAML documents as JSON texts: CRDs and unchanged templates repeat on every cluster, and
    json.loads is many times faster than building the same objects from YAML again."""
    return tuple(json.dumps(body) for body in load_manifests(text, PurePosixPath("-")))


def _load(text: str, source: str, chart: Chart, unit: RenderUnit) -> list[Mapping[str, Any]]:
    path = _repo_path(source, chart)
    try:
        bodies = [json.loads(body) for body in _parse(text)]
    except GeneratorError as e:
        raise GeneratorError(
            f"{_where(unit)}: template '{source}' rendered invalid YAML: {e.message}"
            f" (line {e.origin.line if e.origin else 0} of its output)",
            Origin(path, 1),
            "check indentation in the template (nindent/toYaml) and render it alone with "
            "`helm template --debug --show-only`",
        ) from e
    # A v1 List is applied item by item (kubectl, Argo CD), so its items are the objects.
    bodies = [
        item
        for body in bodies
        for item in (
            body.get("items") or []
            if isinstance(body, dict)
            and body.get("kind") == "List"
            and body.get("apiVersion") == "v1"
            else [body]
        )
    ]
    for body in bodies:
        metadata = body.get("metadata") if isinstance(body, dict) else None
        if not (
            isinstance(metadata, dict)
            and body.get("apiVersion")
            and body.get("kind")
            and metadata.get("name")
        ):
            raise GeneratorError(
                f"{_where(unit)}: template '{source}' rendered a document that is not a "
                "Kubernetes object (it needs apiVersion, kind and metadata.name)",
                Origin(path, 1),
                "make every document the template emits a complete object, or wrap optional "
                "ones in {{- if }} ... {{- end }}",
            )
    return bodies


# ---------------------------------------------------------------- errors and origins

_PARSE = re.compile(r"parse error at \((?P<file>[^():]+):(?P<line>\d+)\): (?P<msg>.*)", re.S)
_EXEC = re.compile(
    r"execution error at \((?P<file>[^():]+):(?P<line>\d+):(?P<col>\d+)\): (?P<msg>.*)", re.S
)
_FRAME = re.compile(
    r"(?:template: )?(?P<file>[^\s():]+\.(?:yaml|yml|tpl|txt|json)):(?P<line>\d+)"
    r"(?::(?P<col>\d+))?:?(?P<msg>.*)",
    re.S,
)
_YAML = re.compile(r"YAML parse error on (?P<file>[^:\s]+): (?P<msg>.*)", re.S)
_SCHEMA = "values don't meet the specifications of the schema(s)"


def _translate(
    detail: str, chart: Chart, unit: RenderUnit, hint: str, *, exit_status: int | None
) -> GeneratorError:
    """A helm error text (SDK exception or binary stderr) → GeneratorError at the template."""
    where = _where(unit)
    text = detail.strip()
    if "cannot load values.yaml" in text or text.startswith(_SCHEMA):
        _check_chart_files(chart, unit)  # a broken file is named with its own line and column
    if text.startswith(_SCHEMA):
        return GeneratorError(
            f"{where}: values do not satisfy the chart's values.schema.json: "
            f"{' '.join(text.split(chr(10), 1)[-1].split())}",
            unit.origin,
            f"fix the value in the catalog (platform, environment, cluster or {unit.kind} "
            f"values); the schema is {chart.path}/values.schema.json",
        )
    for pattern, what in ((_PARSE, "template parse error"), (_EXEC, "template failed")):
        match = pattern.match(text)
        if match:
            return GeneratorError(
                f"{where}: {what}: {' '.join(match['msg'].split())}",
                Origin(_repo_path(match["file"], chart), int(match["line"]), _column(match)),
                "fix the template syntax" if what.endswith("parse error") else
                "set the value named above in the catalog or fix the template",
            )  # fmt: skip
    match = _YAML.match(text)
    if match:
        return GeneratorError(
            f"{where}: template '{match['file']}' rendered invalid YAML: "
            f"{' '.join(match['msg'].split())}",
            Origin(_repo_path(match["file"], chart), 1),
            "check indentation in the template (nindent/toYaml)",
        )
    match = _FRAME.match(text)
    if match:
        return GeneratorError(
            f"{where}: template error: {' '.join(match['msg'].split())}",
            Origin(_repo_path(match["file"], chart), int(match["line"]), _column(match)),
            "fix the template at that position",
        )
    status = f" (helm exit status {exit_status})" if exit_status is not None else ""
    return GeneratorError(
        f"{where}: helm could not render chart '{chart.name}'{status}: {' '.join(text.split())}",
        Origin(chart.path / "Chart.yaml", 1),
        hint,
    )


def _plain(value: Any) -> Any:
    """Catalog values as JSON types for Go (mappings may be read-only views)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _check_chart_files(chart: Chart, unit: RenderUnit) -> None:
    """Raise for a values.yaml that is not YAML or a values.schema.json that is not JSON."""
    values, schema = chart.folder / "values.yaml", chart.folder / "values.schema.json"
    if values.is_file():
        try:
            _compose(values.read_text(), chart.path / "values.yaml")
        except GeneratorError as e:
            raise GeneratorError(f"{_where(unit)}: {e.message}", e.origin, e.hint) from e
    if schema.is_file():
        try:
            json.loads(schema.read_text())
        except json.JSONDecodeError as e:
            raise GeneratorError(
                f"{_where(unit)}: values.schema.json is not valid JSON: {e.msg}",
                Origin(chart.path / "values.schema.json", e.lineno, e.colno),
                "fix the JSON syntax (a JSON Schema document, as Helm requires)",
            ) from e


def _column(match: re.Match[str]) -> int:
    # Go's text/template counts columns from 0; Origin counts from 1 (0 = unknown).
    column = match.groupdict().get("col")
    return int(column) + 1 if column else 0


def _where(unit: RenderUnit) -> str:
    return f"{unit.cluster.name}/{unit.name}"  # as the Jinja engine prefixes its errors


@functools.lru_cache(maxsize=4096)
def _repo_path(source: str, chart: Chart) -> PurePosixPath:
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


def _read(file: Path, path: PurePosixPath) -> str:
    try:
        return file.read_text()
    except OSError as e:
        raise GeneratorError(
            f"cannot read chart file: {e.strerror}",
            Origin(path),
            "a helm component needs Chart.yaml in its folder under charts/",
        ) from e


def _archive_chart_name(archive: Path) -> str:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if member.name.count("/") == 1 and member.name.endswith("/Chart.yaml"):
                extracted = tar.extractfile(member)
                if extracted is not None:
                    meta = yaml.load(extracted.read(), Loader=ManifestLoader)
                    return str((meta or {}).get("name", ""))
    return ""


# ---------------------------------------------------------------- kubeVersion constraints

_COMPARATOR = re.compile(
    r"(?P<op>!=|>=|=>|<=|=<|~>|[=<>~^])?\s*v?(?P<ver>[0-9xX*]+(?:\.[0-9xX*]+){0,2}"
    r"(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)"
)


Version = tuple[int, int, int, tuple[tuple[int, int | str], ...]]


def _version(text: str) -> Version:
    core, _, pre = text.partition("+")[0].partition("-")
    major, minor, patch = ([int(p) for p in core.split(".")] + [0, 0])[:3]
    # Pre-releases sort before the release; numeric identifiers before alphanumeric ones.
    rank = tuple((0, int(p)) if p.isdigit() else (1, p) for p in pre.split(".")) if pre else ()
    return (major, minor, patch, rank or ((2, 0),))


def satisfies(version: str, constraint: str) -> bool:
    """Masterminds semver (as in Chart.yaml kubeVersion): `||` of comma/space-separated ANDs,
    with `=`, `!=`, `<`, `<=`, `>`, `>=`, `~`, `^`, x-wildcards and `a - b` ranges."""
    have = _version(version)
    has_pre = "-" in version.partition("+")[0]
    for group in constraint.split("||"):
        group = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1 <=\2", group.strip())
        comparators = list(_COMPARATOR.finditer(group))
        if comparators and all(
            _compare(have, has_pre, c["op"] or "=", c["ver"]) for c in comparators
        ):
            return True
    return False


def _compare(have: Version, has_pre: bool, op: str, text: str) -> bool:
    core = text.partition("+")[0].partition("-")[0]
    parts = [p for p in core.split(".") if p not in ("x", "X", "*")]
    if has_pre and "-" not in text.partition("+")[0]:
        return False  # a pre-release only matches constraints that name a pre-release
    if not parts:
        return True
    pre = text.partition("+")[0].partition("-")[2]
    low = _version(".".join(parts + ["0"] * (3 - len(parts))) + (f"-{pre}" if pre else ""))
    nums = [int(p) for p in parts]

    def bump(index: int) -> Version:
        upper = [*nums[:index], nums[index] + 1, 0, 0]
        return (
            upper[0],
            upper[1],
            upper[2],
            ((0, -1),),
        )  # below every pre-release of the bumped version

    upper_wild = bump(len(parts) - 1) if len(parts) < 3 else None
    if op in ("=", "=="):
        return low <= have < upper_wild if upper_wild else have == low
    if op == "!=":
        return not (low <= have < upper_wild) if upper_wild else have != low
    if op in (">=", "=>"):
        return bool(have >= low)
    if op == ">":
        return have >= upper_wild if upper_wild else have > low
    if op == "<":
        return bool(have < low)
    if op in ("<=", "=<"):
        return have < upper_wild if upper_wild else have <= low
    if op in ("~", "~>"):
        return low <= have < bump(min(1, len(parts) - 1))
    # ^: the left-most non-zero part may not change
    first = next((i for i, n in enumerate(nums) if n), len(nums) - 1)
    return low <= have < bump(first)
