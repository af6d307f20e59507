"""`generator explain`: values from each layer, through ${} chains, through each engine, and
through each overlay transform; overlay names in rendered headers; findings blamed on overlays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE, MINIMAL, run_cli, snapshot, write_tree
from tests.test_layers import LAYERS, _files


def explain(repo: Path, *args: str) -> dict[str, Any]:
    result = run_cli(["explain", *args, "--format", "json", "--repo", str(repo)])
    assert result.code == 0, result.err
    data: dict[str, Any] = json.loads(result.out)
    return data


def one_field(repo: Path, *args: str) -> dict[str, Any]:
    (field,) = explain(repo, *args)["fields"]
    return field


@pytest.mark.parametrize("layer", range(len(LAYERS)), ids=lambda i: LAYERS[i].replace(" ", "-"))
def test_a_value_from_each_layer_names_the_layer_and_line(tmp_path: Path, layer: int) -> None:
    files = _files((layer,))
    template = MINIMAL["charts/web/deployment.yaml.j2"]
    files["charts/web/deployment.yaml.j2"] = template.replace(
        "          env:\n", "          workingDir: /{{ values.x }}\n          env:\n"
    )
    files["catalog/platform.yaml"] += "  greeting: hi\n"
    repo = write_tree(tmp_path, files)
    field = one_field(
        repo, "dev-1/web", "Deployment/web", "spec.template.spec.containers[0].workingDir"
    )
    value = LAYERS[layer].replace(" ", "/")
    assert field["value"] == f"/{value}"
    assert field["emitted"] == "charts/web/deployment.yaml.j2:19"
    (source,) = field["values"]
    assert (source["path"], source["value"], source["layer"]) == ("values.x", value, LAYERS[layer])
    expected = {
        0: "catalog/platform.yaml:9:3",
        1: "catalog/operators/010-web.yaml:3:3",
        2: "catalog/environments/dev.yaml:4:3",
        3: "catalog/environments/dev.yaml:8:7",
        4: "catalog/clusters/dev-1.yaml:8:3",
        5: "catalog/clusters/dev-1.yaml:13:7",
    }
    assert source["origin"] == expected[layer]


def test_a_reference_chain_is_followed_to_its_origin(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  base: 4\n",
            "catalog/operators/010-web.yaml": "namespace: web\nvalues:\n"
            "  greeting: hi\n  replicas: ${values.middle}\n  middle: ${values.base}\n",
        },
    )
    result = run_cli(
        ["explain", "dev-1/web", "Deployment/web", "spec.replicas", "--repo", str(repo)]
    )
    assert (result.code, result.err) == (0, "")
    assert result.out == (
        "dev-1/web: Deployment web/web (jinja: charts/web/deployment.yaml.j2)\n"
        "spec.replicas = 4\n"
        "  emitted by charts/web/deployment.yaml.j2:6\n"
        '  from values.replicas = 4 (operator, catalog/operators/010-web.yaml:4:3) written "${values.middle}"\n'
        '      ← values.middle = 4 (operator, catalog/operators/010-web.yaml:5:3) written "${values.base}"\n'
        "          ← values.base = 4 (environment, catalog/environments/dev.yaml:4:3)\n"
    )


def test_a_copied_mapping_is_followed_into(tmp_path: Path) -> None:
    field = one_field(
        EXAMPLE,
        "eks-prod/cert-manager",
        "Deployment/cert-manager-controller",
        "spec.template.spec.containers[0].resources.limits.cpu",
    )
    (source,) = field["values"]
    assert (source["path"], source["origin"], source["written"]) == (
        "values.controller.resources.limits.cpu",
        "catalog/operators/010-cert-manager.yaml:10:5",
        "${values.resources.medium}",
    )
    assert [(v["path"], v["layer"], v["origin"]) for v in source["via"]] == [
        ("values.resources.medium.limits.cpu", "platform", "catalog/platform.yaml:34:61")
    ]


def test_why_is_this_16(tmp_path: Path) -> None:
    result = run_cli(
        [
            "explain",
            "eks-prod/payments",
            "ResourceQuota/tenant-quota",
            "spec.hard.requests.cpu",
            "--repo",
            str(EXAMPLE),
        ]
    )
    assert result.out == (
        "eks-prod/payments: ResourceQuota ns-payments/tenant-quota (jsonnet: "
        "generator/jsonnet/tenant/main.jsonnet)\n"
        'spec.hard["requests.cpu"] = "16"\n'
        "  emitted by generator/jsonnet/tenant/main.jsonnet\n"
        '  from tenant.quotas.cpu = "16" (environment tenants.payments, '
        "catalog/environments/prod.yaml:21:23)\n"
        '  from values.tenantDefaults.quotas.cpu = "16" (environment, '
        "catalog/environments/prod.yaml:10:14)\n"
    )


def test_jsonnet_and_helm_name_their_file_and_the_values_they_read() -> None:
    gateway = one_field(
        EXAMPLE,
        "kind-local/gateway",
        "Deployment/envoy-gateway",
        "spec.template.spec.containers[0].image",
    )
    assert gateway["emitted"] == "charts/gateway/main.jsonnet"
    assert [(v["path"], v["layer"], v["origin"]) for v in gateway["values"]] == [
        (
            "values.gateway.version",
            "environment operators.gateway",
            "catalog/environments/dev.yaml:10:32",
        ),
        ("values.registry", "platform", "catalog/platform.yaml:27:3"),
    ]
    keda = one_field(
        EXAMPLE,
        "eks-prod/keda",
        "Deployment/keda-operator",
        "spec.template.spec.containers[0].resources.limits.cpu",
    )
    assert keda["emitted"] == "charts/keda/templates/operator.yaml"
    assert [(v["path"], v["origin"]) for v in keda["values"]] == [
        ("values.operator.resources.limits.cpu", "catalog/operators/070-keda.yaml:19:5")
    ]


def test_a_helm_value_is_traced_from_the_block_into_the_hierarchy() -> None:
    # The chart reads the block's replicas; the block takes it from the environment.
    field = one_field(EXAMPLE, "eks-prod/keda", "Deployment/keda-operator", "spec.replicas")
    (value,) = field["values"]
    assert (value["layer"], value["origin"], value["written"]) == (
        "operator",
        "catalog/operators/070-keda.yaml:16:3",
        "${values.replicas}",
    )
    assert [(v["layer"], v["origin"], v["value"]) for v in value["via"]] == [
        ("environment", "catalog/environments/prod.yaml:6:3", 3)
    ]


OVERLAY = {
    "overlays/environments/dev/kustomization.yaml": """\
patches:
- target: {kind: Deployment}
  patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec: {template: {spec: {nodeSelector: {pool: system}}}}
- path: ops.json
  target: {kind: Deployment, name: web}
replicas:
- {name: web, count: 5}
images:
- {name: nginx, newTag: 1.27.9}
commonAnnotations: {team: web}
labels:
- pairs: {tier: front}
""",
    "overlays/environments/dev/ops.json": '[{"op": "add", "path": "/spec/minReadySeconds", "value": 7}]\n',
    "overlays/clusters/dev-1/web/kustomization.yaml": "namespace: web-alt\n",
}
OVERLAID = [
    (
        "spec.template.spec.nodeSelector.pool",
        "overlays/environments/dev/kustomization.yaml:2:3",
        "patch",
    ),
    ("spec.minReadySeconds", "overlays/environments/dev/ops.json:1", "patch"),
    ("spec.replicas", "overlays/environments/dev/kustomization.yaml:11:3", "replicas entry 'web'"),
    (
        "spec.template.spec.containers[0].image",
        "overlays/environments/dev/kustomization.yaml:13:3",
        "images entry 'nginx'",
    ),
    (
        "metadata.annotations.team",
        "overlays/environments/dev/kustomization.yaml:14:1",
        "commonAnnotations",
    ),
    ("metadata.labels.tier", "overlays/environments/dev/kustomization.yaml:15:1", "labels"),
    ("metadata.namespace", "overlays/clusters/dev-1/web/kustomization.yaml:1:1", "namespace"),
]


@pytest.mark.parametrize(("path", "origin", "step"), OVERLAID, ids=[p for p, _, _ in OVERLAID])
def test_each_overlay_transform_is_named_with_its_line(
    tmp_path: Path, path: str, origin: str, step: str
) -> None:
    repo = write_tree(tmp_path, {**MINIMAL, **OVERLAY})
    field = one_field(repo, "dev-1/web", "Deployment/web", path)
    assert [(o["origin"], o["step"]) for o in field["overlays"]] == [(origin, step)]


def test_the_engine_value_is_shown_beside_the_overlay_that_changed_it(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {**MINIMAL, **OVERLAY})
    result = run_cli(
        ["explain", "dev-1/web", "Deployment/web", "spec.replicas", "--repo", str(repo)]
    )
    assert result.out == (
        "dev-1/web: Deployment web-alt/web (jinja: charts/web/deployment.yaml.j2)\n"
        "spec.replicas = 5\n"
        "  emitted by charts/web/deployment.yaml.j2:6 as 2\n"
        "  from values.replicas = 2 (environment, catalog/environments/dev.yaml:4:3)\n"
        "  changed by overlays/environments/dev/kustomization.yaml:11:3 (replicas entry 'web')\n"
    )


def test_rendered_headers_name_the_overlays_that_changed_the_object(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {**MINIMAL, **OVERLAY})
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    deployment = (repo / "rendered/dev-1/010-web/deployment-web.yaml").read_text()
    assert deployment.splitlines()[3] == (
        "# Overlays: overlays/environments/dev/kustomization.yaml (patch, labels, "
        "commonAnnotations, replicas entry 'web', images entry 'nginx'), "
        "overlays/environments/dev/ops.json "
        "(patch), overlays/clusters/dev-1/web/kustomization.yaml (namespace)"
    )
    configmap = (repo / "rendered/dev-1/010-web/configmap-web-settings.yaml").read_text()
    assert configmap.splitlines()[3] == (
        "# Overlays: overlays/environments/dev/kustomization.yaml (labels, commonAnnotations), "
        "overlays/clusters/dev-1/web/kustomization.yaml (namespace)"
    )


def test_a_finding_an_overlay_introduced_points_at_the_overlay(minimal_repo: Path) -> None:
    before = snapshot(minimal_repo / "rendered")
    write_tree(
        minimal_repo,
        {
            "overlays/environments/dev/kustomization.yaml": "images:\n- {name: nginx, newTag: latest}\n"
        },
    )
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 1
    assert result.err.startswith(
        "overlays/environments/dev/kustomization.yaml:2:3: Deployment web/web: container 'web' "
        "image 'nginx:latest' uses the 'latest' tag [image-pinned]\n"
    )
    assert (
        "the overlay's images entry 'nginx' introduced it (the object comes from "
        "charts/web/deployment.yaml.j2:1)" in result.err
    )
    assert snapshot(minimal_repo / "rendered") == before


BAD = {
    "unknown_unit": (
        ["dev-1/wbe", "Deployment/web"],
        "error: unknown unit 'wbe'\n  hint: did you mean 'web'?\n",
    ),
    "unknown_object": (
        ["dev-1/web", "Deployment/wbe"],
        "error: dev-1/web renders no Deployment/wbe\n  hint: did you mean 'Deployment/web'?\n",
    ),
    "unknown_field": (
        ["dev-1/web", "Deployment/web", "spec.replica"],
        "error: Deployment/web has no field 'spec.replica'\n  hint: did you mean 'spec.replicas'?\n",
    ),
    "not_kind_and_name": (
        ["dev-1/web", "web"],
        "error: 'web' is not KIND/NAME\n  hint: write the object as KIND/NAME or KIND/NAMESPACE/NAME\n",
    ),
    "unknown_cluster": (
        ["dev-2/web", "Deployment/web"],
        "error: unknown cluster 'dev-2'\n  hint: use one of: dev-1\n",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_explain_arguments(minimal_repo: Path, case: str) -> None:
    args, expected = BAD[case]
    result = run_cli(["explain", *args, "--repo", str(minimal_repo)])
    assert (result.code, result.out, result.err) == (2, "", expected)


def test_a_renaming_overlay_renders_the_whole_cluster_and_names_the_step(tmp_path: Path) -> None:
    files = {
        **MINIMAL,
        "overlays/clusters/dev-1/kustomization.yaml": "namePrefix: blue-\n",
        "catalog/operators/020-api.yaml": "namespace: api\nsource: web\nvalues: {greeting: api}\n",
    }
    repo = write_tree(tmp_path, files)
    field = one_field(repo, "dev-1/web", "Deployment/blue-web", "metadata.name")
    assert field["engineValue"] == "web"
    assert [(o["origin"], o["step"]) for o in field["overlays"]] == [
        ("overlays/clusters/dev-1/kustomization.yaml:1:1", "namePrefix/nameSuffix")
    ]


def test_a_replacement_is_named_with_its_line(tmp_path: Path) -> None:
    files = {
        **MINIMAL,
        "overlays/clusters/dev-1/kustomization.yaml": """\
replacements:
- source: {kind: ConfigMap, name: web-settings, fieldPath: data.mode}
  targets:
  - select: {kind: Deployment, name: web}
    fieldPaths:
    - spec.template.spec.containers.[name=web].env.[name=GREETING].value
""",
    }
    repo = write_tree(tmp_path, files)
    field = one_field(
        repo, "dev-1/web", "Deployment/web", "spec.template.spec.containers[0].env[0].value"
    )
    assert (field["value"], field["engineValue"]) == ("on", "hello dev-1")
    assert [(o["origin"], o["step"]) for o in field["overlays"]] == [
        ("overlays/clusters/dev-1/kustomization.yaml:1:1", "replacements")
    ]
