"""Nesting depth is a defined input limit: every parser path (libyaml, yaml-rs, JSON, Jsonnet
output, the catalog loader, `generator validate`) refuses more than MAX_NESTING levels with the
same message, exit 2, and nothing written; a RecursionError is a bug (exit 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.yamlio import MAX_NESTING
from tests.conftest import run_cli, snapshot, write_tree

HINT = (
    "  hint: Kubernetes objects nest about 30 levels at most: look for a template or Jsonnet "
    "function that recurses without end, or for unbalanced brackets\n"
)
HEAD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\n"


def flow(levels: int) -> str:
    return "[" * levels + "]" * levels


def block(levels: int) -> str:
    return "".join(f"{'  ' * i}k:\n" for i in range(levels)) + f"{'  ' * levels}k: 1\n"


CASES = {
    # yaml-rs takes the stream (no YAML 1.1 word in it) and parses 256 flow levels itself
    "yaml_rs_flow": ("charts/web/deep.yaml", f"{HEAD}x: {flow(150)}\n", "5:103"),
    # a YAML 1.1 word ('on') sends the stream to libyaml
    "libyaml_flow": ("charts/web/deep.yaml", f"{HEAD}y: on\nx: {flow(150)}\n", "6:103"),
    # past yaml-rs' and libyaml's own limits: still our limit and our message
    "beyond_every_parser": ("charts/web/deep.yaml", f"{HEAD}x: {flow(3000)}\n", "5:103"),
    # block mappings, each indented under the one before (`k:` at column 1 is level 1)
    "block_style": ("charts/web/deep.yaml", f"{HEAD}x:\n{block(120)}", "106:201"),
    "catalog_values": (
        "catalog/operators/010-web.yaml",
        f"namespace: web\nvalues:\n  greeting: hi\n  deep: {flow(200)}\n",
        "4:107",
    ),
    "jsonnet_output": (
        "charts/web/main.jsonnet",
        "local nest(n) = if n == 0 then 1 else [nest(n - 1)];\n"
        "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' }, x: nest(150) }\n",
        "",
    ),
    "helm_values_schema": ("charts/web/values.schema.json", flow(150), "1:101"),
    "jsonnet_output_past_json_recursion": (
        "charts/web/main.jsonnet",
        "local nest(n) = if n == 0 then 1 else [nest(n - 1)];\n"
        "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'deep' }, x: nest(490) }\n",
        "",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_deep_nesting_is_one_defined_limit_with_one_message(minimal_repo: Path, case: str) -> None:
    path, text, where = CASES[case]
    files = {path: text}
    if path.endswith((".jsonnet", ".json")):  # the component becomes a Jsonnet or Helm one
        for name in ("deployment.yaml.j2", "configmap.yaml"):
            (minimal_repo / "charts/web" / name).unlink()
    if path.endswith(".json"):
        files["charts/web/Chart.yaml"] = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    result = run_cli(["render", "--repo", str(minimal_repo)])
    position = f"{path}:{where}" if where else path
    assert (result.code, result.err) == (
        2,
        f"error: {position}: nested more than {MAX_NESTING} levels deep\n{HINT}",
    )
    assert snapshot(minimal_repo / "rendered") == before


def test_nesting_up_to_the_limit_renders(minimal_repo: Path) -> None:
    # the document mapping is level 1, so MAX_NESTING - 1 lists under `x` reach the limit
    write_tree(minimal_repo, {"charts/web/deep.yaml": f"{HEAD}x: {flow(MAX_NESTING - 1)}\n"})
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 0, result.err


@pytest.mark.parametrize("levels", [150, 3000])
def test_validate_reports_the_same_limit(tmp_path: Path, levels: int) -> None:
    write_tree(tmp_path, {"deep.yaml": f"{HEAD}x: {flow(levels)}\n"})
    result = run_cli(["validate", "--no-verdict-cache", str(tmp_path / "deep.yaml")])
    assert result.code == 1
    assert result.out == (
        f"{tmp_path / 'deep.yaml'} - failed validation: error unmarshalling "
        f"resource: error converting YAML to JSON: nested more than {MAX_NESTING} levels deep\n"
    )


def test_a_recursion_error_is_our_bug_exit_3(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import pipeline

    def recurse(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(pipeline, "render_all", recurse)
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 3
    assert result.err.startswith("internal error (a bug in the generator; please report it):")
    assert "RecursionError: maximum recursion depth exceeded" in result.err
