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
from generator.model import Manifest, Origin, Reads, Rendered, RenderUnit

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
    return list(rendered(unit, repo).manifests)


def rendered(unit: RenderUnit, repo: Path) -> Rendered:
    """The chart's objects for this unit: CRDs from crds/, templates in install order, hooks.

    Release name = unit name, namespace = unit namespace, values = the operator's own values
    block (unit.values, see merge.helm_scoped) over the chart's values.yaml; .Capabilities
    follow the cluster's kubernetesVersion.
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
    manifests = tuple(
        Manifest(doc.body, Origin(repo_path(doc.source, chart), 1))
        for doc in documents
        if keeps_hook(doc.body)
    )
    # Helm loads the whole chart folder: templates, values, schema, vendored subcharts.
    reads = Reads(folders=frozenset({chart.path}), values=chart_value_reads(chart.folder))
    return Rendered(manifests, reads)


def chart_value_reads(
    folder: Path, prefix: tuple[str, ...] = ("values",)
) -> frozenset[tuple[str, ...]]:
    """The `.Values` paths the chart's templates name; a subchart's sit under its name, and
    a packaged one (.tgz, not scanned) reads its whole subtree."""
    from generator.engines.value_reads import helm_reads

    reads: set[tuple[str, ...]] = set()
    templates = folder / "templates"
    for path in sorted(templates.rglob("*")) if templates.is_dir() else ():
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            reads.update((*prefix, *r) for r in helm_reads(text))
    subcharts = folder / "charts"
    for sub in sorted(subcharts.iterdir()) if subcharts.is_dir() else ():
        if sub.is_dir():
            reads |= chart_value_reads(sub, (*prefix, sub.name))
        elif sub.name.endswith(".tgz"):
            reads.add((*prefix, sub.name.rsplit("-", 1)[0]))
        reads.add((*prefix, "global"))
    return frozenset(reads)
