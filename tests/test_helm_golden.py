"""Helm charts of the example platform against golden output, and chart errors through the CLI."""

from __future__ import annotations

import difflib
import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalog import load_catalog
from generator.engines import helm
from generator.merge import resolve_units
from generator.model import RenderUnit
from generator.yamlio import dump_manifest
from tests.conftest import EXAMPLE, run_cli, snapshot, write_tree

GOLDEN = Path(__file__).parent / "golden" / "helm"
# Each chart on a dev cluster (vault backend, 1 replica, Kubernetes 1.31), the staging cluster
# (Kubernetes 1.30) and the production cluster (AWS backend, 3 replicas).
CASES = [
    (cluster, chart)
    for cluster in ("kind-local", "linode-sandbox", "eks-prod")
    for chart in ("external-secrets", "keda")
]


@functools.cache
def units() -> dict[tuple[str, str], RenderUnit]:
    return {(u.cluster.name, u.name): u for u in resolve_units(load_catalog(EXAMPLE))}


@pytest.mark.parametrize(("cluster", "chart"), CASES)
def test_example_chart_matches_golden(cluster: str, chart: str, update_golden: bool) -> None:
    manifests = helm.render(units()[(cluster, chart)], EXAMPLE)
    text = "---\n".join(
        dump_manifest(m.body, header=[str(m.origin)])
        for m in manifests
        if m.kind != "CustomResourceDefinition"
    )
    golden = GOLDEN / cluster / f"{chart}.yaml"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text)
    expected = golden.read_text()
    diff = "".join(
        difflib.unified_diff(
            expected.splitlines(True), text.splitlines(True), str(golden), "rendered"
        )
    )
    assert text == expected, diff


@pytest.mark.parametrize("chart", ["external-secrets", "keda"])
def test_example_chart_crds_are_the_crds_folder_verbatim(chart: str) -> None:
    manifests = helm.render(units()[("eks-prod", chart)], EXAMPLE)
    rendered = {
        m.name: (m.body, str(m.origin)) for m in manifests if m.kind == "CustomResourceDefinition"
    }
    expected = {}
    for path in sorted((EXAMPLE / "charts" / chart / "crds").glob("*.yaml")):
        for body in yaml.safe_load_all(path.read_text()):
            expected[body["metadata"]["name"]] = (body, f"charts/{chart}/crds/{path.name}:1")
    assert rendered == expected
    assert len(rendered) >= 2


def test_keda_service_traffic_distribution_needs_kubernetes_1_31() -> None:
    def service(cluster: str) -> dict[str, Any]:
        manifests = helm.render(units()[(cluster, "keda")], EXAMPLE)
        return next(
            dict(m.body["spec"])
            for m in manifests
            if m.kind == "Service" and m.name == "keda-metrics-apiserver"
        )

    assert "trafficDistribution" not in service("linode-sandbox")  # Kubernetes 1.30
    assert service("eks-prod")["trafficDistribution"] == "PreferClose"  # Kubernetes 1.31


def test_external_secrets_store_follows_environment_and_provider() -> None:
    def store(cluster: str) -> dict[str, Any]:
        manifests = helm.render(units()[(cluster, "external-secrets")], EXAMPLE)
        return next(dict(m.body) for m in manifests if m.kind == "ClusterSecretStore")

    assert store("eks-prod")["spec"]["provider"]["aws"]["prefix"] == "prod/"
    assert (
        store("linode-sandbox")["spec"]["provider"]["vault"]["auth"]["kubernetes"]["role"]
        == "external-secrets-staging"
    )
    assert store("kind-local")["metadata"]["annotations"] == {
        "platform.generator/secret-path-prefix": "dev/"
    }


# ---------------------------------------------------------------- through the CLI

CHART = {
    "catalog/operators/020-cache.yaml": "namespace: cache\nvalues:\n  cache:\n    size: 1Gi\n",
    "charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
    "charts/cache/values.schema.json": '{"type": "object", "properties": {"cache": {"type": '
    '"object", '
    '"required": ["size"], "properties": {"size": {"type": "string", "pattern": '
    '"^[0-9]+[MG]i$"}}}}}',
    "charts/cache/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
    "cache\ndata:\n"
    '  size: {{ .Values.cache.size }}\n  tier: {{ required "cache.tier is required" '
    ".Values.cache.tier }}\n",
}

CLI_CASES = {
    "required_value": (
        {},
        "error: charts/cache/templates/cm.yaml:7:12: dev-1/cache: template failed: cache.tier is "
        "required\n"
        "  hint: set the value named above in the catalog or fix the template\n",
    ),
    "schema_violation": (
        {
            "catalog/operators/020-cache.yaml": "namespace: cache\nvalues:\n  cache:\n    size: "
            "lots\n    tier: gold\n"
        },
        "error: catalog/operators/020-cache.yaml:1:1: dev-1/cache: values do not satisfy the "
        "chart's "
        "values.schema.json: cache: - at '/cache/size': 'lots' does not match pattern "
        "'^[0-9]+[MG]i$'\n"
        "  hint: fix the value in the operator's values or in operators.cache.values of an "
        "environment or cluster; the schema is charts/cache/values.schema.json\n",
    ),
    "missing_dependency": (
        {
            "charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: "
            "0.1.0\ndependencies:\n"
            "  - name: redis\n    version: 20.1.0\n    repository: oci://registry.example/charts\n"
        },
        "error: charts/cache/Chart.yaml:5:5: dev-1/cache: chart 'cache' depends on 'redis', which "
        "is not vendored "
        "in 'charts/cache/charts/'\n"
        "  hint: run `helm dependency build charts/cache` where the repository is reachable and "
        "commit "
        "charts/cache/charts/; charts are never fetched while rendering\n",
    ),
    "template_parse_error": (
        {
            "charts/cache/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
            "{{ .Values.cache.size\n"
        },
        "error: charts/cache/templates/cm.yaml:5: dev-1/cache: template parse error: unclosed "
        "action started at "
        "cache/templates/cm.yaml:4\n"
        "  hint: fix the template syntax\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CLI_CASES))
def test_chart_error_exits_2_with_file_line_hint_and_writes_nothing(
    minimal_repo: Path, case: str
) -> None:
    files, expected = CLI_CASES[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, {**CHART, **files})
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (2, expected)
    assert snapshot(minimal_repo / "rendered") == before


def test_chart_renders_through_the_cli(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            **CHART,
            "catalog/operators/020-cache.yaml": "namespace: cache\nvalues:\n  cache:\n    size: "
            "1Gi\n    tier: gold\n",
        },
    )
    result = run_cli(["-v", "render", "--repo", str(minimal_repo)])
    assert result.code == 0, result.err
    assert f"helm backend: {helm.helm_backend()}\n" in result.err
    text = (minimal_repo / "rendered/dev-1/020-cache/configmap-cache.yaml").read_text()
    assert "  size: 1Gi\n  tier: gold\n" in text
    assert "  namespace: cache\n" in text


@pytest.mark.parametrize(
    ("cluster", "chart"), [("kind-local", "external-secrets"), ("eks-prod", "keda")]
)
def test_example_chart_matches_helms_own_client_side_install(cluster: str, chart: str) -> None:
    """Helm's install action in client dry-run mode renders the same objects (it adds no CRDs,
    and its capabilities are Helm's defaults, which these two renders do not depend on)."""
    helm_python = pytest.importorskip("helm_python")
    from tests.test_helm import OFFLINE_KUBECONFIG

    unit = units()[(cluster, chart)]
    ours = [
        (str(m.origin), m.body)
        for m in helm.render(unit, EXAMPLE)
        if m.kind != "CustomResourceDefinition"
    ]
    with helm_python.Config(
        kubeconfig_content=OFFLINE_KUBECONFIG, storage_driver="memory"
    ) as config:
        release = config.install(
            str(EXAMPLE / "charts" / chart),
            unit.name,
            helm._plain(unit.values),
            dry_run="client",
            namespace=unit.namespace,
        )
    parsed = helm.read_chart(EXAMPLE, unit.component.path)
    theirs = [
        (f"{helm._repo_path(d.source, parsed)}:1", d.body)
        for d in helm.parse_stream(release["manifest"], parsed, unit)
    ]
    assert ours == theirs


@pytest.mark.parametrize(("cluster", "chart"), CASES)
def test_example_chart_passes_helm_lint_strict(cluster: str, chart: str) -> None:
    helm_python = pytest.importorskip("helm_python")
    unit = units()[(cluster, chart)]
    report = helm_python.lint(
        str(EXAMPLE / "charts" / chart),
        helm._plain(unit.values),
        strict=True,
        namespace=unit.namespace,
        kube_version=f"v{unit.cluster.kubernetes_version}",
    )
    problems = [m for m in report["messages"] if m["severity"] >= 2]  # warnings and errors
    assert (problems, report["errors"]) == ([], [])
