"""What a tenant overlay can do to the example platform, end to end through `generator render`:
add namespaced objects to its tenant; never edit or delete what the tenant library renders,
never reach beyond its namespace, never hand objects to a GitOps controller."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, copy_repo, run_cli, snapshot, write_tree

OVERLAY = "overlays/clusters/eks-prod/tenants/payments"
HINT = (
    "  hint: a tenant overlay may add objects to its tenant, not change or delete those of the "
    "tenant library (Namespace, quota, limits, network policies, role bindings); change the "
    "tenant in 'catalog/tenants/payments.yaml', or put the change in the tenant library\n"
)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_repo(EXAMPLE, tmp_path_factory.mktemp("example") / "repo")


def render(repo: Path, files: dict[str, str]) -> tuple[int, str, str]:
    """Render the example with a tenant overlay for payments on eks-prod; remove it after."""
    write_tree(repo, {f"{OVERLAY}/{name}": text for name, text in files.items()})
    before = snapshot(repo / "rendered")
    try:
        result = run_cli(["render", "--repo", str(repo), "--cluster", "eks-prod", "--no-cache"])
    finally:
        for name in files:
            (repo / OVERLAY / name).unlink()
    if result.code:
        assert snapshot(repo / "rendered") == before
    return result.code, result.out, result.err


CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n"


def test_a_tenant_overlay_may_add_objects(example: Path) -> None:
    code, out, err = render(
        example, {"kustomization.yaml": "resources: [extra.yaml]\n", "extra.yaml": CONFIGMAP}
    )
    assert (code, out, err) == (
        0,
        "rendered 150 files for 1 cluster(s): 1 added, 0 changed, 0 removed\n",
        "",
    )
    rendered = example / "rendered/eks-prod/tenants/payments/configmap-extra.yaml"
    assert "namespace: ns-payments" in rendered.read_text(encoding="utf-8")
    rendered.unlink()


@pytest.mark.parametrize(
    ("patch", "edit"),
    [
        (
            "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: tenant-quota, namespace: ns-payments}\n"
            "spec: {hard: {pods: '10000'}}\n",
            "changes ResourceQuota 'ns-payments/tenant-quota'",
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            "metadata: {name: default-deny, namespace: ns-payments}\n"
            "spec: {podSelector: {matchLabels: {never: match}}}\n",
            "changes NetworkPolicy 'ns-payments/default-deny'",
        ),
        (
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-payments\n  annotations:\n"
            "    waive.platform.generator/tenant-baseline: we know\n",
            "changes Namespace 'ns-payments'",
        ),
        (
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
            "metadata: {name: tenant-owners, namespace: ns-payments}\n$patch: delete\n",
            "deletes RoleBinding 'ns-payments/tenant-owners'",
        ),
    ],
    ids=["quota", "default-deny", "namespace-waiver", "delete-binding"],
)
def test_a_tenant_overlay_may_not_edit_what_the_platform_renders(
    example: Path, patch: str, edit: str
) -> None:
    files = {
        "kustomization.yaml": "resources: [extra.yaml]\npatches:\n  - path: patch.yaml\n",
        "extra.yaml": CONFIGMAP,
        "patch.yaml": patch,
    }
    assert render(example, files) == (
        2,
        "",
        f"error: {OVERLAY}/kustomization.yaml:1: the tenant overlay {edit}, which the platform "
        f"renders for tenant 'payments'\n{HINT}",
    )


def test_a_transformer_in_a_tenant_overlay_edits_every_platform_object(example: Path) -> None:
    code, _, err = render(example, {"kustomization.yaml": "namePrefix: x-\n"})
    assert code == 2
    # renamed in place: every object of the tenant library is changed, none left as it was
    assert err.startswith(f"error: {OVERLAY}/kustomization.yaml:1: the tenant overlay changes ")
    for edited in (
        "ResourceQuota 'ns-payments/tenant-quota'",
        "NetworkPolicy 'ns-payments/default-deny'",
    ):
        assert f"changes {edited}," in err


ESCAPES = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: payments-admin, namespace: ns-payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: Group, name: team-payments}]
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: mine}
spec: {interval: 1m, path: ./, prune: true, targetNamespace: kube-system,
  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}}
"""


def test_a_tenant_overlay_cannot_escape_its_namespace(example: Path) -> None:
    code, out, err = render(
        example, {"kustomization.yaml": "resources: [escapes.yaml]\n", "escapes.yaml": ESCAPES}
    )
    assert (code, out) == (1, "")
    assert [line for line in err.splitlines() if not line.startswith("  ")] == [
        f"{OVERLAY}/escapes.yaml:1: ClusterRoleBinding ns-payments/payments-admin: tenant "
        "renders a cluster-scoped ClusterRoleBinding [tenant-namespace]",
        f"{OVERLAY}/escapes.yaml:7: Kustomization ns-payments/mine: tenant renders "
        "Kustomization of 'kustomize.toolkit.fluxcd.io/v1': a Flux Kustomization, which applies "
        "manifests with the controller's rights, beyond the tenant namespace [tenant-delegation]",
        "2 finding(s): rendered/ was not changed",
    ]
