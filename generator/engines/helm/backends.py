"""Chart + RenderUnit + values → [Document] from one of two backends: the helm binary on PATH
(`helm template`) or Helm's Go SDK in-process through helm-python-sdk."""

from __future__ import annotations

import functools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from generator.engines.helm.capabilities import kube_capabilities
from generator.engines.helm.chart import Chart
from generator.engines.helm.errors import translate
from generator.engines.helm.output import Document, crd_documents, parse_stream, sort_manifests
from generator.errors import GeneratorError
from generator.model import RenderUnit

# "binary" or "sdk" forces a backend; unset means the helm binary when it is on PATH.
BACKEND_ENV = "GENERATOR_HELM_BACKEND"


def strict(unit: RenderUnit) -> bool:
    """The platform's `helm.strict`: a template reading a value that is not set fails."""
    platform = unit.context.get("platform") or {}
    return bool((platform.get("helm") or {}).get("strict"))


def chosen_backend(strict: bool = False) -> str:
    """'binary' or 'sdk': what GENERATOR_HELM_BACKEND asks for, else whether helm is on PATH.
    Strict mode needs the SDK: `helm template` has no flag for it."""
    wanted = os.environ.get(BACKEND_ENV, "")
    if wanted == "binary" and strict and helm_binary():
        raise GeneratorError(
            f"{BACKEND_ENV} is 'binary' but the platform sets helm.strict, which `helm "
            "template` cannot do",
            hint=f"unset {BACKEND_ENV} (the SDK backend renders strictly) or set helm.strict "
            "to false",
        )
    if wanted == "sdk" or (wanted == "" and (strict or not helm_binary())):
        return "sdk"
    if wanted in ("", "binary") and helm_binary():
        return "binary"
    problem = "no helm binary is on PATH" if wanted == "binary" else "it is not a backend"
    raise GeneratorError(
        f"{BACKEND_ENV} is '{wanted}' but {problem}",
        hint=f"set {BACKEND_ENV} to 'sdk', or to 'binary' with helm on PATH, or unset it",
    )


def helm_backend() -> str:
    """Which backend renders charts, for `generator render -v` and logs."""
    if chosen_backend() == "binary":
        return f"helm binary {helm_binary()} ({binary_version()})"
    import helm_python

    return (
        f"helm-python-sdk {helm_python.__version__} "
        f"(Helm {helm_python.helm_sdk_version()} Go SDK, in-process)"
    )


@functools.cache
def helm_binary() -> str:
    return shutil.which("helm") or ""


@functools.cache
def binary_version() -> str:
    done = subprocess.run(
        [helm_binary(), "version", "--short"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() or "unknown version"


def helm_command(chart: Chart, unit: RenderUnit) -> list[str]:
    """The `helm template` command line the binary backend runs (values arrive on stdin)."""
    kube_version, api_versions = kube_capabilities(unit.cluster.kubernetes_version)
    return [
        helm_binary() or "helm",
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


def render_binary(chart: Chart, unit: RenderUnit, values: Mapping[str, Any]) -> list[Document]:
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
        raise translate(
            detail.split("\n\nUse --debug flag")[0],
            chart,
            unit,
            f"rerun `{shlex.join(command)}` with the unit's merged catalog values as JSON on stdin",
            exit_status=done.returncode,
        )
    check_warnings(done.stderr, unit)
    return parse_stream(done.stdout, chart, unit)


def render_sdk(chart: Chart, unit: RenderUnit, values: Mapping[str, Any]) -> list[Document]:
    import helm_python
    from helm_python import _native

    kube_version, api_versions = kube_capabilities(unit.cluster.kubernetes_version)
    options = {
        "name": unit.name,
        "namespace": unit.namespace,
        "kube_version": kube_version,
        "api_versions": api_versions,
        "is_install": True,
        "strict": strict(unit),  # Helm's engine with missingkey=error
    }
    # A chart is loaded per render: helm's dependency processing removes disabled subcharts
    # from the loaded chart, so a cached one would render the next unit without them.
    try:
        with helm_python.Chart.load(chart.folder) as loaded, go_stderr() as printed:
            # Chart.render() in 0.2.2 does not pass kube_version/api_versions, which the C
            # ABI's helm_render options accept, so the call goes one level down.
            files = json.loads(
                _native.call_string(
                    "helm_render", loaded._raw(), json.dumps(values), json.dumps(options)
                )
            )
            crds = loaded.crds  # read after rendering: disabled subcharts are gone by now
        check_warnings(printed.text, unit)
    except helm_python.HelmError as e:
        hint = (
            f"fix the chart; `helm lint {chart.path}` reports the same problem"
            if isinstance(e, helm_python.HelmChartLoadError)
            else "fix the chart or the values named above"
        )
        raise translate(str(e), chart, unit, hint, exit_status=None) from e
    return [*crd_documents(crds, chart, unit), *sort_manifests(files, chart, unit)]


class Printed:
    text = ""


@contextmanager
def go_stderr() -> Iterator[Printed]:
    """What Helm's Go logger writes to file descriptor 2 during the block, instead of the
    terminal: `warning: cannot overwrite table with non table for ...`."""
    printed = Printed()
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield printed
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            printed.text = capture.read().decode(errors="replace")


# 2026/01/02 15:04:05 warning: skipped value for web.x: Not a table.
_WARNING = re.compile(r"^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d )?warning: (?P<text>.*)$", re.MULTILINE)


def check_warnings(stderr: str, unit: RenderUnit) -> None:
    """Helm warns and carries on when a catalog value and the chart's values.yaml disagree on
    whether a key is a table: one of the two is dropped, so the render is refused."""
    found = [m["text"].strip().rstrip(".") for m in _WARNING.finditer(stderr)]
    if found:
        raise GeneratorError(
            f"{unit.label}: Helm dropped a value: " + "; ".join(found),
            unit.origin,
            "give the value the shape the chart's values.yaml has (a mapping where the chart "
            "has a mapping, a scalar where it has a scalar), or null to unset it",
        )


def go_values(value: Any) -> Any:
    """Catalog values as JSON types for Go (mappings may be read-only views)."""
    if isinstance(value, Mapping):
        return {str(k): go_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [go_values(v) for v in value]
    return value
