"""Jsonnet engine: arguments, imports, flattening, native functions and error reports."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import pickle
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.catalog import load_catalog
from generator.engines import jsonnet, jsonnet_natives
from generator.errors import GeneratorError
from generator.merge import resolve_units
from generator.model import Component, Origin, RenderUnit
from generator.yamlio import MAX_NESTING, nesting_depth
from tests.conftest import EXAMPLE, MINIMAL, run_cli, snapshot, write_tree

ENGINES = ("rjsonnet", "jsonnet")


@functools.cache
def example_unit(cluster: str = "eks-prod", name: str = "gateway") -> RenderUnit:
    units = resolve_units(load_catalog(EXAMPLE))
    return next(u for u in units if u.cluster.name == cluster and u.name == name)


def unit_for(folder: str, name: str = "demo") -> RenderUnit:
    """The example platform's eks-prod context, rendering the component in `folder`."""
    component = Component(name, "jsonnet", PurePosixPath(folder), Origin(PurePosixPath(folder)))
    return dataclasses.replace(example_unit(), name=name, component=component)


def render(
    repo: Path, files: dict[str, str], engine: str | None = None, folder: str = "charts/demo"
):
    write_tree(repo, files)
    return jsonnet.render(unit_for(folder), repo, engine=engine)


def failure(repo: Path, files: dict[str, str], engine: str | None = None) -> str:
    with pytest.raises(GeneratorError) as caught:
        render(repo, files, engine)
    return str(caught.value)


CM = "{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: '%s'}}"


# ---------------------------------------------------------------- results


@pytest.mark.parametrize("engine", ENGINES)
def test_objects_arrays_and_lists_flatten_to_resources(tmp_path: Path, engine: str) -> None:
    main = f"""{{
      a: {CM % "a"},
      nested: {{ b: [{CM % "b"}, [{CM % "c"}]], off: null, empty: {{}} }},
      list: {{ apiVersion: 'v1', kind: 'List', items: [{CM % "d"}, {CM % "e"}] }},
    }}"""
    manifests = render(tmp_path, {"charts/demo/main.jsonnet": main}, engine)
    assert [m.name for m in manifests] == ["a", "d", "e", "b", "c"]
    assert {m.origin for m in manifests} == {Origin(PurePosixPath("charts/demo/main.jsonnet"))}


def test_a_string_inside_the_result_names_component_and_path(tmp_path: Path) -> None:
    main = f"{{ app: {{ config: {CM % 'ok'}, oops: [{CM % 'x'}, 'just text'] }} }}"
    assert failure(tmp_path, {"charts/demo/main.jsonnet": main}) == (
        "charts/demo/main.jsonnet: eks-prod/demo: result.app.oops[1] is a "
        'string ("just text"), not a Kubernetes object\n'
        "  hint: return an object, an array or a List whose leaves are Kubernetes objects "
        "(apiVersion, kind, metadata.name); use null or {} to leave something out"
    )


def test_an_object_without_metadata_name_is_an_error(tmp_path: Path) -> None:
    main = "[{apiVersion: 'v1', kind: 'ConfigMap', metadata: {labels: {}}}]"
    message = failure(tmp_path, {"charts/demo/main.jsonnet": main})
    assert message.splitlines()[0] == (
        "charts/demo/main.jsonnet: eks-prod/demo: result[0] has no metadata.name"
    )


def test_an_object_without_kind_is_an_error(tmp_path: Path) -> None:
    main = "{'odd key': {apiVersion: 'v1', metadata: {name: 'x'}}}"
    message = failure(tmp_path, {"charts/demo/main.jsonnet": main})
    assert message.splitlines()[0].endswith("""eks-prod/demo: result["odd key"] has no kind""")


@pytest.mark.parametrize("levels", [0, 1, 2, MAX_NESTING - 1, MAX_NESTING, MAX_NESTING + 1, 400])
def test_the_output_depth_is_measured_as_for_every_input(levels: int) -> None:
    value: Any = "leaf"
    for level in range(levels):
        value = [1, value, "x"] if level % 2 else {"a": None, "b": value}
    assert jsonnet._json_depth(value) == nesting_depth(value)
    origin = Origin(PurePosixPath("charts/demo/main.jsonnet"))
    if levels <= MAX_NESTING:
        assert jsonnet.parse_output(json.dumps(value), origin) == value
    else:
        with pytest.raises(GeneratorError, match="nested more than"):
            jsonnet.parse_output(json.dumps(value), origin)


OBJ = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}


@pytest.mark.parametrize(
    ("result", "message"),
    [
        (
            [{"apiVersion": "v1", "kind": "List", "items": [OBJ, 5]}],
            "result[0].items[1] is a number (5), not a Kubernetes object",
        ),
        (
            {"a b": {"c": [None, OBJ, [True]]}},
            'result["a b"].c[2][0] is a boolean (true), not a Kubernetes object',
        ),
        (
            {"x": {"kind": "FooList", "items": [OBJ, {"apiVersion": "v1", "kind": "K"}]}},
            "result.x.items[1] has no metadata.name",
        ),
        ({"x": [OBJ, {"metadata": {"name": "n"}, "kind": "K"}]}, "result.x[1] has no apiVersion"),
        (3.5, "result is a number (3.5), not a Kubernetes object"),
    ],
)
def test_a_bad_leaf_is_named_by_its_path_in_the_result(result: Any, message: str) -> None:
    origin = Origin(PurePosixPath("charts/demo/main.jsonnet"))
    with pytest.raises(GeneratorError) as caught:
        jsonnet.flatten(result, "result", origin, "eks-prod/demo: ")
    assert caught.value.message == f"eks-prod/demo: {message}"


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize("engine", ENGINES)
def test_declared_top_level_arguments_and_ext_vars_carry_the_context(
    tmp_path: Path, engine: str
) -> None:
    main = """
    // a comment with function(x) in it
    local k = import 'k8s.libsonnet';
    local helper = function(a) a;
    function(cluster, values={}) k.configMap('ctx', {
      cluster: cluster.name,
      zone: values.dns.zone,
      env: std.extVar('environment').name,
      platform: std.extVar('platform').name,
      component: std.extVar('component').name,
      tenant: std.toString(std.extVar('tenant')),
    })"""
    (manifest,) = render(tmp_path, {"charts/demo/main.jsonnet": main}, engine)
    assert manifest.body["data"] == {
        "cluster": "eks-prod",
        "zone": "prod.acme.example",
        "env": "prod",
        "platform": "acme-platform",
        "component": "gateway",
        "tenant": "null",
    }


def test_an_operator_declaring_tenant_receives_null(tmp_path: Path) -> None:
    main = "function(tenant) {apiVersion: 'v1', kind: 'Namespace', metadata: {name: '' + tenant}}"
    (manifest,) = render(tmp_path, {"charts/demo/main.jsonnet": main})
    assert manifest.name == "null"


def test_a_main_file_that_is_no_function_still_sees_ext_vars(tmp_path: Path) -> None:
    main = "{apiVersion: 'v1', kind: 'Namespace', metadata: {name: std.extVar('cluster').name}}"
    (manifest,) = render(tmp_path, {"charts/demo/main.jsonnet": main})
    assert manifest.name == "eks-prod"


def test_an_unknown_top_level_parameter_is_refused(tmp_path: Path) -> None:
    main = "local x = 1;\nfunction(cluster, settings) {}"
    assert failure(tmp_path, {"charts/demo/main.jsonnet": main}) == (
        "charts/demo/main.jsonnet:2:19: eks-prod/demo: top-level parameter "
        "'settings' is not provided by the generator\n"
        "  hint: declare only these parameters: "
        "platform, environment, cluster, component, values, tenant"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("function(a, b=[1, 2], c={d: 3}) {}", ("a", "b", "c")),
        ("local f = function(x) x; local g = local h = 1; h; function(values) {}", ("values",)),
        ("assert true; function(tenant) {}", ("tenant",)),
        ("/* function(x) */ # function(y)\nfunction() {}", ()),
        ("local s = 'function(x)'; {}", None),
        ("import 'other.jsonnet'", None),
    ],
)
def test_top_level_parameters_are_read_from_the_source(
    source: str, expected: tuple[str, ...] | None
) -> None:
    assert jsonnet.top_level_parameters(source) == expected


# ---------------------------------------------------------------- imports


@pytest.mark.parametrize("engine", ENGINES)
def test_imports_search_component_then_charts_lib_then_shipped(tmp_path: Path, engine: str) -> None:
    files = {
        "charts/demo/main.jsonnet": """
          local local_ = import 'here.libsonnet';
          local user = import 'team.libsonnet';
          local k = import 'k8s.libsonnet';
          local shadow = import 'shadowed.libsonnet';
          k.configMap('found', {a: local_.v, b: user.v, c: shadow.v})""",
        "charts/demo/here.libsonnet": "{v: 'component'}",
        "charts/demo/shadowed.libsonnet": "{v: 'component wins'}",
        "charts/lib/team.libsonnet": "{v: (import 'sub/deeper.libsonnet').v}",
        "charts/lib/sub/deeper.libsonnet": "{v: 'charts/lib'}",
        "charts/lib/shadowed.libsonnet": "{v: 'lib'}",
    }
    (manifest,) = render(tmp_path, files, engine)
    assert manifest.body["data"] == {"a": "component", "b": "charts/lib", "c": "component wins"}


@pytest.mark.parametrize("engine", ENGINES)
def test_an_import_leaving_the_repository_is_refused(tmp_path: Path, engine: str) -> None:
    (tmp_path / "secret.libsonnet").write_text("{password: 'x'}")
    files = {"charts/demo/main.jsonnet": "local s = import '../../../secret.libsonnet';\ns"}
    assert failure(tmp_path / "repo", files, engine) == (
        "charts/demo/main.jsonnet:1:18: eks-prod/demo: import "
        "'../../../secret.libsonnet' leaves the repository\n"
        "  hint: keep Jsonnet files inside the repository; put shared libraries in charts/lib/ "
        "and import them by name"
    )


def test_a_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.libsonnet").write_text("{}")
    repo = tmp_path / "repo"
    (repo / "charts/lib").mkdir(parents=True)
    os.symlink(tmp_path / "outside.libsonnet", repo / "charts/lib/link.libsonnet")
    message = failure(repo, {"charts/demo/main.jsonnet": "import 'link.libsonnet'"})
    assert "eks-prod/demo: import 'link.libsonnet' leaves the repository" in message
    assert message.startswith("charts/demo/main.jsonnet:1:8: ")


def test_an_absolute_import_is_refused(tmp_path: Path) -> None:
    message = failure(tmp_path, {"charts/demo/main.jsonnet": "import '/etc/hosts'"})
    assert message.splitlines()[0] == (
        "charts/demo/main.jsonnet:1:8: eks-prod/demo: import '/etc/hosts' is an absolute path"
    )


def test_a_missing_import_lists_where_it_looked(tmp_path: Path) -> None:
    files = {
        "charts/demo/main.jsonnet": "import 'parts.libsonnet'",
        "charts/demo/parts.libsonnet": "{\n  x: import 'nowhere.libsonnet',\n}",
    }
    assert failure(tmp_path, files) == (
        "charts/demo/parts.libsonnet:2:13: eks-prod/demo: import "
        "'nowhere.libsonnet' not found\n"
        "  hint: looked in 'charts/demo/', 'charts/lib/' and the shipped libraries "
        "(generator/jsonnet/); check the file name"
    )


def test_imports_resolve_below_a_real_folder_as_realpath_does(tmp_path: Path) -> None:
    """The importer resolves only the imported name's components below a folder it knows to be
    real; the answer must be realpath()'s for every kind of path and link."""
    root = tmp_path.resolve()
    (root / "a/b").mkdir(parents=True)
    (root / "a/b/f.libsonnet").write_text("{}")
    (root / "real").mkdir()
    os.symlink(root / "real", root / "a/dirlink")  # absolute target
    os.symlink("b/f.libsonnet", root / "a/filelink")  # relative target
    os.symlink("../../outside", root / "a/b/up")  # leads out, dangling
    os.symlink("loop", root / "a/loop")
    names = [
        "b/f.libsonnet", "./b//f.libsonnet", "b/../b/f.libsonnet", "../a/b/f.libsonnet",
        "../../../../x", "dirlink/x", "dirlink/../b", "filelink", "b/up/x", "b/up/../f",
        "loop", "missing/../b", "missing/x/..", "b/f.libsonnet/..", ".", "..", "b/",
    ]  # fmt: skip
    for name in names:
        assert jsonnet._realpath_below(str(root / "a"), name) == os.path.realpath(
            f"{root}/a/{name}"
        ), name


def test_the_worker_gets_plain_text_and_answers_with_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests and answers cross a pipe for every unit: no model objects (dataclasses, slow to
    pickle) travel, only strings, dicts, tuples and sets of them."""
    crossed: list[Any] = []

    def in_process(function: Any, args: tuple[Any, ...], *_: Any) -> Any:
        crossed.append(args)
        answer = function(*args)
        crossed.append(answer)
        return answer

    monkeypatch.setattr(jsonnet, "run_bounded", in_process)
    files = {
        "charts/demo/main.jsonnet": "local l = import 'l.libsonnet'; function(values) [l.x]",
        "charts/lib/l.libsonnet": "{ x:: %s, y:: std.extVar('values').dns.zone }" % (CM % "x"),
    }
    (manifest,) = render(tmp_path, files)
    assert manifest.name == "x"
    assert b"generator.model" not in pickle.dumps(crossed)


# ---------------------------------------------------------------- errors


@pytest.mark.parametrize("engine", ENGINES)
def test_an_error_call_reports_position_and_stack(tmp_path: Path, engine: str) -> None:
    files = {
        "charts/demo/main.jsonnet": (
            "local lib = import 'lib.libsonnet';\nfunction(values) {\n  x: lib.check(values),\n}"
        ),
        "charts/demo/lib.libsonnet": (
            "{\n  check(v):: if v.replicas > 2 then error 'too many replicas' else {},\n}"
        ),
    }
    lines = failure(tmp_path, files, engine).splitlines()
    assert lines[0] == (
        "charts/demo/lib.libsonnet:2:37: eks-prod/demo: runtime error: too many replicas"
    )
    assert lines[1] == f"  stack ({engine}):"
    assert lines[2].startswith("    charts/demo/lib.libsonnet:2:37-")
    assert any(line.startswith("    charts/demo/main.jsonnet:3:6-") for line in lines)
    assert (
        lines[-1]
        == "  hint: fix the Jsonnet at the first position of the stack, or the values it reads"
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_syntax_error_reports_its_position(tmp_path: Path, engine: str) -> None:
    message = failure(tmp_path, {"charts/demo/main.jsonnet": "{\n  a: 1,,\n}"}, engine)
    first, *_, hint = message.splitlines()
    assert first.startswith("charts/demo/main.jsonnet:2:8: eks-prod/demo: syntax error: ")
    assert hint == "  hint: fix the Jsonnet syntax at that position"


@pytest.mark.parametrize("engine", ENGINES)
def test_an_assertion_failure_reports_its_message(tmp_path: Path, engine: str) -> None:
    main = (
        "function(values)\n  assert values.replicas < 2 : 'at most one replica in this test';\n  {}"
    )
    first = failure(tmp_path, {"charts/demo/main.jsonnet": main}, engine).splitlines()[0]
    assert first.startswith("charts/demo/main.jsonnet:2:")
    assert first.endswith(
        "eks-prod/demo: "
        + ("assert failed" if engine == "rjsonnet" else "runtime error")
        + ": at most one replica in this test"
    )


def test_deep_recursion_keeps_the_stack_short(tmp_path: Path) -> None:
    main = "local f(n) = if n == 0 then 0 else 1 + f(n - 1);\n{x: f(100000)}"
    lines = failure(tmp_path, {"charts/demo/main.jsonnet": main}).splitlines()
    assert len(lines) < 20
    assert any(line.strip().endswith("more frame(s)") for line in lines)


def test_a_failed_render_names_cluster_and_component_and_writes_nothing(tmp_path: Path) -> None:
    files = dict(MINIMAL)
    repo = write_tree(tmp_path / "repo", files)
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    before = snapshot(repo / "rendered")
    write_tree(
        repo,
        {
            "catalog/operators/020-broken.yaml": "namespace: broken\n",
            "charts/broken/main.jsonnet": (
                "function(values) {\n  x: error 'values.image is required',\n}\n"
            ),
        },
    )
    result = run_cli(["render", "--repo", str(repo)])
    assert result.code == 2
    assert (
        "charts/broken/main.jsonnet:2:6: dev-1/broken: runtime error: values.image is required"
    ) in result.err
    assert snapshot(repo / "rendered") == before


# ---------------------------------------------------------------- engine choice


def test_a_component_engine_file_selects_the_cpp_engine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"charts/demo/main.jsonnet": CM % "x", "charts/demo/.engine": "jsonnet\n"})
    chosen: list[str] = []
    real = jsonnet.evaluate
    monkeypatch.setattr(jsonnet, "run_bounded", lambda render, args, *_: render(*args))

    def evaluate(engine: str, *args: Any) -> Any:
        chosen.append(engine)
        return real(engine, *args)

    monkeypatch.setattr(jsonnet, "evaluate", evaluate)
    jsonnet.render(unit_for("charts/demo"), tmp_path)
    assert chosen == ["jsonnet"]


def test_the_platform_setting_selects_the_engine(tmp_path: Path) -> None:
    unit = unit_for("charts/demo")
    platform = {**unit.context["platform"], "jsonnet": {"engine": "jsonnet"}}
    unit = dataclasses.replace(unit, context={**unit.context, "platform": platform})
    assert jsonnet.choose_engine(unit, tmp_path, tmp_path / "charts/demo") == "jsonnet"
    assert (
        jsonnet.choose_engine(unit_for("charts/demo"), tmp_path, tmp_path / "charts/demo")
        == "rjsonnet"
    )


def test_an_unknown_engine_in_the_engine_file_is_refused(tmp_path: Path) -> None:
    files = {"charts/demo/main.jsonnet": CM % "x", "charts/demo/.engine": "go-jsonnet\n"}
    assert failure(tmp_path, files) == (
        "charts/demo/.engine:1:1: unknown Jsonnet engine 'go-jsonnet'\n"
        "  hint: write one of: rjsonnet, jsonnet (or delete the file to use the platform's)"
    )


# ---------------------------------------------------------------- native functions


@pytest.mark.parametrize("engine", ENGINES)
def test_native_functions_agree_across_engines(tmp_path: Path, engine: str) -> None:
    main = """
    local k = import 'k8s.libsonnet';
    k.configMap('native', {
      yaml: k.parseYaml('a: 1\\nwhen: 2024-01-01\\nlist: [x, "y"]\\n'),
      docs: k.parseYaml('a: 1\\n---\\nb: 2\\n'),
      sha: k.sha256('abc'),
      hash: k.checksum({b: [1, 0.1, 'x'], a: {c: true}}),
      hashSame: k.checksum({a: {c: true}, b: [1.0, 0.1, 'x']}),
      strings: k.checksum({one: 'a', two: 'b'}),
      cmp: [k.semverCompare('1.31.0', '1.9.9'), k.semverCompare('v1.2', '1.2.0'),
            k.semverCompare('1.2.0-rc.1', '1.2.0'),
            k.semverCompare('1.2.0-alpha.10', '1.2.0-alpha.9')],
      atLeast: k.versionAtLeast('1.31.0+eks', '1.29'),
    })"""
    (manifest,) = render(tmp_path, {"charts/demo/main.jsonnet": main}, engine)
    data = manifest.body["data"]
    assert data["yaml"] == '{"a":1,"list":["x","y"],"when":"2024-01-01"}'
    assert data["docs"] == '[{"a":1},{"b":2}]'
    assert data["sha"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert (
        data["hash"]
        == data["hashSame"]
        == jsonnet_natives.stable_hash({"a": {"c": True}, "b": [1, 0.1, "x"]})
    )
    assert data["strings"] == jsonnet_natives.sha256("one\x1fa\ntwo\x1fb")
    assert data["cmp"] == "[1,0,-1,1]"
    assert data["atLeast"] == "true"


def test_semver_compare_rejects_what_is_no_version(tmp_path: Path) -> None:
    main = "std.native('semverCompare')('1.31', 'latest')"
    message = failure(tmp_path, {"charts/demo/main.jsonnet": main})
    assert "semverCompare: 'latest' is not a semantic version like 1.31.0" in message
    assert (
        message.splitlines()[-1]
        == "  hint: check the argument passed to the native function at that position"
    )


def test_parse_yaml_reports_bad_yaml(tmp_path: Path) -> None:
    main = "std.native('parseYaml')('a: [1, 2')"
    message = failure(tmp_path, {"charts/demo/main.jsonnet": main})
    assert message.startswith("charts/demo/main.jsonnet:1:1: eks-prod/demo: ")
    assert "parseYaml: while parsing a flow sequence" in message


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1.31.0", "1.31.0", 0),
        ("v1.31", "1.31.0", 0),
        ("1.31.0+eks.1", "1.31.0", 0),
        ("1.10.0", "1.9.0", 1),
        ("1.0.0-alpha", "1.0.0-alpha.1", -1),
        ("1.0.0-alpha.beta", "1.0.0-beta", -1),
        ("1.0.0-beta.11", "1.0.0-rc.1", -1),
        ("1.0.0-rc.1", "1.0.0", -1),
        ("2", "1.99.99", 1),
    ],
)
def test_semver_compare_follows_semver_precedence(a: str, b: str, expected: int) -> None:
    assert jsonnet_natives.semver_compare(a, b) == expected
    assert jsonnet_natives.semver_compare(b, a) == -expected
