"""Engines and overlays report what they read: the inputs a cached unit depends on."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.model import Reads
from generator.pipeline import render_all
from tests.conftest import EXAMPLE, MINIMAL, write_tree


def paths(*names: str) -> frozenset[PurePosixPath]:
    return frozenset(PurePosixPath(n) for n in names)


def reads_of(repo: Path, cluster: str, dirname: str) -> Reads:
    return render_all(repo, validate=False, use_cache=False).reads[(cluster, dirname)]


def test_jinja_reports_its_folder_and_library_includes(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "charts/web/configmap.yaml": '{% include "labels.j2" %}',
            "charts/web/configmap.yaml.j2": (
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
                '  labels: {{ "{" }}{% include "labels.j2" %}{{ "}" }}\n'
            ),
            "charts/lib/labels.j2": "team: web",
            "charts/lib/unused.j2": "never included",
        },
    )
    (repo / "charts/web/configmap.yaml").unlink()
    read = reads_of(repo, "dev-1", "010-web")
    assert read.files == paths("charts/lib/labels.j2")
    assert read.folders == paths(
        "charts/web", "overlays/environments/dev", "overlays/clusters/dev-1"
    )


def test_plain_reports_its_folder(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {**MINIMAL})
    (repo / "charts/web/deployment.yaml.j2").unlink()
    read = reads_of(repo, "dev-1", "010-web")
    assert read.files == frozenset()
    assert PurePosixPath("charts/web") in read.folders


def test_jsonnet_reports_imports_and_the_places_searched_before_them(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "charts/web/main.jsonnet": (
                'local k = import "k.libsonnet";\n'
                "function(values) [k.configMap('c', {replicas: std.toString(values.replicas)})]\n"
            ),
            "charts/lib/k.libsonnet": (
                "{ configMap(name, data): {apiVersion: 'v1', kind: 'ConfigMap', "
                "metadata: {name: name}, data: data} }\n"
            ),
        },
    )
    for name in ("deployment.yaml.j2", "configmap.yaml"):
        (repo / "charts/web" / name).unlink()
    read = reads_of(repo, "dev-1", "010-web")
    # charts/web/k.libsonnet does not exist; created, it would be imported instead
    assert read.files == paths("charts/web/k.libsonnet", "charts/lib/k.libsonnet")
    assert PurePosixPath("charts/web") in read.folders


def test_helm_reports_its_chart_folder() -> None:
    read = reads_of(EXAMPLE, "kind-local", "070-keda")
    assert read.files == frozenset()
    assert read.folders == paths(
        "charts/keda", "overlays/environments/dev", "overlays/clusters/kind-local"
    )


def test_overlays_report_every_kustomization_they_build(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "overlays/environments/dev/web/kustomization.yaml": "resources: [../../../../charts/shared]\n",
            "charts/shared/kustomization.yaml": "resources: [pdb.yaml]\n",
            "charts/shared/pdb.yaml": (
                "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\n"
                "spec: {maxUnavailable: 1, selector: {matchLabels: {app: web}}}\n"
            ),
        },
    )
    read = reads_of(repo, "dev-1", "010-web")
    assert read.folders == paths(
        "charts/web",
        "overlays/environments/dev",
        "overlays/environments/dev/web",
        "charts/shared",
        "overlays/clusters/dev-1",
    )
