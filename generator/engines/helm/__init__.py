"""Helm chart folder + RenderUnit → [Manifest], rendered as `helm template` would (helm binary
on PATH, else helm-python-sdk in-process).

chart.py reads Chart.yaml and checks the chart before Helm runs; backends.py runs Helm;
output.py turns what Helm rendered into ordered documents and keeps the GitOps hooks;
errors.py maps Helm's error text to file:line; capabilities.py and semver.py hold the
Kubernetes version rules (`.Capabilities`, Chart.yaml kubeVersion).
"""

from __future__ import annotations

import logging
from pathlib import Path

from generator.engines.helm.backends import (
    BACKEND_ENV,
    binary_version,
    chosen_backend,
    go_values,
    helm_backend,
    helm_binary,
    helm_command,
    render_binary,
    render_sdk,
    strict,
)
from generator.engines.helm.capabilities import kube_capabilities
from generator.engines.helm.chart import (
    check_chart_tree,
    check_dependencies,
    check_kube_version,
    check_release_name,
    read_chart,
    repo_path,
    where,
)
from generator.engines.helm.determinism import check_same_output, random_calls
from generator.engines.helm.output import keeps_hook, parse_stream, sort_manifests
from generator.engines.helm.semver import satisfies
from generator.model import Manifest, Origin, RenderUnit

__all__ = [
    "BACKEND_ENV",
    "helm_backend",
    "helm_command",
    "keeps_hook",
    "kube_capabilities",
    "parse_stream",
    "read_chart",
    "render",
    "satisfies",
    "sort_manifests",
]

# The names these had when the engine was one module; tests reach them through this package.
_helm_binary = helm_binary
_binary_version = binary_version
_plain = go_values
_repo_path = repo_path

log = logging.getLogger(__name__)


def render(unit: RenderUnit, repo: Path) -> list[Manifest]:
    """The chart's objects for this unit: CRDs from crds/, templates in install order, hooks.

    Release name = unit name, namespace = unit namespace, values = the unit's merged values
    over the chart's values.yaml; .Capabilities follow the cluster's kubernetesVersion.
    """
    chart = read_chart(repo, unit.component.path)
    check_release_name(unit)
    check_chart_tree(chart, unit, repo)
    check_dependencies(chart, unit)
    check_kube_version(chart, unit)
    values = go_values(unit.values)
    backend = chosen_backend(strict(unit))
    if log.isEnabledFor(logging.DEBUG):
        log.debug("chart %s for %s: %s", chart.path, where(unit), helm_backend())
    run = render_binary if backend == "binary" else render_sdk
    documents = run(chart, unit, values)
    calls = random_calls(chart)
    if calls:  # only such a chart pays for a second render, to see whether output depends on it
        check_same_output(chart, unit, documents, run(chart, unit, values), calls)
    return [
        Manifest(doc.body, Origin(repo_path(doc.source, chart), 1))
        for doc in documents
        if keeps_hook(doc.body)
    ]
