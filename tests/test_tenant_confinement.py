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


def route(name: str, hostnames: list[str] | None, annotations: str = "") -> str:
    hosts = "" if hostnames is None else f"  hostnames: [{', '.join(hostnames)}]\n"
    return (
        "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\n"
        f"metadata:\n  name: {name}\n{annotations}"
        f"spec:\n  parentRefs: [{{name: shared, namespace: gateway-system}}]\n{hosts}"
        "  rules: [{backendRefs: [{name: web, port: 80}]}]\n"
    )


HOSTS_HINT = (
    "  hint: the tenant may serve only the hosts in exposure.hosts of its catalog entry "
    "(pay.prod.acme.example); ask the platform team to add the host there\n"
)


def test_a_tenant_routes_its_own_host(example: Path) -> None:
    code, out, err = render(
        example,
        {
            "kustomization.yaml": "resources: [route.yaml]\n",
            "route.yaml": route("pay", ["pay.prod.acme.example"]),
        },
    )
    assert (code, err) == (0, "")
    assert out.startswith("rendered ")
    (example / "rendered/eks-prod/tenants/payments/httproute-pay.yaml").unlink()


@pytest.mark.parametrize(
    ("objects", "message"),
    [
        (
            route("steal", ["search.prod.acme.example"]),
            "HTTPRoute 'steal' serves host 'search.prod.acme.example', not the tenant's",
        ),
        (
            route("everything", None),
            "HTTPRoute 'everything' names no host in spec.hostnames: it would serve every host "
            "name of the shared gateway",
        ),
        (
            route(
                "waived",
                ["grafana.prod.acme.example"],
                "  annotations: {waive.platform.generator/tenant-hosts: mine now}\n",
            ),
            "HTTPRoute 'waived' serves host 'grafana.prod.acme.example', not the tenant's "
            "(the waiver is ignored)",
        ),
        (
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: legacy}\n"
            "spec:\n  rules: [{host: pay.prod.acme.example}, {host: api.acme.example}]\n",
            "Ingress 'legacy' serves host 'api.acme.example', not the tenant's",
        ),
    ],
    ids=["another-tenants-host", "no-hostnames", "waiver-ignored", "ingress"],
)
def test_a_tenant_cannot_serve_hosts_its_catalog_entry_does_not_list(
    example: Path, objects: str, message: str
) -> None:
    code, out, err = render(
        example, {"kustomization.yaml": "resources: [routes.yaml]\n", "routes.yaml": objects}
    )
    assert (code, out) == (1, "")
    lines = err.splitlines(keepends=True)
    assert lines[0].endswith(f": {message} [tenant-hosts]\n"), lines[0]
    assert lines[0].startswith(f"{OVERLAY}/routes.yaml:1: ")
    if "waiver is ignored" in message:
        assert lines[1].startswith(
            "  hint: waive.platform.generator/tenant-hosts has no effect: a tenant's own "
            "annotation cannot lift the tenant's confinement; the tenant may serve only"
        )
    else:
        assert lines[1] == HOSTS_HINT
