"""Values set in an environment or cluster that no template reads are lint warnings, for every
engine; what each engine reports it read."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.engines import render_unit
from generator.engines.value_reads import helm_reads, jsonnet_reads
from generator.merge import resolve_units
from tests.conftest import EXAMPLE, MINIMAL, run_cli, write_tree

# One operator per engine; each reads `<name>.version` and nothing else of its own.
ENGINES = {
    "catalog/operators/020-plain.yaml": "namespace: plain\n",
    "charts/plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n",
    "catalog/operators/030-js.yaml": "namespace: js\n",
    "charts/js/main.jsonnet": """\
function(values)
  local j = values.js;
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'js' }, data: { v: j.version } }
""",
    "catalog/operators/040-hc.yaml": "namespace: hc\n",
    "charts/hc/Chart.yaml": "apiVersion: v2\nname: hc\nversion: 0.1.0\n",
    "charts/hc/templates/cm.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata: {name: hc}
data: {v: {{ .Values.hc.version | quote }}}
""",
}
DEV = """\
name: dev
order: 10
values:
  replicas: 2
  grafana: {version: 11.3.0}
operators:
  web: {values: {image: nginx:1.27.4, imgae: nginx:1.27.4}}
  plain: {values: {version: 1.0.0}}
  js: {values: {js: {version: 2.0.0, verison: 2.0.0}}}
  hc: {values: {hc: {version: 3.0.0, tag: 3.0.0}}}
"""


def test_lint_warns_for_each_value_no_template_reads(tmp_path: Path) -> None:
    repo = write_tree(tmp_path, {**MINIMAL, **ENGINES, "catalog/environments/dev.yaml": DEV})
    result = run_cli(["lint", "--repo", str(repo)])
    hint = "  hint: check the key against what charts of '{}' read, or remove it\n"
    assert result.code == 0
    assert result.err == (
        "warning: catalog/environments/dev.yaml:5:13: values.grafana.version: nothing on the "
        "clusters of dev reads it\n"
        "  hint: check the key against what the templates read, move it under "
        "operators.<name>.values for one operator, or remove it\n"
        "warning: catalog/environments/dev.yaml:7:39: operators.web.values.imgae: no template of "
        "'web' reads values.imgae\n" + hint.format("web") + "warning: catalog/environments/"
        "dev.yaml:8:20: operators.plain.values.version: no template of 'plain' reads "
        "values.version\n" + hint.format("plain") + "warning: catalog/environments/dev.yaml:9:38: "
        "operators.js.values.js.verison: no template of 'js' reads values.js.verison\n"
        + hint.format("js")
        + "warning: catalog/environments/dev.yaml:10:38: operators.hc.values.hc.tag: no template "
        "of 'hc' reads values.hc.tag\n" + hint.format("hc")
    )
    assert result.out == "catalog is valid: 1 clusters, 4 operators, 0 tenants, 4 units\n"


def test_lint_reads_what_engines_read_from_the_cache_without_their_objects(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second lint answers from the unit cache: the same warnings, no engine run and no
    cached object loaded (each entry keeps what its engine read apart from the objects)."""
    from generator import engines, unit_cache

    repo = write_tree(tmp_path, {**MINIMAL, **ENGINES, "catalog/environments/dev.yaml": DEV})
    first = run_cli(["lint", "--repo", str(repo)])

    def refused(*args: object) -> None:
        raise AssertionError("not from the cache")

    monkeypatch.setattr(unit_cache._Reader, "__call__", refused)
    monkeypatch.setattr(engines, "render_unit", refused)
    second = run_cli(["lint", "--repo", str(repo)])
    assert (second.code, second.out, second.err) == (first.code, first.out, first.err)
    assert "values.imgae" in second.err


def test_a_value_reached_through_a_reference_is_read(tmp_path: Path) -> None:
    dev = "name: dev\norder: 10\nvalues:\n  base: 5\n  replicas: ${values.base}\n"
    repo = write_tree(tmp_path, {**MINIMAL, "catalog/environments/dev.yaml": dev})
    result = run_cli(["lint", "--repo", str(repo)])
    assert (result.code, result.err, result.out) == (
        0,
        "",
        "catalog is valid: 1 clusters, 1 operators, 0 tenants, 1 units\n",
    )


def test_an_entry_for_an_operator_that_does_not_run_there(tmp_path: Path) -> None:
    files = {
        **MINIMAL,
        "catalog/operators/010-web.yaml": "namespace: web\nenabledOn: {clusters: [nowhere]}\n"
        "values: {greeting: hi}\n",
        "catalog/clusters/nowhere.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
        .replace("dev-1", "nowhere")
        .replace("environment: dev", "environment: prod"),
        "catalog/environments/prod.yaml": "name: prod\norder: 30\n",
        "catalog/environments/dev.yaml": "name: dev\norder: 10\n"
        "operators:\n  web: {values: {replicas: 3}}\n",
    }
    result = run_cli(["lint", "--repo", str(write_tree(tmp_path, files))])
    assert result.err.startswith(
        "warning: catalog/environments/dev.yaml:4:3: operators.web: 'web' runs on none of the "
        "clusters of dev, so nothing reads its values\n"
        "  hint: remove the entry, or enable the operator there\n"
    )


def test_jinja_reports_the_paths_its_templates_read() -> None:
    units = resolve_units(load_catalog(EXAMPLE), ["eks-prod"])
    unit = next(u for u in units if u.name == "cert-manager")
    assert render_unit(unit, EXAMPLE).reads.values == {
        ("values", "controller", "replicas"),
        ("values", "controller", "resources"),
        ("values", "logLevel"),
        ("values", "registry"),
        ("values", "version"),
        ("values", "webhook", "resources"),
    }


@pytest.mark.parametrize(
    ("source", "main", "expected"),
    [
        ("function(values) values.a.b", True, {("a", "b")}),
        ("function(values) values['a'].b + values[k]", True, {("a", "b"), ()}),
        (
            "function(values) local g = values.g; g.version + g['x']",
            True,
            {("g", "version"), ("g", "x")},
        ),
        ("function(values) lib.new(values)", True, {()}),
        ("function(values) { values: 1, x: values.x }", True, {("x",)}),
        ("function(values) std.objectHas(values, 'store')", True, {("store",)}),
        ("local v = std.extVar('values'); v.prefix", False, {("prefix",)}),
        ("function(values) values.a", False, set()),  # a library's own parameter
        ("// values.commented\nfunction(values) 'values.quoted'", True, set()),
    ],
)
def test_jsonnet_scan(source: str, main: bool, expected: set[tuple[str, ...]]) -> None:
    assert jsonnet_reads(source, main) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ .Values.image.tag }}", {("image", "tag")}),
        ("{{ $.Values.a }} {{ toYaml .Values.b | nindent 2 }}", {("a",), ("b",)}),
        ('{{ index .Values "a-b" "c" }}', {("a-b", "c")}),
        ('{{ if hasKey .Values "aws" }}{{ end }}', {("aws",)}),
        ("{{ toYaml .Values }}", {()}),
        ("text .Values.outside.actions", set()),
    ],
)
def test_helm_scan(source: str, expected: set[tuple[str, ...]]) -> None:
    assert helm_reads(source) == expected


def test_the_example_platform_has_no_unused_values() -> None:
    result = run_cli(["lint", "--repo", str(EXAMPLE)])
    assert (result.code, result.err, result.out) == (
        0,
        "",
        "catalog is valid: 4 clusters, 10 operators, 3 tenants, 40 units\n",
    )
