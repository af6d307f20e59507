"""A Helm operator's chart values are its own values block (the operator file's `values:` and
the `operators.<name>.values` of its environment and cluster), never the whole hierarchy."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.catalog import load_catalog
from generator.promotion.versions import environment_pins
from tests.conftest import MINIMAL, run_cli, snapshot, write_tree

CHART = {
    "charts/strict/Chart.yaml": "apiVersion: v2\nname: strict\nversion: 1.0.0\n",
    "charts/strict/values.yaml": "replicas: 1\ngreeting: hello\n",
    # A vendored-style chart that refuses any top-level key it does not know.
    "charts/strict/values.schema.json": """\
{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "replicas": {"type": "integer", "minimum": 1},
    "greeting": {"type": "string"},
    "registry": {"type": "string"}
  }
}
""",
    "charts/strict/templates/cm.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: strict-settings
data:
  replicas: {{ .Values.replicas | quote }}
  greeting: {{ .Values.greeting | quote }}
  registry: {{ .Values.registry | default "unset" | quote }}
  image: {{ .Values.image | default "unset" | quote }}
""",
}


def repo_with(tmp_path: Path, operator: str, **extra: str) -> Path:
    return write_tree(
        tmp_path / "repo",
        {**MINIMAL, **CHART, "catalog/operators/020-strict.yaml": operator, **extra},
    )


def broken(tmp_path: Path, operator: str) -> tuple[Path, dict[str, bytes]]:
    """A rendered repository whose operator file then changes to `operator`."""
    repo = repo_with(tmp_path, "namespace: strict\nvalues:\n  greeting: hi\n")
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    (repo / "catalog/operators/020-strict.yaml").write_text(operator)
    return repo, snapshot(repo / "rendered")


def settings(repo: Path) -> dict[str, str]:
    path = repo / "rendered/dev-1/020-strict/configmap-strict-settings.yaml"
    data: dict[str, str] = yaml.safe_load(path.read_text())["data"]
    return data


def test_a_strict_root_schema_chart_renders_with_its_own_values(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        "namespace: strict\nvalues:\n  replicas: ${values.replicas}\n"
        "  greeting: hi from ${cluster.name}\n",
        **{
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  replicas: 2\n"
            "operators:\n  strict: {values: {registry: registry.dev.example}}\n"
        },
    )
    result = run_cli(["render", "--repo", str(repo)])
    assert (result.code, result.err) == (0, ""), result.err
    assert settings(repo) == {
        "replicas": "2",  # the environment's, because the operator file references it
        "greeting": "hi from dev-1",
        "registry": "registry.dev.example",  # the environment's entry for this operator
        "image": "unset",  # the platform's `image` is not the chart's business
    }


def test_an_environment_value_no_longer_reaches_a_chart(tmp_path: Path) -> None:
    # dev sets replicas: 2 and the platform sets image; the operator file names neither.
    repo = repo_with(tmp_path, "namespace: strict\nvalues:\n  greeting: hi\n")
    result = run_cli(["render", "--repo", str(repo)])
    assert (result.code, result.err) == (0, ""), result.err
    assert settings(repo) == {
        "replicas": "1",
        "greeting": "hi",
        "registry": "unset",
        "image": "unset",
    }


def test_an_environment_value_only_a_chart_would_read_is_reported_unused(
    tmp_path: Path,
) -> None:
    repo = repo_with(
        tmp_path,
        "namespace: strict\nvalues:\n  greeting: hi\n",
        **{
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  replicas: 2\n"
            "  registry: registry.dev.example\n"
            "operators:\n  strict: {values: {replicas: 3}}\n"
        },
    )
    result = run_cli(["lint", "--repo", str(repo)])
    assert result.code == 0, result.err
    assert result.err == (
        "warning: catalog/environments/dev.yaml:5:3: values.registry: nothing on the clusters "
        "of dev reads it\n"
        "  hint: check the key against what the templates read, move it under "
        "operators.<name>.values for one operator, or remove it\n"
    )


BAD_BLOCKS = {
    "a_key_the_strict_schema_does_not_know": (
        "namespace: strict\nvalues:\n  image: ${values.image}\n",
        "error: catalog/operators/020-strict.yaml:1:1: dev-1/strict: values do not satisfy the "
        "chart's values.schema.json: strict: - at '': additional properties 'image' not "
        "allowed\n"
        "  hint: fix the value in the operator's values or in operators.strict.values of an "
        "environment or cluster; the schema is charts/strict/values.schema.json\n",
    ),
    "a_reference_to_a_missing_platform_value": (
        "namespace: strict\nvalues:\n  greeting: hi\n  registry: ${values.registry}\n",
        "error: catalog/operators/020-strict.yaml:4:3: values.registry: reference "
        "'${values.registry}' does not resolve\n"
        "  hint: reference platform.*, environment.*, cluster.*, component.*, tenant.* or "
        "values.* keys that exist (write $${...} for a literal '${')\n",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_BLOCKS))
def test_a_bad_block_names_file_line_and_hint_and_writes_nothing(tmp_path: Path, case: str) -> None:
    operator, expected = BAD_BLOCKS[case]
    repo, before = broken(tmp_path, operator)
    result = run_cli(["render", "--repo", str(repo)])
    assert (result.code, result.err) == (2, expected)
    assert snapshot(repo / "rendered") == before


def test_versions_of_a_helm_operator_are_those_of_its_block(tmp_path: Path) -> None:
    repo = repo_with(
        tmp_path,
        "namespace: strict\nvalues:\n  greeting: hi\n  image: {tag: v2.0.0}\n",
        **{
            "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  replicas: 2\n"
            "  proxy: {version: v1.2.3}\n"
            "operators:\n  strict: {values: {image: {tag: v2.0.1}}}\n"
        },
    )
    catalog = load_catalog(repo)
    (operator,) = (o for o in catalog.operators if o.name == "strict")
    pins = environment_pins(catalog, catalog.environment("dev"), operator)
    assert {path: (pin.value, str(pin.origin)) for path, pin in pins.items()} == {
        ("image", "tag"): ("v2.0.1", "catalog/environments/dev.yaml:7:29"),
    }
