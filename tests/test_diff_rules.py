"""The attention rules one by one on small hand-made trees: what each reports, and what it
leaves alone."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import pytest

from generator.diff.attention import attention
from generator.diff.compare import diff_trees
from generator.diff.next_steps import next_steps
from generator.diff.platform import ClusterInfo
from generator.diff.rules import RULES, RuleContext
from generator.diff.rules.capacity import change_text, quantity
from generator.diff.rules.images import registry
from generator.engines import detect_engine, engine_for_files
from generator.model import RenderedFile
from generator.yamlio import dump_manifest
from tests.conftest import EXAMPLE, REPO

CLUSTERS = {
    "dev-1": ClusterInfo("dev", False, "argocd", "", True, True, 10),
    "prod-1": ClusterInfo("prod", True, "argocd", "mgmt", False, False, 30),
    "mgmt": ClusterInfo("prod", True, "argocd", "", False, False, 30),
    "stage-1": ClusterInfo("staging", False, "flux", "", True, True, 20),
}


KEEP = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "platform-info", "namespace": "kube-system"},
}


def tree(bodies: Mapping[str, Mapping[str, Any]]) -> list[RenderedFile]:
    """The objects, plus one unchanged object on every cluster, so no cluster disappears."""
    files: dict[str, Mapping[str, Any]] = {
        f"{c}/001-base/configmap-platform-info.yaml": KEEP for c in CLUSTERS
    }
    files.update(bodies)
    return [RenderedFile(PurePosixPath(p), dump_manifest(b)) for p, b in files.items()]


def found(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    report = diff_trees(tree(old), tree(new))
    return [(a.rule, a.message, a.clusters) for a in attention(RuleContext(report, CLUSTERS))]


def application(name: str, sync: Mapping[str, Any], project: str = "platform") -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {
            "project": project,
            "source": {"path": f"rendered/dev-1/{name}", "repoURL": "r", "targetRevision": "main"},
            "syncPolicy": sync,
        },
    }


def test_gitops_rule_reports_sync_prune_and_project() -> None:
    path = "dev-1/apps/application-web.yaml"
    old = {path: application("web", {"automated": {"prune": True, "selfHeal": True}})}
    new = {path: application("web", {}, project="default")}
    assert found(old, new) == [
        (
            "gitops",
            "`Application argocd/web`: project platform → default; prune true → none; "
            "selfHeal true → none; sync automated → manual",
            ("dev-1",),
        )
    ]


def policy(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "default-deny", "namespace": "ns-a"},
        "spec": spec,
    }


def test_removed_default_deny_and_a_new_ip_block_are_openings() -> None:
    path = "prod-1/tenants/a/networkpolicy-default-deny.yaml"
    deny = policy({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    namespace = {
        "prod-1/tenants/a/namespace-ns-a.yaml": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "ns-a"},
        }
    }
    assert found({path: deny, **namespace}, namespace) == [
        (
            "network-opening",
            "`NetworkPolicy ns-a/default-deny` (tenants/a): default deny removed egress, ingress",
            ("prod-1",),
        )
    ]
    wide = policy(
        {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}],
        }
    )
    assert found({path: deny}, {path: wide}) == [
        (
            "network-opening",
            "`NetworkPolicy ns-a/default-deny` (tenants/a): no longer denies egress; allows "
            "egress to ipBlock 0.0.0.0/0",
            ("prod-1",),
        )
    ]


def test_narrowing_a_policy_is_not_reported() -> None:
    path = "prod-1/tenants/a/networkpolicy-allow.yaml"
    peers = [{"podSelector": {"matchLabels": {"app": "x"}}}, {"ipBlock": {"cidr": "10.0.0.0/8"}}]
    wide = policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": peers}]})
    narrow = policy({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": peers[:1]}]})
    assert found({path: wide}, {path: narrow}) == []


def secret(values: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "ns-a"},
        "data": dict(values),
    }


def test_secret_rule_names_keys_never_values() -> None:
    path = "dev-1/tenants/a/secret-db.yaml"
    old = {path: secret({"user": "YWxpY2U=", "password": "b2xkLXB3", "legacy": "eA=="})}
    new = {path: secret({"user": "YWxpY2U=", "password": "bmV3LXB3", "token": "dA=="})}
    findings = found(old, new)
    assert findings == [
        (
            "secret",
            "`Secret ns-a/db` (tenants/a): keys added `token`; values changed `password`; "
            "keys removed `legacy`",
            ("dev-1",),
        )
    ]
    assert not any(v in str(findings) for v in ("b2xkLXB3", "bmV3LXB3", "old-pw", "new-pw"))


def quota(cpu: str, memory: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "tenant-quota", "namespace": "ns-a"},
        "spec": {"hard": {"requests.cpu": cpu, "requests.memory": memory}},
    }


def test_quota_change_is_news_in_production_only() -> None:
    old = {f"{c}/tenants/a/resourcequota.yaml": quota("4", "8Gi") for c in ("dev-1", "prod-1")}
    new = {f"{c}/tenants/a/resourcequota.yaml": quota("2", "32Gi") for c in ("dev-1", "prod-1")}
    assert found(old, new) == [
        (
            "production-capacity",
            "`ResourceQuota ns-a/tenant-quota` (tenants/a): requests.cpu 4 → 2 (1/2); "
            "requests.memory 8Gi → 32Gi (4x)",
            ("prod-1",),
        )
    ]


def test_disruption_budget_and_limit_range_in_production() -> None:
    pdb = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "webhook", "namespace": "cert-manager"},
        "spec": {"minAvailable": 1},
    }
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "tenant-limits", "namespace": "ns-a"},
        "spec": {"limits": [{"type": "Container", "max": {"cpu": "2"}}]},
    }
    old = {
        "prod-1/010-cert-manager/pdb.yaml": pdb,
        "prod-1/tenants/a/limitrange.yaml": limits,
    }
    new = {
        "prod-1/010-cert-manager/pdb.yaml": {**pdb, "spec": {"maxUnavailable": 1}},
        "prod-1/tenants/a/limitrange.yaml": {
            **limits,
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "8"}}]},
        },
    }
    assert found(old, new) == [
        (
            "production-capacity",
            "`LimitRange ns-a/tenant-limits` (tenants/a): Container.max.cpu 2 → 8 (4x)",
            ("prod-1",),
        ),
        (
            "production-capacity",
            "`PodDisruptionBudget cert-manager/webhook` (010-cert-manager): maxUnavailable none "
            "→ 1; minAvailable 1 → none",
            ("prod-1",),
        ),
    ]


@pytest.mark.parametrize(
    ("value", "number"),
    [("500m", 0.5), ("8Gi", 8 * 2**30), ("16", 16.0), (3, 3.0), ("1.5k", 1500.0), ("x", None)],
)
def test_quantities(value: Any, number: float | None) -> None:
    assert quantity(value) == number


def test_change_text_gives_the_factor_only_for_quantities() -> None:
    assert change_text("100m", "400m") == "100m → 400m (4x)"
    assert change_text("on", "off") == "on → off"
    assert change_text(None, "1") == "none → 1"


@pytest.mark.parametrize(
    ("image", "host"),
    [
        ("nginx:1.27", "docker.io"),
        ("library/nginx", "docker.io"),
        ("ghcr.io/kedacore/keda:2.16.1", "ghcr.io"),
        ("localhost/x", "localhost"),
        ("registry:5000/x", "registry:5000"),
    ],
)
def test_registry_of_an_image(image: str, host: str) -> None:
    assert registry(image) == host


def test_after_merge_per_cluster() -> None:
    old = {
        f"{c}/010-web/configmap-web.yaml": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web", "namespace": "web"},
        }
        for c in CLUSTERS
    }
    report = diff_trees(tree(old), tree({}))
    assert [(s.cluster, s.message) for s in next_steps(report, CLUSTERS)] == [
        (
            "dev-1",
            "Argo CD syncs it automatically; prune on: the 1 deleted object(s) are removed "
            "from the cluster",
        ),
        (
            "mgmt",
            "manual sync: someone must press Sync in Argo CD for `010-web`; prune off: the 1 "
            "deleted object(s) stay on the cluster until someone deletes them or syncs with "
            "prune; its Argo CD also delivers the changes to `prod-1`",
        ),
        (
            "prod-1",
            "manual sync: someone must press Sync in Argo CD on `mgmt` for `010-web`; prune "
            "off: the 1 deleted object(s) stay on the cluster until someone deletes them or "
            "syncs with prune",
        ),
        (
            "stage-1",
            "Flux applies it on its next reconcile; prune on: the 1 deleted object(s) are "
            "removed from the cluster",
        ),
    ]


def test_every_rule_is_documented() -> None:
    docs = (REPO / "docs" / "diff-bot.md").read_text()
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity} |" in docs, rule.id


def test_engine_for_files_agrees_with_detect_engine() -> None:
    charts = EXAMPLE / "charts"
    folders = [f for f in sorted(charts.iterdir()) if f.is_dir()]
    assert {detect_engine(f) for f in folders} == {"plain", "jinja", "jsonnet", "helm"}
    for folder in folders:
        paths = [
            PurePosixPath(p.relative_to(folder).as_posix())
            for p in folder.rglob("*")
            if p.is_file()
        ]
        assert engine_for_files(paths) == detect_engine(folder), folder.name
