"""`generator list` and `--format json` on render, lint and list: results on stdout, errors as
JSON objects too."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import EXAMPLE, run_cli, snapshot, write_tree


def test_list_units_of_one_cluster_names_engine_namespace_and_source() -> None:
    result = run_cli(["list", "units", "--cluster", "linode-sandbox", "--repo", str(EXAMPLE)])
    assert (result.code, result.err) == (0, "")
    lines = result.out.splitlines()
    assert lines[0].split() == ["CLUSTER", "UNIT", "KIND", "ENGINE", "NAMESPACE", "SOURCE"]
    assert lines[1].split() == [
        "linode-sandbox",
        "001-priority-classes",
        "operator",
        "plain",
        "kube-system",
        "charts/priority-classes",
    ]
    assert {line.split()[0] for line in lines[1:]} == {"linode-sandbox"}
    assert lines[-1].split()[1:4] == ["tenants/search", "tenant", "jsonnet"]


def test_list_operators_as_json_says_where_each_runs() -> None:
    result = run_cli(["list", "operators", "--format", "json", "--repo", str(EXAMPLE)])
    assert result.code == 0, result.err
    operators = {row["name"]: row for row in json.loads(result.out)}
    assert operators["karpenter"] == {
        "name": "karpenter",
        "order": 80,
        "namespace": "karpenter",
        "engine": "jsonnet",
        "source": "charts/karpenter",
        "clusters": ["eks-prod"],
        "file": "catalog/operators/080-karpenter.yaml",
    }
    assert [row["order"] for row in operators.values()] == sorted(
        row["order"] for row in operators.values()
    )


def test_list_clusters_and_tenants(minimal_repo: Path) -> None:
    clusters = run_cli(["list", "clusters", "--repo", str(minimal_repo)])
    assert clusters.out == (
        "NAME   ENVIRONMENT  PROVIDER  KUBERNETES-VERSION  GITOPS  MANAGED-BY  OPERATORS  TENANTS"
        "  FILE\n"
        "dev-1  dev          kind      1.31.0              argocd  -           1          0"
        "        catalog/clusters/dev-1.yaml\n"
    )
    assert run_cli(["list", "tenants", "--repo", str(minimal_repo)]).out == "(none)\n"


def test_list_of_an_unknown_cluster_names_the_known_ones(minimal_repo: Path) -> None:
    result = run_cli(["list", "units", "--cluster", "dev-2", "--repo", str(minimal_repo)])
    assert (result.code, result.out, result.err) == (
        2,
        "",
        "error: unknown cluster 'dev-2'\n  hint: known clusters: dev-1\n",
    )
    as_json = run_cli(
        ["list", "units", "--cluster", "dev-2", "--format", "json", "--repo", str(minimal_repo)]
    )
    assert (as_json.code, as_json.err) == (2, "")
    assert json.loads(as_json.out) == {
        "ok": False,
        "errors": [
            {
                "file": "",
                "line": 0,
                "column": 0,
                "message": "unknown cluster 'dev-2'",
                "hint": "known clusters: dev-1",
            }
        ],
    }


def test_lint_as_json(minimal_repo: Path) -> None:
    result = run_cli(["lint", "--format", "json", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (0, "")
    assert json.loads(result.out) == {
        "ok": True,
        "clusters": 1,
        "operators": 1,
        "tenants": 0,
        "units": 1,
        "warnings": [],
    }


def test_bad_catalog_as_json_lists_every_problem_with_its_place(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            "catalog/environments/dev.yaml": "name: dev\norder: first\n",
            "catalog/operators/010-web.yaml": "namespace: web\nvalus: {}\n",
        },
    )
    before = snapshot(minimal_repo / "rendered")
    for command in (["lint"], ["render"]):
        result = run_cli([*command, "--format", "json", "--repo", str(minimal_repo)])
        assert (result.code, result.err) == (2, "")
        assert json.loads(result.out)["errors"] == [
            {
                "file": "catalog/environments/dev.yaml",
                "line": 2,
                "column": 8,
                "message": "order: must be an integer, got a string 'first'",
                "hint": "write order as an integer",
            },
            {
                "file": "catalog/operators/010-web.yaml",
                "line": 2,
                "column": 1,
                "message": "valus: unknown key",
                "hint": "did you mean 'values'?",
            },
        ]
    assert snapshot(minimal_repo / "rendered") == before


def test_render_as_json_lists_what_changed_then_nothing(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo, {"catalog/operators/010-web.yaml": "namespace: web\nvalues: {greeting: hi}\n"}
    )
    first = run_cli(["render", "--format", "json", "--repo", str(minimal_repo)])
    assert (first.code, first.err) == (0, "")
    assert json.loads(first.out) == {
        "ok": True,
        "files": 7,
        "clusters": ["dev-1"],
        "added": [],
        "changed": ["dev-1/010-web/deployment-web.yaml"],
        "removed": [],
    }
    check = run_cli(["render", "--check", "--format", "json", "--repo", str(minimal_repo)])
    assert json.loads(check.out) == {"ok": True, "files": 7, "clusters": ["dev-1"], "stale": []}


def test_render_findings_as_json_exit_1(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            "charts/web/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: eighty}]\n"
        },
    )
    result = run_cli(["render", "--format", "json", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (1, "")
    [finding] = json.loads(result.out)["findings"]
    assert finding["file"] == "charts/web/service.yaml"
    assert finding["rule"] == "schema"
    assert finding["resource"] == "Service web/web"
    assert finding["catalog"] == "catalog/operators/010-web.yaml"
    assert finding["clusters"] == ["dev-1"]


def test_shell_completion_offers_commands_and_choices() -> None:
    """docs/commands.md documents click's completion; it must keep working through main()."""
    import os
    import subprocess
    import sys

    def complete(words: str) -> list[str]:
        env = os.environ | {
            "_GENERATOR_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        }
        done = subprocess.run(
            [sys.executable, "-m", "generator"], env=env, capture_output=True, text=True, check=True
        )
        return [line.split(",", 1)[1] for line in done.stdout.splitlines()]

    assert complete("generator li") == ["lint", "list"]
    assert complete("generator list ") == ["clusters", "operators", "tenants", "units"]
