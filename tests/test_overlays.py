"""Overlays beyond the parity suite: scopes over rendered units, the CLI, refused fields."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from generator.errors import GeneratorError
from generator.model import Cluster, Component, Environment, Manifest, Origin, RenderUnit, Selection
from generator.overlays import apply_overlays, kustomize
from generator.overlays.generators import encode_base64
from generator.overlays.images import split_image
from generator.overlays.labels import SelectorError, selector_matches
from generator.overlays.targets import TargetReport
from tests.conftest import EXAMPLE, REPO, run_cli, write_tree

ENV = Environment("prod", 3, {}, {}, Origin(PurePosixPath("catalog/environments/prod.yaml")))
KUBECTL = shutil.which("kubectl")
CLUSTER = Cluster(
    "eks-prod", "prod", "aws", "1.31.0", "https://k8s.example", "argocd", "",
    Selection(), Selection(), {}, {}, Origin(PurePosixPath("catalog/clusters/eks-prod.yaml")),
)  # fmt: skip


def unit(name: str, kind: str = "operator") -> RenderUnit:
    dirname = f"tenants/{name}" if kind == "tenant" else f"010-{name}"
    return RenderUnit(
        CLUSTER, ENV, kind, name, 10, dirname, name,  # type: ignore[arg-type]
        Component(name, "plain", PurePosixPath(f"charts/{name}"), Origin(PurePosixPath("x"))),
        {}, {}, (), Origin(PurePosixPath(f"catalog/operators/010-{name}.yaml")),
    )  # fmt: skip


def deployment(name: str, namespace: str) -> Manifest:
    body: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": name, "image": f"{name}:1.0"}]},
            },
        },
    }
    return Manifest(body, Origin(PurePosixPath(f"charts/{name}/deployment.yaml"), 1))


def rendered() -> list[tuple[RenderUnit, list[Manifest]]]:
    return [
        (unit("cert-manager"), [deployment("cert-manager", "cert-manager")]),
        (unit("keda"), [deployment("keda", "keda")]),
        (unit("a", "tenant"), [deployment("web", "ns-a")]),
    ]


REPLICAS_PATCH = """\
patches:
- target:
    kind: Deployment
  patch: |
    - op: replace
      path: /spec/replicas
      value: {count}
"""


def bodies(result: list[tuple[RenderUnit, list[Manifest]]]) -> dict[str, list[dict[str, Any]]]:
    return {u.dirname: [dict(m.body) for m in ms] for u, ms in result}


def test_without_overlays_units_come_back_unchanged(tmp_path: Path) -> None:
    before = rendered()
    assert bodies(apply_overlays(tmp_path, CLUSTER, ENV, before)) == bodies(before)


def test_environment_then_cluster_overlays_apply_in_that_order(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/kustomization.yaml": REPLICAS_PATCH.format(count=2),
        "overlays/environments/prod/keda/kustomization.yaml": REPLICAS_PATCH.format(count=5),
        "overlays/clusters/eks-prod/kustomization.yaml": REPLICAS_PATCH.format(count=3)
        + "commonAnnotations:\n  cluster: eks-prod\n",
    })  # fmt: skip
    result = bodies(apply_overlays(tmp_path, CLUSTER, ENV, rendered()))
    for dirname in ("010-cert-manager", "010-keda", "tenants/a"):
        (only,) = result[dirname]
        assert only["spec"]["replicas"] == 3
        assert only["metadata"]["annotations"] == {"cluster": "eks-prod"}


def test_unit_overlay_changes_only_its_unit_and_may_add_resources(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/cert-manager/kustomization.yaml": (
            "resources:\n- pdb.yaml\nreplicas:\n- name: cert-manager\n  count: 2\n"
        ),
        "overlays/environments/prod/cert-manager/pdb.yaml": (
            "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: cert-manager\n"
            "  namespace: cert-manager\nspec:\n  minAvailable: 1\n"
        ),
        "overlays/clusters/eks-prod/tenants/a/kustomization.yaml": (
            "resources:\n- api.yaml\nimages:\n- name: api\n  newTag: \"2.0\"\n"
        ),
        "overlays/clusters/eks-prod/tenants/a/api.yaml": json.dumps(deployment("api", "ns-a").body),
    })  # fmt: skip
    result = apply_overlays(tmp_path, CLUSTER, ENV, rendered())
    cert_manager = result[0][1]
    assert [m.kind for m in cert_manager] == ["Deployment", "PodDisruptionBudget"]
    assert cert_manager[0].body["spec"]["replicas"] == 2
    assert cert_manager[1].origin == Origin(
        PurePosixPath("overlays/environments/prod/cert-manager/pdb.yaml"), 1
    )
    assert result[1][1][0].body["spec"]["replicas"] == 1
    web, api = (m.body["spec"]["template"]["spec"]["containers"][0]["image"] for m in result[2][1])
    assert (web, api) == ("web:1.0", "api:2.0")


def test_engine_output_is_not_modified_in_place(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/kustomization.yaml": REPLICAS_PATCH.format(count=4),
    })  # fmt: skip
    before = rendered()
    apply_overlays(tmp_path, CLUSTER, ENV, before)
    assert before[0][1][0].body["spec"]["replicas"] == 1


def test_scope_wide_overlay_may_not_add_resources(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/clusters/eks-prod/kustomization.yaml": "resources:\n- extra.yaml\n",
        "overlays/clusters/eks-prod/extra.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: keda\n"
        ),
    })  # fmt: skip
    with pytest.raises(GeneratorError) as caught:
        apply_overlays(tmp_path, CLUSTER, ENV, rendered())
    assert str(caught.value) == (
        "overlays/clusters/eks-prod/extra.yaml:1: the overlay adds ConfigMap 'keda/extra', which"
        " belongs to no unit\n"
        "  hint: an overlay for a whole environment or cluster may only change objects; put new"
        " resources in a unit overlay such as 'overlays/clusters/eks-prod/<operator>/' or"
        " 'overlays/clusters/eks-prod/tenants/<tenant>/'"
    )


def test_untargeted_patch_needs_the_rendered_namespace(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/keda/kustomization.yaml": (
            "patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n"
            "    metadata:\n      name: keda\n    spec:\n      replicas: 2\n"
        ),
    })  # fmt: skip
    with pytest.raises(GeneratorError) as caught:
        apply_overlays(tmp_path, CLUSTER, ENV, rendered())
    assert str(caught.value).startswith(
        "overlays/environments/prod/keda/kustomization.yaml:2:3: no object matches the patch"
        " for Deployment 'keda'\n"
    )


def test_vars_build_with_a_deprecation_warning_and_report_unused_vars(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "kustomization.yaml": (
            "resources: [pod.yaml]\nvars:\n- name: POD\n"
            "  objref: {apiVersion: v1, kind: Pod, name: p}\n- name: UNUSED\n"
            "  objref: {apiVersion: v1, kind: Pod, name: p}\n"
        ),
        "pod.yaml": (
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
            "spec:\n  containers: [{name: c, image: i, args: [$(POD)]}]\n"
        ),
    })  # fmt: skip
    warnings: list[str] = []
    (pod,) = kustomize(tmp_path, tmp_path, warnings)
    assert pod.body["spec"]["containers"][0]["args"] == ["p"]
    assert warnings == [
        "kustomization.yaml:2:1: 'vars' is deprecated; use 'replacements'",
        "vars that were never replaced: UNUSED",
    ]


def test_a_var_without_name_or_objref_is_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"kustomization.yaml": "resources: []\nvars:\n- name: X\n"})
    with pytest.raises(GeneratorError) as caught:
        kustomize(tmp_path, tmp_path)
    assert str(caught.value) == (
        "kustomization.yaml:3:3: a var needs a 'name' and an 'objref'\n"
        "  hint: write {name: X, objref: {apiVersion: v1, kind: Service, name: db}}, or better a"
        " replacement: vars are deprecated in Kustomize v5"
    )


def test_remote_resources_are_refused(tmp_path: Path) -> None:
    write_tree(tmp_path, {"kustomization.yaml": "resources:\n- https://github.com/x/y//base\n"})
    with pytest.raises(GeneratorError, match=r"remote resource 'https://github\.com/x/y//base'"):
        kustomize(tmp_path, tmp_path)


def test_a_component_cannot_be_built_alone(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
    })  # fmt: skip
    with pytest.raises(GeneratorError, match="a Component cannot be built on its own"):
        kustomize(tmp_path, tmp_path)


def test_cli_prints_the_stream_and_warns_about_deprecated_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {
        "app/kustomization.yaml": "commonLabels:\n  team: a\nresources:\n- cm.yaml\n",
        "app/cm.yaml": (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  mode: \"on\"\n"
        ),
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = run_cli(["kustomize", "app"])
    assert result.code == 0
    assert result.out == (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels:\n    team: a\n"
        'data:\n  mode: "on"\n'
    )
    assert result.err == (
        "warning: app/kustomization.yaml:1:1: 'commonLabels' is deprecated;"
        " use 'labels' with includeSelectors: true\n"
    )


def test_cli_error_names_the_kustomization_file_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"app/kustomization.yaml": "resources:\n- missing.yaml\n"})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["kustomize", "app"])
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "error: app/kustomization.yaml:2:3: resource 'missing.yaml' does not exist\n"
        "  hint: create 'app/missing.yaml' or fix the path (relative to the kustomization)\n"
    )


def test_cli_refuses_a_folder_without_kustomization(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run_cli(["kustomize", "empty"])
    assert result.code == 2
    assert result.err == (
        "error: empty: no kustomization file in 'empty'\n"
        "  hint: add a kustomization.yaml to 'empty' or list its files one by one\n"
    )


def test_base64_wraps_every_70_characters_once_that_long() -> None:
    assert encode_base64(b"a" * 51) == "YWFh" * 17
    text = "YWFh" * 17 + "YQ=="
    assert encode_base64(b"a" * 52) == text[:70] + "\n" + text[70:] + "\n"
    wrapped = encode_base64(b"a" * 120)
    assert wrapped.endswith("\n")
    assert [len(line) for line in wrapped.splitlines()] == [70, 70, 20]


@pytest.mark.parametrize(
    ("image", "parts"),
    [
        ("nginx", ("nginx", "", "")),
        ("nginx:1.25", ("nginx", "1.25", "")),
        ("localhost:5000/app:v1", ("localhost:5000/app", "v1", "")),
        ("localhost:5000/app", ("localhost:5000/app", "", "")),
        ("app@sha256:abc", ("app", "", "sha256:abc")),
    ],
)
def test_image_names_split_into_name_tag_and_digest(
    image: str, parts: tuple[str, str, str]
) -> None:
    assert split_image(image) == parts


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", True),
        ("app==web,tier!=db", True),
        ("tier in (front, back)", True),
        ("tier notin (front)", False),
        ("!legacy", True),
        ("legacy", False),
        ("missing!=x", True),
    ],
)
def test_label_selectors_follow_kubernetes_syntax(selector: str, expected: bool) -> None:
    assert selector_matches(selector, {"app": "web", "tier": "front"}) is expected


def test_malformed_label_selector_is_an_error() -> None:
    with pytest.raises(SelectorError):
        selector_matches("app in web", {})


def test_objects_without_namespace_get_the_units_namespace_before_overlays(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/clusters/eks-prod/keda/kustomization.yaml": (
            "patches:\n- patch: |\n    apiVersion: apps/v1\n    kind: Deployment\n"
            "    metadata:\n      name: keda\n      namespace: keda\n    spec:\n      replicas: 2\n"
        ),
    })  # fmt: skip
    bare = deployment("keda", "keda")
    del bare.body["metadata"]["namespace"]
    namespace = Manifest(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "keda"}}, bare.origin
    )
    result = apply_overlays(tmp_path, CLUSTER, ENV, [(unit("keda"), [namespace, bare])])
    patched = result[0][1]
    assert patched[0].body["metadata"] == {"name": "keda"}
    assert patched[1].body["metadata"]["namespace"] == "keda"
    assert patched[1].body["spec"]["replicas"] == 2


def test_errors_in_large_resource_files_name_the_right_line(tmp_path: Path) -> None:
    """Big files are parsed in pieces of whole documents; line numbers must not drift."""
    config_map = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  k: v\n"
    documents = [config_map.format(i=i) for i in range(600)]  # about 40 kB
    documents[450] = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  labels: {}\n"
    write_tree(tmp_path, {
        "kustomization.yaml": "resources:\n- big.yaml\n",
        "big.yaml": "---\n".join(documents),
    })  # fmt: skip
    with pytest.raises(GeneratorError) as caught:
        kustomize(tmp_path, tmp_path)
    assert str(caught.value) == (
        f"big.yaml:{450 * 7 + 1}: ConfigMap has no metadata.name\n"
        "  hint: every Kubernetes object needs apiVersion, kind and metadata.name"
    )
    documents[450] = config_map.format(i=450)
    (tmp_path / "big.yaml").write_text("---\n".join(documents), encoding="utf-8")
    built = kustomize(tmp_path, tmp_path)
    assert [m.name for m in built] == sorted(f"cm-{i}" for i in range(600))
    assert built[0].origin == Origin(PurePosixPath("big.yaml"), 1)
    assert {m.name: m.origin.line for m in built}["cm-599"] == 599 * 7 + 1


def test_cli_refuses_a_file_where_a_folder_is_expected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"app/kustomization.yaml": "resources: []\n"})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["kustomize", "app/kustomization.yaml"])
    assert result.code == 2
    assert result.out == ""
    assert result.err.endswith(
        "Error: Invalid value for 'DIRECTORY': Directory 'app/kustomization.yaml' is a file.\n"
    )


def test_generated_names_get_one_hash_on_the_final_data_across_layers(tmp_path: Path) -> None:
    # Same objects as a kustomization with `resources: [../base]` that merges `c=d` into the
    # base's generator: kubectl kustomize names it settings-fh478f99mk.
    write_tree(tmp_path, {
        "overlays/environments/prod/cert-manager/kustomization.yaml": (
            "configMapGenerator:\n- name: settings\n  namespace: cert-manager\n"
            "  literals: [a=b]\n"
        ),
        "overlays/clusters/eks-prod/kustomization.yaml": "commonAnnotations:\n  team: infra\n",
        "overlays/clusters/eks-prod/cert-manager/kustomization.yaml": (
            "configMapGenerator:\n- name: settings\n  namespace: cert-manager\n"
            "  behavior: merge\n  literals: [c=d]\n"
        ),
    })  # fmt: skip
    workload = deployment("cert-manager", "cert-manager")
    workload.body["spec"]["template"]["spec"]["containers"][0]["envFrom"] = [
        {"configMapRef": {"name": "settings"}}
    ]
    result = apply_overlays(tmp_path, CLUSTER, ENV, [(unit("cert-manager"), [workload])])
    (deployment_out, config_map) = result[0][1]
    assert config_map.body["metadata"]["name"] == "settings-fh478f99mk"
    assert config_map.body["data"] == {"a": "b", "c": "d"}
    container = deployment_out.body["spec"]["template"]["spec"]["containers"][0]
    assert container["envFrom"] == [{"configMapRef": {"name": "settings-fh478f99mk"}}]


def test_a_generated_secret_in_one_layer_is_hashed_once(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/keda/kustomization.yaml": (
            "secretGenerator:\n- name: token\n  namespace: keda\n  literals: [a=b]\n"
        ),
        "overlays/clusters/eks-prod/kustomization.yaml": "commonLabels:\n  tier: infra\n",
    })  # fmt: skip
    result = apply_overlays(tmp_path, CLUSTER, ENV, rendered())
    names = [m.body["metadata"]["name"] for m in result[1][1]]
    assert names == ["keda", "token-k695gkmbtk"]


CLUSTER_PATCHES = """\
patches:
- target: {kind: ConfigMap, name: settings}
  patch: |
    - op: replace
      path: /data/a
      value: patched
- target: {kind: ConfigMap}
  patch: |
    - op: add
      path: /metadata/labels
      value: {team: infra}
"""


def test_a_generated_object_patched_by_a_later_layer_is_hashed_on_its_patched_data(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/cert-manager/kustomization.yaml": (
            "configMapGenerator:\n- name: settings\n  namespace: cert-manager\n"
            "  literals: [a=b]\n"
        ),
        "overlays/clusters/eks-prod/kustomization.yaml": CLUSTER_PATCHES,
    })  # fmt: skip
    workload = deployment("cert-manager", "cert-manager")
    workload.body["spec"]["template"]["spec"]["volumes"] = [
        {"name": "s", "configMap": {"name": "settings"}}
    ]
    result = apply_overlays(tmp_path, CLUSTER, ENV, [(unit("cert-manager"), [workload])])
    (deployment_out, config_map) = result[0][1]
    # the same chain as plain kustomizations (the cluster layer lists the environment layer)
    write_tree(tmp_path / "chain", {
        "base/kustomization.yaml": "resources: [deployment.yaml]\n",
        "base/deployment.yaml": yaml.safe_dump(workload.body),
        "env/kustomization.yaml": (
            "resources: [../base]\nconfigMapGenerator:\n- name: settings\n"
            "  namespace: cert-manager\n  literals: [a=b]\n"
        ),
        "cluster/kustomization.yaml": "resources: [../env]\n" + CLUSTER_PATCHES,
    })  # fmt: skip
    expected = [r.body for r in kustomize(tmp_path / "chain/cluster", tmp_path)]
    assert config_map.body["metadata"]["name"] == "settings-c828695hdk"
    assert [config_map.body, deployment_out.body] == expected  # Kustomize's kind order
    assert deployment_out.body["spec"]["template"]["spec"]["volumes"][0]["configMap"] == {
        "name": "settings-c828695hdk"
    }
    if KUBECTL is not None:
        out = subprocess.run(
            [KUBECTL, "kustomize", str(tmp_path / "chain/cluster")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert [d for d in yaml.safe_load_all(out.stdout) if d] == expected


def test_an_object_rendered_by_two_units_names_both_units(tmp_path: Path) -> None:
    # Two operators rendering the same template: the source file alone cannot tell them apart.
    write_tree(tmp_path, {
        "overlays/environments/prod/kustomization.yaml": "commonAnnotations:\n  env: prod\n",
    })  # fmt: skip
    shared = deployment("web", "shared")
    with pytest.raises(GeneratorError) as caught:
        apply_overlays(tmp_path, CLUSTER, ENV, [(unit("a"), [shared]), (unit("b"), [shared])])
    assert str(caught.value) == (
        "charts/web/deployment.yaml:1: Deployment 'shared/web' of unit 'b' is already in the"
        " build (from unit 'a', charts/web/deployment.yaml:1)\n"
        "  hint: each object may come from one unit only; remove it from 'a' or 'b', or give the"
        " two different names or namespaces"
    )


def test_an_overlay_resource_that_repeats_a_rendered_object_names_its_unit(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {
        "overlays/clusters/eks-prod/keda/kustomization.yaml": "resources:\n- again.yaml\n",
        "overlays/clusters/eks-prod/keda/again.yaml": (
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: keda\n  namespace: keda\n"
        ),
    })  # fmt: skip
    with pytest.raises(GeneratorError) as caught:
        apply_overlays(tmp_path, CLUSTER, ENV, rendered())
    assert str(caught.value) == (
        "overlays/clusters/eks-prod/keda/again.yaml:1: Deployment 'keda/keda' is already in the"
        " build (from unit 'keda', charts/keda/deployment.yaml:1)\n"
        "  hint: each object may appear only once in a build; remove one of the two or give them"
        " different names or namespaces"
    )


def test_every_example_in_the_kustomize_help_builds_from_the_repository_root(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    help_text = run_cli(["kustomize", "--help"]).out
    assert "DIRECTORY holds a standalone kustomization" in help_text
    examples = [
        line.split()[2]
        for line in help_text.splitlines()
        if line.strip().startswith("generator kustomize ")
    ]
    assert len(examples) == 2
    monkeypatch.chdir(REPO)
    for directory in examples:
        result = run_cli(["kustomize", directory])
        assert (result.code, result.err) == (0, ""), directory
        assert result.out.startswith("apiVersion: ")


def test_a_target_counts_as_matched_when_any_cluster_it_applies_to_has_the_object(
    tmp_path: Path,
) -> None:
    write_tree(tmp_path, {
        "overlays/environments/prod/kustomization.yaml": (
            "patches:\n- target: {kind: Deployment, name: keda}\n  patch: |\n"
            "    - {op: replace, path: /spec/replicas, value: 2}\n"
            "- target: {kind: Deployment, name: cert-manger}\n  patch: |\n"
            "    - {op: replace, path: /spec/replicas, value: 3}\n"
        ),
    })  # fmt: skip
    report = TargetReport()
    apply_overlays(tmp_path, CLUSTER, ENV, rendered()[:1], report)  # no keda in this cluster
    apply_overlays(tmp_path, CLUSTER, ENV, rendered(), report)
    assert [str(e) for e in report.errors()] == [
        "overlays/environments/prod/kustomization.yaml:5:3: the patch target {kind: Deployment,"
        " name: cert-manger} selects no object of the units this overlay applies to\n"
        "  hint: did you mean name 'cert-manager'? If matching nothing is intended, add options:"
        " {allowNoMatch: true} to the patch"
    ]


def test_build_prints_a_units_final_objects_in_kustomize_order() -> None:
    result = run_cli(["build", "--repo", str(EXAMPLE), "eks-prod", "cert-manager"])
    assert result.code == 0, result.err
    printed = [d for d in yaml.safe_load_all(result.out) if d]
    folder = EXAMPLE / "rendered/eks-prod/010-cert-manager"
    written = [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]
    key = lambda d: (d["kind"], d["metadata"]["name"])  # noqa: E731
    assert sorted(printed, key=key) == sorted(written, key=key)
    kinds = [d["kind"] for d in printed]
    # Kustomize's legacy order; the PodDisruptionBudgets come from the prod overlay
    assert kinds.index("CustomResourceDefinition") < kinds.index("ServiceAccount")
    assert kinds.index("Deployment") < kinds.index("PodDisruptionBudget")
    webhook = next(d for d in printed if key(d) == ("Deployment", "cert-manager-webhook"))
    assert webhook["spec"]["replicas"] == 2


def test_build_names_the_closest_unit_of_the_cluster() -> None:
    result = run_cli(["build", "--repo", str(EXAMPLE), "eks-prod", "cert-mangr"])
    assert (result.code, result.out, result.err) == (
        2,
        "",
        "error: catalog/clusters/eks-prod.yaml:1:1: cluster 'eks-prod' runs no operator or"
        " tenant 'cert-mangr'\n  hint: did you mean 'cert-manager'?\n",
    )
