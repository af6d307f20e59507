"""`generator new operator|tenant`: the files it writes render at once, on any platform, and
it never overwrites anything."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE, copy_repo, run_cli, snapshot, write_tree


@pytest.mark.parametrize("engine", ["plain", "jinja", "jsonnet", "helm"])
def test_a_new_operator_renders_at_once_with_every_engine(minimal_repo: Path, engine: str) -> None:
    result = run_cli(
        ["new", "operator", "045-metrics", "--engine", engine, "--repo", str(minimal_repo)]
    )
    assert (result.code, result.err) == (0, ""), result.err
    assert result.out.startswith("wrote catalog/operators/045-metrics.yaml\nwrote charts/metrics/")
    assert result.out.endswith("rendered 9 files for 1 cluster(s): 2 added, 0 changed, 0 removed\n")
    deployment = yaml.safe_load(
        (minimal_repo / "rendered/dev-1/045-metrics/deployment-metrics.yaml").read_text()
    )
    assert deployment["metadata"]["namespace"] == "metrics"
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.k8s.io/pause:3.10"
    )
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).code == 0


def test_a_new_tenant_renders_its_namespace_on_the_example_platform(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    result = run_cli(["new", "tenant", "billing", "--repo", str(repo)])
    assert (result.code, result.err) == (0, ""), result.err
    assert result.out.startswith("wrote catalog/tenants/billing.yaml\n")
    namespace = yaml.safe_load(
        (repo / "rendered/eks-prod/tenants/billing/namespace-ns-billing.yaml").read_text()
    )
    assert namespace["metadata"]["labels"]["platform.generator/tenant"] == "billing"


def test_new_with_no_render_only_writes(minimal_repo: Path) -> None:
    before = snapshot(minimal_repo / "rendered")
    result = run_cli(["new", "tenant", "billing", "--no-render", "--repo", str(minimal_repo)])
    assert (result.code, result.out) == (0, "wrote catalog/tenants/billing.yaml\n")
    assert snapshot(minimal_repo / "rendered") == before


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (
            ["operator", "45-metrics"],
            {},
            "error: '45-metrics' is not an operator file name\n"
            "  hint: use three digits, a dash and a DNS label, e.g. 045-metrics-server\n",
        ),
        (
            ["operator", "045-Metrics"],
            {},
            "error: '045-Metrics' is not an operator file name\n"
            "  hint: use three digits, a dash and a DNS label, e.g. 045-metrics-server\n",
        ),
        (
            ["operator", "090-web"],
            {},
            "error: operator 'web' already exists in catalog/operators/010-web.yaml\n"
            "  hint: choose another name, or edit the existing operator\n",
        ),
        (
            ["operator", "045-metrics"],
            {"charts/metrics/notes.txt": "mine\n"},
            "error: charts/metrics already exists; nothing was written\n"
            "  hint: choose another name, or remove the existing file first\n",
        ),
        (
            ["tenant", "Team_A"],
            {},
            "error: 'Team_A' is not a tenant name\n"
            "  hint: use a DNS label of lower-case letters, digits and dashes (at most 60, since "
            "the namespace is ns-<name>)\n",
        ),
        (
            ["tenant", "billing"],
            {"catalog/tenants/billing.yaml": "owners: [x]\n"},
            "error: catalog/tenants/billing.yaml already exists; nothing was written\n"
            "  hint: choose another name, or remove the existing file first\n",
        ),
    ],
)
def test_new_refuses_bad_names_and_existing_files(
    minimal_repo: Path, args: list[str], files: dict[str, str], message: str
) -> None:
    write_tree(minimal_repo, files)
    before = snapshot(minimal_repo)
    result = run_cli(["new", *args, "--repo", str(minimal_repo)])
    assert (result.code, result.out, result.err) == (2, "", message)
    assert snapshot(minimal_repo) == before


def test_new_outside_a_platform_says_to_init(tmp_path: Path) -> None:
    result = run_cli(["new", "tenant", "billing", "--repo", str(tmp_path)])
    assert (result.code, result.err) == (
        2,
        f"error: no catalog/ in '{tmp_path}'\n"
        "  hint: run this in a platform repository, or create one with 'generator init'\n",
    )
    assert list(tmp_path.iterdir()) == []
