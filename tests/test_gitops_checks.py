"""The GitOps stage's catalog rules, from real catalog files: `generator lint` names the key's
file, line and column; `generator render` refuses the same catalogs with the same message."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.errors import GeneratorError
from generator.gitops import check_catalog
from tests.conftest import run_cli, write_tree

RESERVED_HINT = (
    "  hint: rename the file: 'root', 'bootstrap', 'flux-system' and names starting with "
    "'tenant-' are taken by the generator's own objects and the tenants\n"
)
LONG = "a-cluster-name-long-enough-to-push-the-bootstrap-name-past"  # 58 characters


def cluster(name: str, gitops: str = "argocd", extra: str = "") -> str:
    return (
        f"name: {name}\nenvironment: dev\nprovider: kind\nkubernetesVersion: 1.31.0\n"
        f"apiServer: https://{name}.example:6443\ngitops: {gitops}\n{extra}"
    )


def platform(tmp_path: Path, files: dict[str, str]) -> Path:
    return write_tree(
        tmp_path,
        {
            "catalog/platform.yaml": "name: acme\ndomain: acme.example\n"
            "gitops: {repoURL: https://git.acme.example/platform/fleet.git}\n"
            "storageClasses:\n  kind: {fast: local-path, standard: local-path, bulk: local-path}\n",
            "catalog/environments/dev.yaml": "name: dev\norder: 10\n",
            "catalog/clusters/mgmt.yaml": cluster("mgmt"),
            "charts/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n"
            "data: {mode: 'on'}\n",
            "catalog/operators/010-web.yaml": "namespace: web\n",
            **files,
        },
    )


def without_positions(text: str) -> str:
    return re.sub(r"^(error: )?(catalog/\S+?)(:\d+)*: ", r"\2: ", text, flags=re.MULTILINE)


CASES = [
    pytest.param(
        {
            "catalog/clusters/eks-prod.yaml": cluster(
                "eks-prod", extra="# run by mgmt\nmanagedBy: eks-prod\n"
            )
        },
        "catalog/clusters/eks-prod.yaml:8:1: cluster 'eks-prod': managedBy 'eks-prod' is not "
        "another cluster of the catalog\n"
        "  hint: set managedBy to the management cluster (one of: mgmt) or remove it\n",
        id="managed-by-itself",
    ),
    pytest.param(
        {
            "catalog/clusters/edge.yaml": cluster("edge", "flux"),
            "catalog/clusters/eks-prod.yaml": cluster("eks-prod", extra="managedBy: edge\n"),
        },
        "catalog/clusters/eks-prod.yaml:7:1: cluster 'eks-prod': managedBy 'edge', but 'edge' "
        "does not run its own Argo CD\n"
        "  hint: choose a management cluster with gitops: argocd and no managedBy, or change "
        "cluster 'edge'\n",
        id="managed-by-a-flux-cluster",
    ),
    pytest.param(
        {
            "catalog/clusters/eks-prod.yaml": cluster("eks-prod", extra="managedBy: mgmt\n"),
            "catalog/clusters/eks-dr.yaml": cluster(
                "eks-dr", extra="labels: {}\nmanagedBy: eks-prod\n"
            ),
        },
        "catalog/clusters/eks-dr.yaml:8:1: cluster 'eks-dr': managedBy 'eks-prod', but "
        "'eks-prod' does not run its own Argo CD\n"
        "  hint: choose a management cluster with gitops: argocd and no managedBy, or change "
        "cluster 'eks-prod'\n",
        id="managed-by-a-managed-cluster",
    ),
    pytest.param(
        {"catalog/clusters/edge.yaml": cluster("edge", "flux", "managedBy: mgmt\n")},
        "catalog/clusters/edge.yaml:7:1: cluster 'edge' uses gitops: flux but names managedBy "
        "'mgmt'\n"
        "  hint: Flux runs inside each cluster: remove managedBy, or set gitops: argocd to have "
        "the management cluster's Argo CD deploy it\n",
        id="managed-by-on-a-flux-cluster",
    ),
    *(
        pytest.param(
            {f"catalog/operators/020-{name}.yaml": "namespace: web\nsource: web\n"},
            f"catalog/operators/020-{name}.yaml: operator name '{name}' is reserved\n"
            + RESERVED_HINT,
            id=f"operator-named-{name}",
        )
        for name in ("root", "bootstrap", "flux-system", "tenant-payments")
    ),
    pytest.param(
        {f"catalog/clusters/{LONG}.yaml": cluster(LONG)},
        f"catalog/clusters/{LONG}.yaml:1:1: Application name '{LONG}-bootstrap' is longer than "
        "63 characters\n"
        "  hint: shorten the cluster, operator or tenant name\n",
        id="cluster-name-past-63-characters",
    ),
    pytest.param(
        {
            "catalog/clusters/production-europe-west-central.yaml": cluster(
                "production-europe-west-central"
            ),
            "catalog/operators/010-web-application-firewall-and-rate-limits.yaml": "source: web\n",
        },
        "catalog/operators/010-web-application-firewall-and-rate-limits.yaml: Application name "
        "'production-europe-west-central-web-application-firewall-and-rate-limits' is longer "
        "than 63 characters\n"
        "  hint: shorten the cluster, operator or tenant name\n",
        id="application-name-past-63-characters",
    ),
    pytest.param(
        {
            "catalog/clusters/production-europe-west-central.yaml": cluster(
                "production-europe-west-central"
            ),
            "catalog/tenants/payments-and-billing-ledger.yaml": "# the ledger team\n"
            "name: payments-and-billing-ledger\nowners: [ledger-admins]\n",
        },
        "catalog/tenants/payments-and-billing-ledger.yaml:2:1: Application name "
        "'production-europe-west-central-tenant-payments-and-billing-ledger' is longer than 63 "
        "characters\n"
        "  hint: shorten the cluster, operator or tenant name\n",
        id="tenant-application-name-past-63-characters",
    ),
]


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_lint_refuses_what_render_refuses_at_the_key(
    tmp_path: Path, files: dict[str, str], expected: str
) -> None:
    repo = platform(tmp_path, files)
    lint = run_cli(["lint", "--repo", str(repo)])
    assert (lint.code, lint.out) == (2, "")
    assert lint.err == f"error: {expected}"

    render = run_cli(["render", "--repo", str(repo), "--no-cache"])
    assert render.code == 2
    assert without_positions(render.err) == without_positions(lint.err)
    assert not (repo / "rendered").exists()


def test_an_operator_named_platform_is_not_reserved(tmp_path: Path) -> None:
    repo = platform(
        tmp_path,
        {
            "catalog/operators/010-platform.yaml": "namespace: platform\n",
            "charts/platform/cm.yaml": "apiVersion: v1\nkind: ConfigMap\n"
            "metadata: {name: platform-settings}\n",
        },
    )
    lint = run_cli(["lint", "--repo", str(repo)])
    assert lint.code == 0, lint.err
    render = run_cli(["render", "--repo", str(repo), "--no-cache"])
    assert render.code == 0, render.err
    assert (repo / "rendered/mgmt/apps/application-mgmt-platform.yaml").is_file()
    assert (repo / "rendered/mgmt/bootstrap/appproject-mgmt-platform.yaml").is_file()


def test_several_problems_are_reported_together_in_file_order(tmp_path: Path) -> None:
    repo = platform(
        tmp_path,
        {
            "catalog/operators/020-root.yaml": "source: web\n",
            "catalog/clusters/edge.yaml": cluster("edge", "flux", "managedBy: mgmt\n"),
        },
    )
    lint = run_cli(["lint", "--repo", str(repo)])
    assert lint.code == 2
    assert lint.err.splitlines()[::2] == [
        "error: catalog/clusters/edge.yaml:7:1: cluster 'edge' uses gitops: flux but names "
        "managedBy 'mgmt'",
        "catalog/operators/020-root.yaml: operator name 'root' is reserved",
    ]


def test_check_catalog_without_positions_names_the_records_files(tmp_path: Path) -> None:
    from generator.catalog import load_catalog

    repo = platform(
        tmp_path, {"catalog/clusters/edge.yaml": cluster("edge", "flux", "managedBy: mgmt\n")}
    )
    problems = check_catalog(load_catalog(repo))
    assert [str(p.origin) for p in problems] == ["catalog/clusters/edge.yaml:1:1"]
    assert all(isinstance(p, GeneratorError) for p in problems)
