"""Value layers: operator defaults, then environment and cluster, each with per-operator and
per-tenant entries; unknown names are bad input."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from generator.catalog import load_catalog
from generator.merge import resolve_units, value_layers
from tests.conftest import MINIMAL, run_cli, snapshot, write_tree

# The six places a value can be written, in the order they apply (later wins).
LAYERS = (
    "platform",
    "operator",
    "environment",
    "environment operators.web",
    "cluster",
    "cluster operators.web",
)


def _files(setters: tuple[int, ...]) -> dict[str, str]:
    def value(layer: int) -> str:
        return f"x: {LAYERS[layer].replace(' ', '/')}" if layer in setters else "other: 1"

    return {
        **MINIMAL,
        "catalog/platform.yaml": MINIMAL["catalog/platform.yaml"] + f"  {value(0)}\n",
        "catalog/operators/010-web.yaml": f"namespace: web\nvalues:\n  {value(1)}\n",
        "catalog/environments/dev.yaml": (
            f"name: dev\norder: 10\nvalues:\n  {value(2)}\n"
            f"operators:\n  web:\n    values:\n      {value(3)}\n"
        ),
        "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
        + f"values:\n  {value(4)}\noperators:\n  exclude: []\n  web:\n    values:\n      {value(5)}\n",
    }


@pytest.mark.parametrize(
    "setters",
    [(i,) for i in range(len(LAYERS))] + list(itertools.combinations(range(len(LAYERS)), 2)),
    ids=lambda s: "+".join(LAYERS[i].replace(" ", "-") for i in s),
)
def test_the_later_layer_wins(tmp_path: Path, setters: tuple[int, ...]) -> None:
    repo = write_tree(tmp_path, _files(setters))
    (unit,) = resolve_units(load_catalog(repo))
    assert unit.values["x"] == LAYERS[max(setters)].replace(" ", "/")


def test_layers_are_named_for_explain(tmp_path: Path) -> None:
    catalog = load_catalog(write_tree(tmp_path, _files((5,))))
    cluster = catalog.clusters[0]
    layers = value_layers(catalog, cluster, catalog.operators[0])
    assert [layer.name for layer in layers] == list(LAYERS)
    assert str(layers[5].origins[("x",)]) == "catalog/clusters/dev-1.yaml:13:7"


def test_environment_and_cluster_raise_one_tenants_quota(tmp_path: Path) -> None:
    repo = write_tree(
        tmp_path,
        {
            **MINIMAL,
            "catalog/tenants/pay.yaml": "owners: [team-pay]\nquotas: {cpu: '4', pods: 10}\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\n"
            "tenants:\n  pay: {quotas: {cpu: '16'}, values: {tier: gold}}\n",
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "tenants:\n  pay: {quotas: {pods: 20}}\n",
        },
    )
    unit = next(u for u in resolve_units(load_catalog(repo)) if u.name == "pay")
    assert unit.context["tenant"]["quotas"] == {"cpu": "16", "pods": 20}
    assert unit.values["tier"] == "gold"
    result = run_cli(["render", "--repo", str(repo)])
    assert result.code == 0, result.err
    quota = (repo / "rendered/dev-1/tenants/pay/resourcequota-tenant-quota.yaml").read_text()
    assert '    requests.cpu: "16"\n' in quota
    assert '    pods: "20"\n' in quota


BAD = {
    "unknown_operator_in_environment": (
        {
            "catalog/environments/dev.yaml": "name: dev\norder: 10\n"
            "operators:\n  wbe: {values: {version: 1.2.3}}\n"
        },
        "error: catalog/environments/dev.yaml:4:3: operators: unknown operator 'wbe'\n"
        "  hint: did you mean 'web'?\n",
    ),
    "unknown_tenant_in_cluster": (
        {
            "catalog/tenants/pay.yaml": "owners: [team-pay]\n",
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "tenants:\n  include: [pay]\n  paymnts: {quotas: {cpu: '8'}}\n",
        },
        "error: catalog/clusters/dev-1.yaml:9:3: tenants: unknown tenant 'paymnts'\n"
        "  hint: did you mean 'pay'?\n",
    ),
    "misspelt_key_under_an_operator_entry": (
        {
            "catalog/environments/dev.yaml": "name: dev\norder: 10\n"
            "operators:\n  web:\n    valus: {version: 1.2.3}\n"
        },
        "error: catalog/environments/dev.yaml:5:5: operators.web.valus: unknown key\n"
        "  hint: did you mean 'values'?\n",
    ),
    "operators_cannot_change_quotas": (
        {
            "catalog/clusters/dev-1.yaml": MINIMAL["catalog/clusters/dev-1.yaml"]
            + "operators:\n  web: {quotas: {cpu: '8'}}\n"
        },
        "error: catalog/clusters/dev-1.yaml:8:9: operators.web.quotas: unknown key\n"
        "  hint: valid keys here: values\n",
    ),
    "tenant_quota_of_the_wrong_type": (
        {
            "catalog/tenants/pay.yaml": "owners: [team-pay]\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\n"
            "tenants:\n  pay:\n    quotas: {pods: many}\n",
        },
        "error: catalog/environments/dev.yaml:5:20: tenants.pay.quotas.pods: must be an integer, "
        "got a string 'many'\n"
        "  hint: write tenants.pay.quotas.pods as an integer\n",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_override_names_file_line_and_hint_and_writes_nothing(
    minimal_repo: Path, case: str
) -> None:
    files, expected = BAD[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    for command in ("lint", "render"):
        result = run_cli([command, "--repo", str(minimal_repo)])
        assert (result.code, result.err) == (2, expected)
    assert snapshot(minimal_repo / "rendered") == before
