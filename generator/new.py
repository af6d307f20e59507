"""`generator new operator|tenant` → the catalog file and component folder of a working unit.

The starters render and pass every policy as written (pinned image, requests and limits, no
root), so `generator render` right after `new` succeeds; each engine's starter reads the same
two values, `image` and `replicas`, from the operator file.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from typing import Literal

from generator.errors import GeneratorError

NewEngine = Literal["plain", "jinja", "jsonnet", "helm"]
ENGINES: tuple[NewEngine, ...] = ("plain", "jinja", "jsonnet", "helm")
OPERATOR_NAME = re.compile(r"^(\d{3})-([a-z0-9]([-a-z0-9]*[a-z0-9])?)$")
TENANT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
IMAGE = "registry.k8s.io/pause:3.10"

_CONTAINER = """\
      containers:
        - name: {name}
          image: {image}
          resources:
            requests: {{cpu: 10m, memory: 16Mi}}
            limits: {{cpu: 100m, memory: 32Mi}}
          securityContext:
            runAsNonRoot: true
            runAsUser: 65532
            allowPrivilegeEscalation: false
            capabilities: {{drop: [ALL]}}
"""

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app.kubernetes.io/name: {name}}}
  template:
    metadata:
      labels: {{app.kubernetes.io/name: {name}}}
    spec:
"""

_JSONNET = """\
// {name}: a starting point. `values` are the merged catalog values (operator file last).
local k = import 'k8s.libsonnet';

function(component, values)
  local name = '{name}';
  {{
    deployment: k.deployment(name, [
      k.container(name, values.image, resources=k.resources('10m', '16Mi', '100m', '32Mi'))
      + {{ securityContext: {{
        runAsNonRoot: true,
        runAsUser: 65532,
        allowPrivilegeEscalation: false,
        capabilities: {{ drop: ['ALL'] }},
      }} }},
    ], replicas=values.replicas, namespace=component.namespace),
  }}
"""

_CHART = """\
apiVersion: v2
name: {name}
description: A starting point for the {name} operator.
type: application
version: 0.1.0
"""

_OPERATOR = """\
# {name}: rendered from charts/{name}/ ({engine}). Values here are the operator's defaults;
# environments and clusters may override them.{scope}
namespace: {name}
values:
  image: {image}
  replicas: 1
"""

_HELM_SCOPE = """
# They are the chart's values and nothing else: write `registry: ${values.registry}` to hand
# the chart a platform value (docs/helm.md)."""

_TENANT = """\
# Tenant {name}: confined to namespace ns-{name}. See docs/tenants.md for every key.
owners: [team-{name}]
quotas:
  cpu: "2"
  memory: 4Gi
  pods: 20
"""


def new_operator(repo: Path, name: str, engine: NewEngine) -> list[PurePosixPath]:
    """Write catalog/operators/NNN-name.yaml and charts/<name>/; returns what was written."""
    match = OPERATOR_NAME.match(name)
    if match is None:
        raise GeneratorError(
            f"'{name}' is not an operator file name",
            hint="use three digits, a dash and a DNS label, e.g. 045-metrics-server",
        )
    short = match.group(2)
    taken = sorted(
        p.name for p in (repo / "catalog" / "operators").glob(f"*-{short}.yaml") if p.is_file()
    )
    if taken:
        raise GeneratorError(
            f"operator '{short}' already exists in catalog/operators/{taken[0]}",
            hint="choose another name, or edit the existing operator",
        )
    files = {
        PurePosixPath("catalog/operators", f"{name}.yaml"): _OPERATOR.format(
            name=short, engine=engine, image=IMAGE, scope=_HELM_SCOPE if engine == "helm" else ""
        ),
        **_component(short, engine),
    }
    return _write_new(repo, files)


def new_tenant(repo: Path, name: str) -> list[PurePosixPath]:
    if TENANT_NAME.match(name) is None or len(name) > 60:
        raise GeneratorError(
            f"'{name}' is not a tenant name",
            hint="use a DNS label of lower-case letters, digits and dashes (at most 60, since "
            "the namespace is ns-<name>)",
        )
    files = {PurePosixPath("catalog/tenants", f"{name}.yaml"): _TENANT.format(name=name)}
    return _write_new(repo, files)


def _component(name: str, engine: NewEngine) -> dict[PurePosixPath, str]:
    folder = PurePosixPath("charts", name)
    deployment = _DEPLOYMENT + _CONTAINER
    if engine == "plain":
        body = deployment.format(name=name, replicas=1, image=IMAGE)
        return {folder / "deployment.yaml": body}
    if engine == "jinja":
        body = deployment.format(
            name=name, replicas="{{ values.replicas }}", image="{{ values.image }}"
        )
        return {folder / "deployment.yaml.j2": body}
    if engine == "jsonnet":
        return {folder / "main.jsonnet": _JSONNET.format(name=name)}
    body = deployment.format(
        name=name, replicas="{{ .Values.replicas }}", image="{{ .Values.image }}"
    )
    return {
        folder / "Chart.yaml": _CHART.format(name=name),
        folder / "values.yaml": f"image: {IMAGE}\nreplicas: 1\n",
        folder / "templates" / "deployment.yaml": body,
    }


def _write_new(repo: Path, files: dict[PurePosixPath, str]) -> list[PurePosixPath]:
    """Write every file, or none: an existing file is someone's work."""
    if not (repo / "catalog").is_dir():
        raise GeneratorError(
            f"no catalog/ in '{repo}'",
            hint="run this in a platform repository, or create one with 'generator init'",
        )
    # The component folder counts as a whole: new files beside someone's chart would change it.
    existing = [p for p in files if (repo / p).exists() or (repo / p).is_symlink()]
    existing += [
        f for f in {p.parents[-3] for p in files if p.parts[0] == "charts"} if (repo / f).exists()
    ]
    if existing:
        raise GeneratorError(
            f"{existing[0]} already exists; nothing was written",
            hint="choose another name, or remove the existing file first",
        )
    for relpath, text in files.items():
        target = repo / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return list(files)
