"""`generator versions`, `generator promote` and the strict promotion policy, on copies of the
example platform."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.promotion.promote import set_values
from tests.conftest import EXAMPLE, copy_repo, run_cli, snapshot

STAGING_BLOCK = """\
operators:
  gateway:
    values:
      gateway:
        version: v1.3.0
"""


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_repo(EXAMPLE, tmp_path / "repo")


def _catalog(repo: Path) -> dict[str, bytes]:
    return snapshot(repo / "catalog")


def test_promote_writes_one_block_and_keeps_every_other_byte(example: Path) -> None:
    before = _catalog(example)
    staging = (example / "catalog/environments/staging.yaml").read_text()

    result = run_cli(["promote", "gateway", "--to", "staging", "--repo", str(example)])

    assert result.code == 0, result.err
    assert result.out == "linode-sandbox:\n  changed: 030-gateway/deployment-envoy-gateway.yaml\n"
    assert result.err == (
        "gateway: gateway.version: v1.2.4 → v1.3.0\n"
        "promoted dev → staging in catalog/environments/staging.yaml\n"
    )
    after = _catalog(example)
    assert (example / "catalog/environments/staging.yaml").read_text() == staging + STAGING_BLOCK
    assert {k: v for k, v in after.items() if "staging" not in k} == {
        k: v for k, v in before.items() if "staging" not in k
    }
    deployment = example / "rendered/linode-sandbox/030-gateway/deployment-envoy-gateway.yaml"
    assert "envoyproxy/gateway:v1.3.0" in deployment.read_text()
    assert run_cli(["render", "--check", "--repo", str(example)]).code == 0


def test_the_weekly_promotion_to_prod_inserts_into_an_existing_block(example: Path) -> None:
    assert run_cli(["promote", "gateway", "--to", "staging", "--repo", str(example)]).code == 0
    prod = example / "catalog/environments/prod.yaml"
    lines = prod.read_text().splitlines(keepends=True)

    result = run_cli(["promote", "gateway", "--to", "prod", "--repo", str(example)])

    assert result.code == 0, result.err
    assert result.out == (
        "eks-prod:\n  changed: 030-gateway/deployment-envoy-gateway.yaml\n"
        "mgmt:\n  changed: 030-gateway/deployment-envoy-gateway.yaml\n"
    )
    new = prod.read_text().splitlines(keepends=True)
    at = lines.index("tenants:\n")
    assert new == [
        *lines[:at],
        "  gateway:\n",
        "    values:\n",
        "      gateway:\n",
        "        version: v1.3.0\n",
        *lines[at:],
    ]
    again = run_cli(["promote", "gateway", "--to", "prod", "--repo", str(example)])
    assert (again.code, again.err) == (
        0,
        "nothing to promote: prod already runs staging's versions\n",
    )


def test_dry_run_prints_the_catalog_diff_and_writes_nothing(example: Path) -> None:
    before = snapshot(example)
    result = run_cli(
        ["promote", "--all-pending", "--to", "staging", "--dry-run", "--repo", str(example)]
    )
    assert result.code == 0, result.err
    assert result.out == (
        "--- a/catalog/environments/staging.yaml\n"
        "+++ b/catalog/environments/staging.yaml\n"
        "@@ -5,3 +5,8 @@\n"
        "   replicas: 2\n"
        "   logLevel: info\n"
        "   issuer: letsencrypt-staging\n"
        + "".join(f"+{line}\n" for line in STAGING_BLOCK.splitlines())
    )
    assert snapshot(example) == before


REFUSED = {
    "skips_an_environment": (
        ["gateway", "--from", "dev", "--to", "prod"],
        "error: promoting from dev to prod skips staging\n"
        "  hint: promote to staging first, or pass --skip to promote past it\n",
    ),
    "backwards": (
        ["gateway", "--from", "prod", "--to", "staging"],
        "error: --from prod (order 30) does not come before --to staging (order 20)\n"
        "  hint: promote from an earlier environment to a later one; to roll back, edit "
        "catalog/environments/staging.yaml by hand\n",
    ),
    "unknown_environment": (
        ["gateway", "--to", "prd"],
        "error: --to: unknown environment 'prd'\n  hint: use one of: dev, staging, prod\n",
    ),
    "unknown_operator": (
        ["gatewy", "--to", "staging"],
        "error: unknown operator 'gatewy'\n  hint: did you mean 'gateway'?\n",
    ),
    "first_environment": (
        ["gateway", "--to", "dev"],
        "error: catalog/environments/dev.yaml:1:1: 'dev' is the first environment: there is "
        "nothing to promote from\n  hint: promote into a later environment, or give --from\n",
    ),
    # strict: prod would run v1.3.0 while staging runs v1.2.4; the file is put back
    "skip_that_breaks_the_strict_policy": (
        ["gateway", "--from", "dev", "--to", "prod", "--skip"],
        "gateway: gateway.version: v1.2.4 → v1.3.0\n"
        "error: catalog/environments/prod.yaml:22:9: gateway.version of operator 'gateway': "
        "prod runs 'v1.3.0', which staging has not run (staging runs v1.2.4)\n"
        "  hint: promote it through staging first (generator promote gateway --to staging), or "
        "set promotion.strict: false in catalog/platform.yaml\n",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_refused_promotions_change_nothing(example: Path, case: str) -> None:
    args, expected = REFUSED[case]
    before = snapshot(example)
    result = run_cli(["promote", *args, "--repo", str(example)])
    assert (result.code, result.err) == (2, expected)
    assert snapshot(example) == before


def test_operator_or_all_pending_is_required(example: Path) -> None:
    result = run_cli(["promote", "--to", "staging", "--repo", str(example)])
    assert result.code == 2
    assert "name one OPERATOR or pass --all-pending" in result.err


def test_strict_policy_is_a_lint_error_at_the_line_that_sets_the_version(example: Path) -> None:
    prod = example / "catalog/environments/prod.yaml"
    prod.write_text(
        prod.read_text().replace(
            "operators:\n", "operators:\n  gateway:\n    values: {gateway: {version: v1.4.0}}\n"
        )
    )
    result = run_cli(["lint", "--repo", str(example)])
    assert (result.code, result.err) == (
        2,
        "error: catalog/environments/prod.yaml:14:24: gateway.version of operator 'gateway': "
        "prod runs 'v1.4.0', which staging has not run (staging runs v1.2.4)\n"
        "  hint: promote it through staging first (generator promote gateway --to staging), or "
        "set promotion.strict: false in catalog/platform.yaml\n",
    )
    platform = example / "catalog/platform.yaml"
    platform.write_text(platform.read_text().replace("strict: true", "strict: false"))
    assert run_cli(["lint", "--repo", str(example)]).code == 0


def test_an_older_version_than_the_stage_before_is_allowed(example: Path) -> None:
    """Staging moved on to a newer release; prod still runs the one staging ran before."""
    assert run_cli(["promote", "gateway", "--to", "staging", "--repo", str(example)]).code == 0
    assert run_cli(["lint", "--repo", str(example)]).code == 0


def test_versions_table_marks_differences_and_pending_promotions() -> None:
    result = run_cli(["versions", "--repo", str(EXAMPLE)])
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == [
        "operator",
        "version",
        "1.",
        "dev",
        "2.",
        "staging",
        "3.",
        "prod",
        "pending",
    ]
    gateway = [line.split() for line in lines if line.startswith("gateway ")]
    assert gateway == [
        ["gateway", "gateway.version", "v1.3.0", "v1.2.4", "*", "v1.2.4", "dev", "→", "staging"],
        [
            "gateway",
            "image",
            "registry.acme.example/envoyproxy/gateway",
            "v1.3.0",
            "v1.2.4",
            "*",
            "v1.2.4",
            "dev",
            "→",
            "staging",
        ],
    ]


def test_versions_as_json_and_markdown() -> None:
    data = json.loads(run_cli(["versions", "--format", "json", "--repo", str(EXAMPLE)]).out)
    assert data["environments"] == ["dev", "staging", "prod"]
    karpenter = next(r for r in data["rows"] if r["name"] == "karpenter.version")
    # karpenter runs on aws only: no dev or staging cluster has it
    assert karpenter["environments"] == {"dev": "", "staging": "", "prod": "1.2.1"}
    markdown = run_cli(["versions", "--format", "markdown", "--repo", str(EXAMPLE)]).out
    assert (
        "| gateway | gateway.version | v1.3.0 | **v1.2.4** | v1.2.4 | dev → staging |" in markdown
    )


def test_splice_keeps_what_ruamel_would_rewrite() -> None:
    text = (
        "# head\n"
        "values:\n"
        "  remoteWrite: null   # off\n"
        "  hosts:\n"
        "    - a.example\n"
        "operators:\n"
        "  web: {values: {version: 1.0.0}}  # pinned\n"
    )
    edited = set_values(text, [(("operators", "web", "values", "version"), "1.1.0")])
    assert edited == text.replace("version: 1.0.0", "version: 1.1.0")


def test_a_cluster_that_differs_from_its_environment_is_shown_beside_it(example: Path) -> None:
    mgmt = example / "catalog/clusters/mgmt.yaml"
    mgmt.write_text(
        mgmt.read_text().replace(
            "operators:\n", "operators:\n  gateway: {values: {gateway: {version: v1.2.3}}}\n"
        )
    )
    data = json.loads(run_cli(["versions", "--format", "json", "--repo", str(example)]).out)
    row = next(r for r in data["rows"] if r["name"] == "gateway.version")
    assert row["environments"] == {"dev": "v1.3.0", "staging": "v1.2.4", "prod": "v1.2.4"}
    assert row["clusters"] == {"prod": {"mgmt": "v1.2.3"}}
    text = run_cli(["versions", "--repo", str(example)]).out
    assert "v1.2.4 (mgmt: v1.2.3)" in text
