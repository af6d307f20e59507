"""Helm engine: `helm template` semantics, capabilities, hooks, CRDs, dependencies, errors."""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import shlex
import sys
import tarfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.engines import helm
from generator.errors import GeneratorError
from generator.merge import resolve_units
from generator.model import Component, Manifest, Origin, RenderUnit
from tests.conftest import EXAMPLE, write_tree

CHART_YAML = "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: '4.5'\n"


@functools.cache
def example_units() -> tuple[RenderUnit, ...]:
    return tuple(resolve_units(load_catalog(EXAMPLE)))


def example_unit(cluster: str, name: str) -> RenderUnit:
    return next(u for u in example_units() if u.cluster.name == cluster and u.name == name)


def unit_for(
    values: Mapping[str, Any] | None = None,
    kubernetes_version: str = "1.31.0",
    folder: str = "charts/demo",
    strict: bool = False,
) -> RenderUnit:
    """eks-prod rendering the chart in `folder` as operator 'demo' in namespace 'apps'
    (helm.strict off unless asked, whatever the example platform sets)."""
    base = example_unit("eks-prod", "external-secrets")
    platform = {**base.context["platform"], "helm": {"strict": strict}}
    return dataclasses.replace(
        base,
        context={**base.context, "platform": platform},
        name="demo",
        namespace="apps",
        cluster=dataclasses.replace(base.cluster, kubernetes_version=kubernetes_version),
        component=Component("demo", "helm", PurePosixPath(folder), Origin(PurePosixPath(folder))),
        values=dict(values or {}),
        origin=Origin(PurePosixPath("catalog/operators/050-demo.yaml"), 1),
    )


def render(
    repo: Path,
    files: Mapping[str, str | bytes],
    values: Mapping[str, Any] | None = None,
    **unit: Any,
) -> list[Manifest]:
    write_tree(repo, {"charts/demo/Chart.yaml": CHART_YAML, **files})
    return helm.render(unit_for(values, **unit), repo)


def failure(
    repo: Path,
    files: Mapping[str, str | bytes],
    values: Mapping[str, Any] | None = None,
    **unit: Any,
) -> str:
    with pytest.raises(GeneratorError) as caught:
        render(repo, files, values, **unit)
    return str(caught.value)


def cm(name: str, data: str = "", annotations: str = "") -> str:
    meta = f"  annotations:\n{annotations}" if annotations else ""
    return (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "
        f"{name}\n{meta}data:\n{data or '  k: v'}\n"
    )


def data_of(manifests: list[Manifest], name: str) -> Mapping[str, Any]:
    return next(m.body["data"] for m in manifests if m.name == name)


WHERE = "eks-prod/demo"


# ---------------------------------------------------------------- release, values, capabilities


def test_release_name_namespace_and_catalog_values_over_chart_defaults(tmp_path: Path) -> None:
    files = {
        "charts/demo/values.yaml": "greeting: hello\nreplicas: 1\nnested: {a: 1, b: 2}\n",
        "charts/demo/templates/cm.yaml": cm(
            "{{ .Release.Name }}-settings",
            "  namespace: {{ .Release.Namespace }}\n  greeting: {{ .Values.greeting }}\n"
            "  replicas: {{ .Values.replicas | quote }}\n  nested: {{ .Values.nested | toJson | "
            "quote }}\n"
            "  chart: {{ .Chart.Name }}-{{ .Chart.Version }}\n  install: {{ .Release.IsInstall | "
            "quote }}\n",
        ),
    }
    manifests = render(tmp_path, files, {"replicas": 3, "nested": {"b": 20}})
    assert data_of(manifests, "demo-settings") == {
        "namespace": "apps",
        "greeting": "hello",
        "replicas": "3",
        "nested": '{"a":1,"b":20}',
        "chart": "demo-1.2.3",
        "install": "true",
    }
    assert manifests[0].origin == Origin(PurePosixPath("charts/demo/templates/cm.yaml"), 1)


CAPABILITIES = {
    "charts/demo/templates/caps.yaml": cm(
        "caps",
        "  version: {{ .Capabilities.KubeVersion.Version }}\n"
        "  minor: {{ .Capabilities.KubeVersion.Minor | quote }}\n"
        '  pdb: {{ .Capabilities.APIVersions.Has "policy/v1/PodDisruptionBudget" | quote }}\n'
        '  cronjobBeta: {{ .Capabilities.APIVersions.Has "batch/v1beta1/CronJob" | quote }}\n'
        '  hpaV2: {{ .Capabilities.APIVersions.Has "autoscaling/v2/HorizontalPodAutoscaler" | '
        "quote }}\n"
        '  apiservice: {{ .Capabilities.APIVersions.Has "apiregistration.k8s.io/v1" | quote }}\n'
        "  vap: {{ .Capabilities.APIVersions.Has "
        '"admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy" | quote }}\n',
    )
}


def test_capabilities_follow_the_cluster_kubernetes_version(tmp_path: Path) -> None:
    assert data_of(render(tmp_path, CAPABILITIES, kubernetes_version="1.31.0"), "caps") == {
        "version": "v1.31.0",
        "minor": "31",
        "pdb": "true",
        "cronjobBeta": "false",
        "hpaV2": "true",
        "apiservice": "true",
        "vap": "true",
    }
    assert data_of(render(tmp_path, CAPABILITIES, kubernetes_version="1.24.3"), "caps") == {
        "version": "v1.24.3",
        "minor": "24",
        "pdb": "true",
        "cronjobBeta": "true",
        "hpaV2": "true",
        "apiservice": "true",
        "vap": "false",
    }


def test_kube_capabilities_lists_group_versions_and_kinds_served_by_that_minor() -> None:
    version, apis = helm.kube_capabilities("1.26.0")
    assert version == "v1.26.0"
    assert "autoscaling/v2beta2/HorizontalPodAutoscaler" not in apis  # removed in 1.26
    assert "flowcontrol.apiserver.k8s.io/v1beta3/FlowSchema" in apis  # new in 1.26
    assert {"policy/v1", "policy/v1/PodDisruptionBudget"} <= set(apis)
    assert apis == sorted(set(apis))


def test_chart_kube_version_constraint_is_checked_against_the_cluster(tmp_path: Path) -> None:
    files = {
        "charts/demo/Chart.yaml": CHART_YAML + "kubeVersion: '>=1.32.0-0'\n",
        "charts/demo/templates/cm.yaml": cm("a"),
    }
    assert failure(tmp_path, files) == (
        f"charts/demo/Chart.yaml:5:1: {WHERE}: chart 'demo' requires kubeVersion "
        "'>=1.32.0-0', which cluster 'eks-prod' (Kubernetes '1.31.0') does not satisfy\n"
        "  hint: disable the operator on this cluster (enabledOn) or use a chart version that "
        "supports it"
    )
    assert [m.name for m in render(tmp_path, files, kubernetes_version="1.32.1")] == ["a"]


@pytest.mark.parametrize(
    ("version", "constraint", "expected"),
    [
        ("1.31.0", ">=1.27.0-0", True),
        ("1.31.0", ">= 1.27, < 1.31", False),
        ("1.31.0", ">=1.27.0 <1.32.0", True),
        ("1.31.0", "~1.31", True),
        ("1.32.0", "~1.31.0", False),
        ("1.31.4", "^1.20", True),
        ("2.0.0", "^1.20", False),
        ("0.3.1", "^0.2.0", False),
        ("1.31.0", "1.31.x", True),
        ("1.31.0", "1.30", False),
        ("1.31.0", "<1.20.0 || >=1.31.0", True),
        ("1.31.0", "1.28 - 1.30", False),
        ("1.30.9", "1.28 - 1.30", True),
        ("1.31.0", "!=1.31.0", False),
        ("1.31.0", ">1.30", True),
        ("1.30.5", ">1.30", False),
        ("1.31.0-eks.1", ">=1.27.0", False),
        ("1.31.0-eks.1", ">=1.27.0-0", True),
        ("1.31.0", "*", True),
    ],
)
def test_kube_version_constraints_follow_masterminds_semver(
    version: str, constraint: str, expected: bool
) -> None:
    assert helm.satisfies(version, constraint) is expected


# ---------------------------------------------------------------- what helm template prints


def test_crds_come_first_untemplated_then_objects_in_install_order(tmp_path: Path) -> None:
    crd = (
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: "
        "{n}.demo.example\nspec:\n  group: demo.example\n  note: '{{{{ .Values.notTemplated }}}}'\n"
    )
    files = {
        "charts/demo/crds/widgets.yaml": crd.format(n="widgets")
        + "---\n"
        + crd.format(n="gadgets"),
        "charts/demo/templates/a-deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n "
        " name: web\n",
        "charts/demo/templates/b-misc.yaml": (
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n"
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n---\n"
            "apiVersion: demo.example/v1\nkind: Widget\nmetadata:\n  name: w\n---\n"
            "apiVersion: demo.example/v1\nkind: Gadget\nmetadata:\n  name: g\n"
        ),
        "charts/demo/templates/c-sa.yaml": "# only a comment\n---\napiVersion: v1\nkind: "
        "ServiceAccount\nmetadata:\n  name: web\n",
    }
    manifests = render(tmp_path, files)
    assert [(m.kind, m.name, str(m.origin)) for m in manifests] == [
        ("CustomResourceDefinition", "widgets.demo.example", "charts/demo/crds/widgets.yaml:1"),
        ("CustomResourceDefinition", "gadgets.demo.example", "charts/demo/crds/widgets.yaml:1"),
        ("Namespace", "extra", "charts/demo/templates/b-misc.yaml:1"),
        ("ServiceAccount", "web", "charts/demo/templates/c-sa.yaml:1"),
        ("Service", "web", "charts/demo/templates/b-misc.yaml:1"),
        ("Deployment", "web", "charts/demo/templates/a-deploy.yaml:1"),
        ("Gadget", "g", "charts/demo/templates/b-misc.yaml:1"),  # unknown kinds last, by kind
        ("Widget", "w", "charts/demo/templates/b-misc.yaml:1"),
    ]
    assert manifests[0].body["spec"]["note"] == "{{ .Values.notTemplated }}"


def test_notes_partials_and_empty_templates_render_nothing(tmp_path: Path) -> None:
    files = {
        "charts/demo/templates/NOTES.txt": "Installed {{ .Release.Name }}",
        "charts/demo/templates/_helpers.tpl": '{{- define "demo.name" -}}demo-{{ .Release.Name '
        "}}{{- end -}}",
        "charts/demo/templates/off.yaml": "{{- if .Values.enabled }}\n"
        + cm("off")
        + "{{- end }}\n",
        "charts/demo/templates/on.yaml": cm('{{ include "demo.name" . }}'),
    }
    assert [m.name for m in render(tmp_path, files, {"enabled": False})] == ["demo-demo"]


HOOKS = {
    "charts/demo/templates/hooks.yaml": "\n---\n".join(
        cm(name, annotations=f"    helm.sh/hook: {events}\n    helm.sh/hook-weight: '-5'\n")
        for name, events in [
            ("migrate", "pre-install,pre-upgrade"),
            ("announce", "post-install"),
            ("cleanup", "pre-delete"),
            ("restore", "post-rollback"),
            ("smoke", "test"),
            ("legacy-test", "test-success"),
            ("mixed-test", "post-install,test"),
            ("typo", "pre-instal"),
        ]
    ),
    "charts/demo/templates/plain.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: "
    "plain\n",
}


def test_install_and_upgrade_hooks_are_kept_others_dropped(tmp_path: Path) -> None:
    manifests = render(tmp_path, HOOKS)
    assert [m.name for m in manifests] == ["plain", "migrate", "announce"]
    assert manifests[1].body["metadata"]["annotations"] == {
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-weight": "-5",
    }


@pytest.mark.parametrize(
    ("annotation", "kept"),
    [
        (None, True),
        ("post-upgrade", True),
        ("Pre-Install, post-delete", True),
        ("pre-delete,post-delete", False),
        ("test", False),
        ("pre-install,test", False),
    ],
)
def test_keeps_hook_rule(annotation: str | None, kept: bool) -> None:
    annotations = {} if annotation is None else {"helm.sh/hook": annotation}
    assert helm.keeps_hook({"metadata": {"name": "x", "annotations": annotations}}) is kept


# ---------------------------------------------------------------- dependencies

SUBCHART = {
    "charts/demo/Chart.yaml": CHART_YAML
    + "dependencies:\n  - name: cache\n    version: 0.1.0\n    repository: "
    "https://charts.example\n    condition: cache.enabled\n",
    "charts/demo/values.yaml": "cache:\n  enabled: true\n  size: 1Gi\nglobal:\n  tier: gold\n",
    "charts/demo/templates/app.yaml": cm("app"),
    "charts/demo/charts/cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
    "charts/demo/charts/cache/values.yaml": "size: 512Mi\n",
    "charts/demo/charts/cache/templates/cm.yaml": cm(
        "cache",
        "  size: {{ .Values.size }}\n  tier: {{ .Values.global.tier }}\n  release: {{ "
        ".Release.Name }}\n",
    ),
    "charts/demo/charts/cache/crds/caches.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: "
    "CustomResourceDefinition\nmetadata:\n  name: caches.demo.example\n",
}


def test_vendored_dependency_renders_with_parent_values_and_globals(tmp_path: Path) -> None:
    manifests = render(tmp_path, SUBCHART, {"cache": {"size": "2Gi"}})
    assert [(m.name, str(m.origin)) for m in manifests] == [
        ("caches.demo.example", "charts/demo/charts/cache/crds/caches.yaml:1"),
        ("cache", "charts/demo/charts/cache/templates/cm.yaml:1"),  # same kind: template path order
        ("app", "charts/demo/templates/app.yaml:1"),
    ]
    assert data_of(manifests, "cache") == {"size": "2Gi", "tier": "gold", "release": "demo"}


def test_disabled_dependency_renders_nothing_and_does_not_stick(tmp_path: Path) -> None:
    assert [m.name for m in render(tmp_path, SUBCHART, {"cache": {"enabled": False}})] == ["app"]
    # helm's dependency processing edits the loaded chart; the next unit must see the subchart again
    assert [m.name for m in render(tmp_path, SUBCHART)] == ["caches.demo.example", "cache", "app"]


def test_packaged_dependency_renders_and_points_at_its_archive(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in {
            "cache/Chart.yaml": "apiVersion: v2\nname: cache\nversion: 0.1.0\n",
            "cache/templates/cm.yaml": cm("cache"),
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    files: dict[str, str | bytes] = {k: v for k, v in SUBCHART.items() if "/charts/cache/" not in k}
    files["charts/demo/charts/cache-0.1.0.tgz"] = buffer.getvalue()
    manifests = render(tmp_path, files)
    assert [(m.name, str(m.origin)) for m in manifests] == [
        ("cache", "charts/demo/charts/cache-0.1.0.tgz:1"),
        ("app", "charts/demo/templates/app.yaml:1"),
    ]


def test_missing_dependency_names_chart_yaml_line_and_how_to_vendor(tmp_path: Path) -> None:
    files = {k: v for k, v in SUBCHART.items() if "/charts/cache/" not in k}
    assert failure(tmp_path, files) == (
        f"charts/demo/Chart.yaml:6:5: {WHERE}: chart 'demo' depends on 'cache', which is not "
        "vendored in "
        "'charts/demo/charts/'\n"
        "  hint: run `helm dependency build charts/demo` where the repository is reachable and "
        "commit "
        "charts/demo/charts/; charts are never fetched while rendering"
    )


# ---------------------------------------------------------------- values schema

SCHEMA = {
    "charts/demo/values.yaml": "replicas: 1\nmode: fast\n",
    "charts/demo/values.schema.json": '{"type": "object", "required": ["mode"], "properties": {'
    '"replicas": {"type": "integer", "minimum": 1}, "mode": {"enum": ["fast", "safe"]}}}',
    "charts/demo/templates/cm.yaml": cm("a"),
}


def test_values_schema_is_enforced_and_blames_the_catalog_file(tmp_path: Path) -> None:
    assert failure(tmp_path, SCHEMA, {"replicas": 0}) == (
        f"catalog/operators/050-demo.yaml:1: {WHERE}: values do not satisfy the chart's "
        "values.schema.json: "
        "demo: - at '/replicas': minimum: got 0, want 1\n"
        "  hint: fix the value in the operator's values or in operators.demo.values of an "
        "environment or cluster; the schema is charts/demo/values.schema.json"
    )
    assert "at '/mode': value must be one of 'fast', 'safe'" in failure(
        tmp_path, SCHEMA, {"mode": "slow"}
    )
    assert [m.name for m in render(tmp_path, SCHEMA, {"replicas": 2})] == ["a"]


# ---------------------------------------------------------------- template failures

HINT_VALUE = "set the value named above in the catalog or fix the template"
HINT_YAML = (
    "check indentation in the template (nindent/toYaml) and render it alone with "
    "`helm template --debug --show-only`"
)
CM_YAML = "charts/demo/templates/cm.yaml"
# case → (chart files, values, "position: message", hint)
TEMPLATE_ERRORS: dict[str, tuple[dict[str, str], dict[str, Any], str, str]] = {
    "required_names_line_and_column": (
        {CM_YAML: cm("a", '  url: {{ required "backend.url is required" .Values.backend.url }}\n')},
        {"backend": {}},
        f"{CM_YAML}:6:11: {WHERE}: template failed: backend.url is required",
        HINT_VALUE,
    ),
    "fail_in_a_helper_points_at_the_include": (
        {
            "charts/demo/templates/_helpers.tpl": '{{- define "demo.check" -}}\n'
            '{{- if not .Values.size }}{{ fail "size must be set" }}{{ end -}}\n{{- end -}}\n',
            CM_YAML: '{{ include "demo.check" . }}\n' + cm("a"),
        },
        {},
        f"{CM_YAML}:1:4: {WHERE}: template failed: size must be set",
        HINT_VALUE,
    ),
    "fail_in_a_subchart_names_its_own_file": (
        {
            **SUBCHART,
            "charts/demo/charts/cache/templates/cm.yaml": cm(
                "c", '  x: {{ fail "cache broke" }}\n'
            ),
        },
        {},
        f"charts/demo/charts/cache/templates/cm.yaml:6:9: {WHERE}: template failed: cache broke",
        HINT_VALUE,
    ),
    "parse_error_names_line": (
        {CM_YAML: cm("a", "  k: {{ .Values.x\n")},
        {},
        f"{CM_YAML}:8: {WHERE}: template parse error: unclosed action started at "
        "demo/templates/cm.yaml:6",
        "fix the template syntax",
    ),
    "nil_pointer_names_line_and_column": (
        {CM_YAML: cm("a", "  k: {{ .Values.missing.deeper }}\n")},
        {},
        f'{CM_YAML}:6:16: {WHERE}: template error: executing "demo/templates/cm.yaml" at '
        "<.Values.missing.deeper>: nil pointer evaluating interface {}.deeper",
        "fix the template at that position",
    ),
    "invalid_yaml_output": (
        {CM_YAML: cm("a", "  list: {{ list 1 2 | toYaml }}\n")},
        {},
        f"{CM_YAML}:1: {WHERE}: template 'demo/templates/cm.yaml' rendered invalid YAML: "
        "malformed YAML: block sequence entries are not allowed in this context "
        "(line 6 of its output)",
        HINT_YAML,
    ),
    "document_that_is_not_a_kubernetes_object": (
        {CM_YAML: "apiVersion: v1\nkind: ConfigMap\ndata: {k: v}\n"},
        {},
        f"{CM_YAML}:1: {WHERE}: template 'demo/templates/cm.yaml' rendered a document that is "
        "not a Kubernetes object (it needs apiVersion, kind and metadata.name)",
        "make every document the template emits a complete object, or wrap optional ones in "
        "{{- if }} ... {{- end }}",
    ),
}


@pytest.mark.parametrize("case", sorted(TEMPLATE_ERRORS))
def test_template_failure_names_file_line_and_hint(tmp_path: Path, case: str) -> None:
    files, values, message, hint = TEMPLATE_ERRORS[case]
    assert failure(tmp_path, files, values) == f"{message}\n  hint: {hint}"


def test_library_chart_is_refused(tmp_path: Path) -> None:
    files = {"charts/demo/Chart.yaml": CHART_YAML + "type: library\n"}
    assert failure(tmp_path, files) == (
        f"charts/demo/Chart.yaml:5:1: {WHERE}: chart 'demo' is a 'library' chart and renders no "
        "objects\n"
        "  hint: point the operator at an application chart that depends on this library chart"
    )


def test_chart_yaml_without_name_and_malformed_chart_yaml(tmp_path: Path) -> None:
    assert failure(tmp_path, {"charts/demo/Chart.yaml": "apiVersion: v2\nversion: 1.0.0\n"}) == (
        "charts/demo/Chart.yaml:1:1: Chart.yaml has no 'name'\n"
        "  hint: add `name: <chart name>` (and apiVersion: v2, version) to Chart.yaml"
    )
    assert failure(tmp_path, {"charts/demo/Chart.yaml": "name: demo\nversion: [1\n"}) == (
        "charts/demo/Chart.yaml:3:1: malformed YAML: did not find expected ',' or ']'\n"
        "  hint: fix the YAML syntax at that position (indentation, quoting, a missing ':')"
    )


# ---------------------------------------------------------------- backends and output stream


def test_parse_stream_reads_helm_template_output_with_source_comments(tmp_path: Path) -> None:
    write_tree(tmp_path, {"charts/demo/Chart.yaml": CHART_YAML})
    chart = helm.read_chart(tmp_path, PurePosixPath("charts/demo"))
    stream = (
        "---\n# Source: demo/crds/crds.yaml\n"
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: "
        "a.demo.example\n"
        "---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  "
        "name: b.demo.example\n\n"
        "---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  "
        "name: c\n"
        "  annotations:\n    when: 2024-01-01\ndata:\n  on: 'yes'\n"
    )
    documents = helm.parse_stream(stream, chart, unit_for())
    assert [(d.source, d.body["metadata"]["name"]) for d in documents] == [
        ("demo/crds/crds.yaml", "a.demo.example"),
        ("demo/crds/crds.yaml", "b.demo.example"),
        ("demo/templates/cm.yaml", "c"),
    ]
    assert documents[2].body["metadata"]["annotations"] == {"when": "2024-01-01"}
    # YAML 1.1 reads `on` as true, and JSON (what the API server receives) makes the key "true"
    assert documents[2].body["data"] == {"true": "yes"}


def test_binary_backend_runs_helm_template_with_cluster_capabilities(tmp_path: Path) -> None:
    write_tree(tmp_path, {"charts/demo/Chart.yaml": CHART_YAML})
    chart = helm.read_chart(tmp_path, PurePosixPath("charts/demo"))
    command = helm.helm_command(chart, unit_for(kubernetes_version="1.30.2"))
    assert command[1:9] == [
        "template",
        "demo",
        str(tmp_path / "charts/demo"),
        "--namespace",
        "apps",
        "--kube-version",
        "v1.30.2",
        "--api-versions",
    ]
    assert command[9] == ",".join(helm.kube_capabilities("1.30.2")[1])
    assert command[10:] == ["--include-crds", "--skip-tests", "--values", "-"]


def test_backend_can_be_forced_and_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(helm.BACKEND_ENV, "sdk")
    assert helm.helm_backend().startswith("helm-python-sdk ")
    assert "Go SDK, in-process" in helm.helm_backend()
    monkeypatch.setenv(helm.BACKEND_ENV, "kustomize")
    assert failure(tmp_path, {"charts/demo/templates/cm.yaml": cm("a")}) == (
        f"{helm.BACKEND_ENV} is 'kustomize' but it is not a backend\n"
        f"  hint: set {helm.BACKEND_ENV} to 'sdk', or to 'binary' with helm on PATH, or unset it"
    )


@pytest.mark.skipif(
    not helm._helm_binary(),
    reason="no helm binary on PATH: only the helm-python-sdk backend can run",
)
@pytest.mark.parametrize(
    ("cluster", "name"), [("eks-prod", "external-secrets"), ("linode-sandbox", "keda")]
)
def test_binary_and_sdk_backends_render_the_same_objects(
    monkeypatch: pytest.MonkeyPatch, cluster: str, name: str
) -> None:
    unit = example_unit(cluster, name)
    monkeypatch.setenv(helm.BACKEND_ENV, "binary")
    binary = helm.render(unit, EXAMPLE)
    monkeypatch.setenv(helm.BACKEND_ENV, "sdk")
    assert helm.render(unit, EXAMPLE) == binary


def test_render_is_deterministic(tmp_path: Path) -> None:
    unit = example_unit("eks-prod", "keda")
    assert helm.render(unit, EXAMPLE) == helm.render(unit, EXAMPLE)


def test_broken_values_yaml_and_schema_are_named_with_their_position(tmp_path: Path) -> None:
    files = {"charts/demo/values.yaml": "a: [1\n", "charts/demo/templates/cm.yaml": cm("a")}
    assert failure(tmp_path, files) == (
        f"charts/demo/values.yaml:2:1: {WHERE}: malformed YAML: did not find expected ',' or ']'\n"
        "  hint: fix the YAML syntax at that position (indentation, quoting, a missing ':')"
    )
    files = {"charts/demo/values.schema.json": '{"type": "object",\n  properties: {}}'}
    assert failure(tmp_path, {**files, "charts/demo/values.yaml": "a: 1\n"}) == (
        f"charts/demo/values.schema.json:2:3: {WHERE}: values.schema.json is not valid JSON: "
        "Expecting property name enclosed in double quotes\n"
        "  hint: fix the JSON syntax (a JSON Schema document, as Helm requires)"
    )


def test_chart_helm_cannot_load_names_chart_yaml_and_helm_lint(tmp_path: Path) -> None:
    files = {"charts/demo/Chart.yaml": "apiVersion: v2\nname: demo\n"}
    assert failure(tmp_path, files) == (
        f"charts/demo/Chart.yaml:1: {WHERE}: helm could not render chart 'demo': validation: "
        "chart.metadata.version is required\n"
        "  hint: fix the chart; `helm lint charts/demo` reports the same problem"
    )


def test_a_v1_list_becomes_its_items(tmp_path: Path) -> None:
    files = {
        "charts/demo/templates/list.yaml": "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: one}}\n"
        "  - {apiVersion: v1, kind: ServiceAccount, metadata: {name: two}}\n"
    }
    manifests = render(tmp_path, files)
    assert [(m.kind, m.name, str(m.origin)) for m in manifests] == [
        ("ServiceAccount", "two", "charts/demo/templates/list.yaml:1"),
        ("ConfigMap", "one", "charts/demo/templates/list.yaml:1"),
    ]


def test_operator_name_must_be_a_valid_release_name(tmp_path: Path) -> None:
    write_tree(
        tmp_path, {"charts/demo/Chart.yaml": CHART_YAML, "charts/demo/templates/a.yaml": cm("a")}
    )
    unit = dataclasses.replace(unit_for(), name="x" * 54)
    with pytest.raises(GeneratorError) as caught:
        helm.render(unit, tmp_path)
    assert str(caught.value) == (
        f"catalog/operators/050-demo.yaml:1: eks-prod/{'x' * 54}: '{'x' * 54}' cannot be a Helm "
        "release name (at most 53 lower-case letters, digits, '-' and '.')\n"
        "  hint: shorten the operator's name: Helm release names are limited to 53 characters"
    )


# A stand-in for the helm binary: it checks the plumbing (arguments, values on stdin, stdout
# parsing, exit status and stderr translation), not Helm's rendering, which the parity test
# above covers when a real helm is installed.
STAND_IN = """\
#!{python}
import json, sys
if sys.argv[1:] == ["version", "--short"]:
    print("v3.16.2+g13654a5")
    sys.exit(0)
values = json.load(sys.stdin)
if values.get("crash"):
    sys.stderr.write("Error: unknown flag: --" + values["crash"] + "\\n")
    sys.exit(1)
if values.get("fail"):
    sys.stderr.write("WARNING: Kubernetes configuration file is group-readable.\\n")
    sys.stderr.write("Error: execution error at (demo/templates/cm.yaml:6:10): " + values["fail"]
                     + "\\n\\nUse --debug flag to render out invalid YAML\\n")
    sys.exit(1)
print("---\\n# Source: demo/crds/crd.yaml\\napiVersion: apiextensions.k8s.io/v1\\n"
      "kind: CustomResourceDefinition\\nmetadata:\\n  name: a.demo.example")
print("---\\n# Source: demo/templates/cm.yaml\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
      "  name: args\\ndata:\\n  argv: " + json.dumps(" ".join(sys.argv[1:8]))
      + "\\n  greeting: " + json.dumps(values["greeting"]))
print("---\\n# Source: demo/templates/hooks.yaml\\napiVersion: v1\\nkind: ConfigMap\\nmetadata:\\n"
      "  name: cleanup\\n  annotations:\\n    helm.sh/hook: pre-delete")
"""


@pytest.fixture
def stand_in_helm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    binary = tmp_path / "bin" / "helm"
    binary.parent.mkdir()
    binary.write_text(STAND_IN.format(python=sys.executable))
    binary.chmod(0o755)
    monkeypatch.setenv("PATH", f"{binary.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.delenv(helm.BACKEND_ENV, raising=False)
    helm._helm_binary.cache_clear()
    helm._binary_version.cache_clear()
    yield binary
    helm._helm_binary.cache_clear()
    helm._binary_version.cache_clear()


def test_binary_backend_plumbing(stand_in_helm: Path, tmp_path: Path) -> None:
    assert helm.helm_backend() == f"helm binary {stand_in_helm} (v3.16.2+g13654a5)"
    repo = tmp_path / "repo"
    manifests = render(repo, {}, {"greeting": "hi"})
    assert [(m.name, str(m.origin)) for m in manifests] == [
        ("a.demo.example", "charts/demo/crds/crd.yaml:1"),
        ("args", "charts/demo/templates/cm.yaml:1"),
    ]  # the pre-delete hook is dropped
    assert manifests[1].body["data"] == {
        "argv": f"template demo {repo / 'charts/demo'} --namespace apps --kube-version v1.31.0",
        "greeting": "hi",
    }
    assert failure(repo, {}, {"fail": "greeting is required"}) == (
        f"charts/demo/templates/cm.yaml:6:11: {WHERE}: template failed: greeting is required\n"
        "  hint: set the value named above in the catalog or fix the template"
    )
    command = shlex.join(
        helm.helm_command(helm.read_chart(repo, PurePosixPath("charts/demo")), unit_for())
    )
    assert failure(repo, {}, {"crash": "include-crds"}) == (
        f"charts/demo/Chart.yaml:1: {WHERE}: helm could not render chart 'demo' "
        "(helm exit status 1): unknown flag: --include-crds\n"
        f"  hint: rerun `{command}` with the unit's merged catalog values as JSON on stdin"
    )


OFFLINE_KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
users: [{name: none, user: {token: unused}}]
"""


def test_splitting_and_order_match_helms_own_client_side_install(tmp_path: Path) -> None:
    """Helm's install action in client dry-run mode (no cluster contacted) returns the release
    manifest exactly as `helm template` prints it, minus CRDs and hooks: compare with ours."""
    helm_python = pytest.importorskip("helm_python")
    files = {
        **SUBCHART,
        **HOOKS,
        "charts/demo/templates/mixed.yaml": "# leading comment\n---\n"
        + "\n---\n".join(
            f"apiVersion: {v}\nkind: {k}\nmetadata:\n  name: {n}\n"
            for v, k, n in [
                ("apps/v1", "Deployment", "web"),
                ("v1", "Service", "web"),
                ("demo.example/v1", "Widget", "w"),
                ("v1", "Namespace", "extra"),
                ("rbac.authorization.k8s.io/v1", "ClusterRole", "reader"),
                ("networking.k8s.io/v1", "NetworkPolicy", "deny"),
                ("demo.example/v1", "Gadget", "g"),
                ("v1", "Secret", "s"),
            ]
        )
        + "\n---   \n\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last\n",
        "charts/demo/templates/NOTES.txt": "notes",
    }
    ours = [
        (str(m.origin), m.kind, m.name)
        for m in render(tmp_path, files)
        if m.kind != "CustomResourceDefinition"
        and "helm.sh/hook" not in m.metadata.get("annotations", {})
    ]
    with helm_python.Config(
        kubeconfig_content=OFFLINE_KUBECONFIG, storage_driver="memory"
    ) as config:
        release = config.install(
            str(tmp_path / "charts/demo"), "demo", {}, dry_run="client", namespace="apps"
        )
    chart = helm.read_chart(tmp_path, PurePosixPath("charts/demo"))
    theirs = [
        (f"{helm._repo_path(d.source, chart)}:1", d.body["kind"], d.body["metadata"]["name"])
        for d in helm.parse_stream(release["manifest"], chart, unit_for())
    ]
    assert ours == theirs
    assert len(ours) == 12


def test_strict_mode_renders_through_the_sdk_even_with_helm_on_path(
    stand_in_helm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"charts/demo/templates/cm.yaml": cm("c", "  x: {{ .Values.nope | quote }}\n")}
    assert failure(tmp_path, files, strict=True) == (
        f"charts/demo/templates/cm.yaml:6:16: {WHERE}: template reads .Values.nope, which is not "
        "set (helm.strict)\n  hint: set nope in the catalog (operator values) or the chart's "
        "values.yaml, or guard it with `default` / `if`"
    )
    monkeypatch.setenv(helm.BACKEND_ENV, "binary")
    assert failure(tmp_path, files, strict=True) == (
        "GENERATOR_HELM_BACKEND is 'binary' but the platform sets helm.strict, which `helm "
        "template` cannot do\n  hint: unset GENERATOR_HELM_BACKEND (the SDK backend renders "
        "strictly) or set helm.strict to false"
    )
