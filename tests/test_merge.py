"""Value hierarchy and interpolation."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator.catalog import PassedChecks, load_catalog
from generator.errors import GeneratorError
from generator.merge import deep_merge, interpolate, resolve_units
from generator.model import Origin
from tests.conftest import MINIMAL, write_tree

HERE = Origin(PurePosixPath("catalog/x.yaml"), 1, 1)


def test_maps_merge_key_by_key() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}}, {"a": {"c": 3, "d": 4}}) == {
        "a": {"b": 1, "c": 3, "d": 4}
    }


def test_lists_replace_instead_of_merging() -> None:
    assert deep_merge({"args": ["--a", "--b"]}, {"args": ["--c"]}) == {"args": ["--c"]}


def test_explicit_null_removes_a_key() -> None:
    assert deep_merge({"a": {"b": 1, "c": 2}, "d": 1}, {"a": {"b": None}, "d": None}) == {
        "a": {"c": 2}
    }


def test_null_inside_a_new_map_is_dropped() -> None:
    assert deep_merge({}, {"a": {"b": None, "c": 1}}) == {"a": {"c": 1}}


def test_whole_string_reference_keeps_its_type() -> None:
    values = {
        "replicas": 3,
        "copy": "${values.replicas}",
        "nested": {"x": [1]},
        "tree": "${values.nested}",
    }
    result = interpolate(values, {"values": values}, {}, HERE)
    assert result["copy"] == 3
    assert result["tree"] == {"x": [1]}


def test_references_inside_text_and_chains() -> None:
    values = {
        "host": "api.${values.zone}",
        "zone": "${environment.name}.example.com",
        "on": True,
        "t": "tls=${values.on}",
    }
    context = {"environment": {"name": "prod"}, "values": values}
    result = interpolate(values, context, {}, HERE)
    assert result["host"] == "api.prod.example.com"
    assert result["t"] == "tls=true"


def test_double_dollar_escapes_a_reference() -> None:
    values = {"template": "$${cluster.name} stays"}
    assert interpolate(values, {"values": values}, {}, HERE)["template"] == "${cluster.name} stays"


def test_values_without_references_come_back_equal_and_unshared() -> None:
    values: dict[Any, Any] = {"a": {"b": [1, 2.5, None, True, "x"]}, "c": "$ {not}", 7: "k"}
    result = interpolate(values, {"values": values}, {}, HERE)
    assert result == values
    result["a"]["b"].append("new")
    assert values["a"]["b"] == [1, 2.5, None, True, "x"]  # fresh containers, as the walk makes


def test_one_reference_deep_inside_still_resolves() -> None:
    values = {"plain": {"x": 1}, "deep": [{"y": ["${values.plain.x}"]}]}
    assert interpolate(values, {"values": values}, {}, HERE)["deep"] == [{"y": [1]}]


def test_structure_cannot_be_embedded_in_text() -> None:
    values = {"m": {"a": 1}, "t": "x-${values.m}"}
    with pytest.raises(GeneratorError) as e:
        interpolate(values, {"values": values}, {("t",): HERE}, HERE)
    assert str(e.value) == (
        "catalog/x.yaml:1:1: values.t: '${values.m}' is a mapping and cannot be embedded in text\n"
        "  hint: reference a scalar, or make the whole string the reference to copy the structure"
    )


def test_hierarchy_platform_operator_environment_cluster(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "catalog/platform.yaml": MINIMAL["catalog/platform.yaml"]
            + "  layers: {platform: p, environment: p, cluster: p, operator: p}\n  keep: [1, 2]\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  layers: {environment: e, cluster: e, operator: e}\n",
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "values:\n  layers: {cluster: c, operator: c}\n  keep: [3]\n",
            "catalog/operators/010-web.yaml": "namespace: web\nvalues:\n  layers: {operator: o, cluster: o, environment: o}\n  greeting: hi\n",
        },
    )
    (unit,) = resolve_units(load_catalog(repo))
    assert unit.values["layers"] == {
        "platform": "p",
        "environment": "e",
        "cluster": "c",
        "operator": "c",
    }
    assert unit.values["keep"] == [3]
    assert unit.values["dns"] == {"zone": "dev.demo.example"}
    assert unit.values["storageClasses"] == {
        "fast": "local-path",
        "standard": "local-path",
        "bulk": "local-path",
    }
    assert unit.values["secretPathPrefix"] == "dev"
    assert unit.sources == (
        PurePosixPath("catalog/platform.yaml"),
        PurePosixPath("catalog/environments/dev.yaml"),
        PurePosixPath("catalog/clusters/dev-1.yaml"),
        PurePosixPath("catalog/operators/010-web.yaml"),
    )


def test_enabled_on_and_cluster_selection(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "catalog/platform.yaml": MINIMAL["catalog/platform.yaml"].replace(
                "storageClasses:\n",
                "storageClasses:\n  aws: {fast: io2, standard: gp3, bulk: sc1}\n",
            ),
            "catalog/clusters/dev-2.yaml": MINIMAL["catalog/clusters/dev-1.yaml"].replace(
                "dev-1", "dev-2"
            )
            + "operators:\n  excludeLabels: {tier: extra}\n",
            "catalog/operators/020-aws-only.yaml": "namespace: a\nsource: web\nenabledOn: {providers: [aws]}\n",
            "catalog/operators/020-extra.yaml": "namespace: e\nsource: web\nlabels: {tier: extra}\n",
        },
    )
    units = resolve_units(load_catalog(repo))
    assert [(u.cluster.name, u.dirname) for u in units] == [
        ("dev-1", "010-web"),
        ("dev-1", "020-extra"),
        ("dev-2", "010-web"),
    ]


def test_catalog_is_yaml_1_2_so_on_and_yes_stay_strings(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "catalog/operators/010-web.yaml": "namespace: web\nvalues:\n  mode: on\n  ok: yes\n  octal: 0755\n  flag: true\n  day: 2024-01-01\n  base: &b {x: 1}\n  merged: {<<: *b, y: 2}\n  greeting: x\n",
        },
    )
    (unit,) = resolve_units(load_catalog(repo))
    values = unit.values
    assert (values["mode"], values["ok"], values["octal"], values["flag"], values["day"]) == (
        "on",
        "yes",
        755,
        True,
        "2024-01-01",
    )
    assert values["merged"] == {"x": 1, "y": 2}


def test_include_labels_alone_selects_only_the_labelled_operators(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "operators:\n  includeLabels: {tier: core}\n",
            "catalog/operators/020-core.yaml": "namespace: c\nsource: web\nlabels: {tier: core}\nvalues: {greeting: x}\n",
        },
    )
    assert [u.name for u in resolve_units(load_catalog(repo))] == ["core"]


def load_as_render_does(repo: Path) -> None:
    """A render with its caches on: the passed documents are kept once it succeeded."""
    passed = PassedChecks(repo)
    load_catalog(repo, passed)
    passed.keep()


def test_a_document_that_passed_its_schema_is_not_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only new or changed documents meet cerberus; a change that breaks one is still found,
    and a garbled record of passed documents only costs the checks again."""
    from generator.catalog import schema

    repo = write_tree(tmp_path, MINIMAL)
    checked: list[str] = []
    real = schema.check

    def counting(catalog_file: Any, kind: str, problems: list[GeneratorError]) -> bool:
        checked.append(str(catalog_file.path))
        return real(catalog_file, kind, problems)

    monkeypatch.setattr(schema, "check", counting)
    documents = sorted(p for p in MINIMAL if p.startswith("catalog/"))
    load_as_render_does(repo)
    assert sorted(checked) == documents
    checked.clear()
    load_as_render_does(repo)
    assert checked == []
    cluster = repo / "catalog/clusters/dev-1.yaml"
    cluster.write_text(cluster.read_text() + "regoin: eu\n")
    with pytest.raises(GeneratorError, match="regoin: unknown key"):
        load_as_render_does(repo)
    assert checked == ["catalog/clusters/dev-1.yaml"]
    memo = repo / ".generator-cache/catalog-checked.json"
    memo.write_text("{not json")
    cluster.write_text(cluster.read_text().replace("regoin: eu\n", ""))
    checked.clear()
    load_as_render_does(repo)
    assert sorted(checked) == documents
    checked.clear()
    kept = memo.read_bytes()
    load_catalog(repo)  # promotion, --no-cache: every document, nothing remembered
    assert sorted(checked) == documents
    assert memo.read_bytes() == kept
