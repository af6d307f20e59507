"""The diff bot on everyday changes to the example platform: one commit per task, rendered as
`make render` would, compared with its parent. Each scenario pins the headline and the
attention list in all three formats; three pin the whole pull-request comment
(tests/diff_golden/*.md, `pytest --update-golden` rewrites them)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.diff import as_json, diff_revisions, markdown, text
from generator.diff.revisions import Comparison
from generator.diff.rules import BY_ID
from tests import diff_scenarios as edit
from tests.conftest import EXAMPLE, REPO, copy_repo, git, run_cli

GOLDEN = Path(__file__).parent / "diff_golden"
CLUSTERS = ("eks-prod", "kind-local", "linode-sandbox", "mgmt")
ALL = CLUSTERS
Counts = tuple[str, int, int, int]  # cluster, added, changed, removed


@dataclass(frozen=True)
class Line:
    """One headline entry: what the change does, where, because of which files."""

    kind: str
    message: str
    clusters: tuple[Counts, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    rule: str
    clusters: tuple[str, ...]
    message: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Scenario:
    name: str
    edits: tuple[edit.Edit, ...]  # one commit each; the last is the change under review
    headline: tuple[Line, ...]
    attention: tuple[Finding, ...]


CM = "registry.acme.example/jetstack/cert-manager"
STAGING_CM = ("overlays/environments/staging/cert-manager/kustomization.yaml",)
PROD_CM = ("overlays/environments/prod/cert-manager/kustomization.yaml",)
QUOTA_4X = (
    "limits.cpu 16 → 64 (4x); limits.memory 32Gi → 128Gi (4x); "
    "requests.cpu 16 → 64 (4x); requests.memory 32Gi → 128Gi (4x)"
)
PROD_ENV = ("catalog/environments/prod.yaml",)
AUTOMATED = "prune none → false; selfHeal none → true; sync manual → automated"
DESCHEDULER = ("catalog/operators/065-descheduler.yaml", "charts/descheduler/deployment.yaml")
KEDA = ("catalog/operators/070-keda.yaml", "catalog/operators/075-keda.yaml")
APPROVER = ("charts/cert-manager/templates/approver-policy.yaml",)
PAYMENTS_RBAC = (
    "overlays/clusters/eks-prod/tenants/payments/auditors-edit.yaml",
    "overlays/clusters/eks-prod/tenants/payments/kustomization.yaml",
)
PAYMENTS_NET = (
    "overlays/environments/staging/tenants/payments/allow-database.yaml",
    "overlays/environments/staging/tenants/payments/kustomization.yaml",
)


def images(
    clusters: tuple[str, ...], old: str, new: str, sources: tuple[str, ...]
) -> list[Finding]:
    return [
        Finding(
            "image",
            clusters,
            f"`Deployment cert-manager/cert-manager-{app}` container `{app}`: "
            f"`{CM}-{app}:{old}` → `{new}`",
            sources,
        )
        for app in ("cainjector", "controller", "webhook")
    ]


SCENARIOS = (
    Scenario(
        "add_tenant",
        (edit.add_tenant,),
        (
            Line(
                "tenant-added",
                "Tenant `billing` added (quota cpu 4, memory 8Gi, pods 40, storage 50Gi)",
                (("eks-prod", 14, 0, 0),),
                ("catalog/tenants/billing.yaml",),
            ),
        ),
        (),  # its RBAC and NetworkPolicies are the tenant library's: no news
    ),
    Scenario(
        "remove_tenant",
        (edit.remove_tenant,),
        (
            Line(
                "tenant-removed",
                "Tenant `analytics` removed",
                (("eks-prod", 0, 0, 13), ("kind-local", 0, 0, 13)),
                ("catalog/tenants/analytics.yaml",),
            ),
        ),
        (
            Finding(
                "namespace-deletion",
                ("eks-prod", "kind-local"),
                "`Namespace ns-analytics-batch` deleted, and every object in it",
                ("catalog/tenants/analytics.yaml",),
            ),
            Finding(
                "component-removed",
                ("eks-prod", "kind-local"),
                "`tenants/analytics` removed: all 10 resources deleted",
                ("catalog/tenants/analytics.yaml",),
            ),
        ),
    ),
    # On Flux a tenant also brings the ServiceAccount its Kustomization applies as, that
    # account's bindings and its Namespace: delivered with the tenant, not RBAC news.
    Scenario(
        "add_tenant_on_flux",
        (edit.add_tenant_on_flux,),
        (
            Line(
                "tenant-added",
                "Tenant `ledger` added (quota cpu 2, memory 4Gi, pods 20, storage 20Gi)",
                (("linode-sandbox", 16, 0, 0),),
                ("catalog/clusters/linode-sandbox.yaml", "catalog/tenants/ledger.yaml"),
            ),
        ),
        (),
    ),
    Scenario(
        "remove_tenant_from_flux",
        (edit.remove_tenant_from_flux,),
        (
            Line(
                "tenant-removed",
                "Tenant `search` removed",
                (("linode-sandbox", 0, 0, 18),),
                ("catalog/clusters/linode-sandbox.yaml",),
            ),
        ),
        (
            Finding(
                "namespace-deletion",
                ("linode-sandbox",),
                "`Namespace ns-search` deleted, and every object in it",
                ("catalog/clusters/linode-sandbox.yaml",),
            ),
            Finding(
                "component-removed",
                ("linode-sandbox",),
                "`tenants/search` removed: all 12 resources deleted",
                ("catalog/clusters/linode-sandbox.yaml",),
            ),
        ),
    ),
    Scenario(
        "bump_in_staging",
        (edit.bump_in_staging,),
        (
            Line(
                "version",
                "`cert-manager` `v1.16.2` → `v1.17.0` in staging",
                (("linode-sandbox", 0, 3, 0),),
                STAGING_CM,
            ),
        ),
        tuple(images(("linode-sandbox",), "v1.16.2", "v1.17.0", STAGING_CM)),
    ),
    Scenario(
        "promote_to_prod",
        (edit.bump_in_staging, edit.promote_to_prod),
        (
            Line(
                "promotion",
                "`cert-manager` promoted staging → prod: `v1.16.2` → `v1.17.0`",
                (("eks-prod", 0, 3, 0), ("mgmt", 0, 3, 0)),
                PROD_CM,
            ),
        ),
        tuple(images(("eks-prod", "mgmt"), "v1.16.2", "v1.17.0", PROD_CM)),
    ),
    Scenario(
        "raise_prod_quota",
        (edit.raise_prod_quota,),
        (
            Line(
                "quota",
                f"Quota of `analytics` changed: {QUOTA_4X}",
                (("eks-prod", 0, 1, 0),),
                PROD_ENV,
            ),
            Line(
                "quota",
                f"Quota of `search` changed: {QUOTA_4X}",
                (("eks-prod", 0, 1, 0),),
                PROD_ENV,
            ),
        ),
        (
            Finding(
                "production-capacity",
                ("eks-prod",),
                "`ResourceQuota ns-analytics-batch/tenant-quota` (tenants/analytics): " + QUOTA_4X,
                PROD_ENV,
            ),
            Finding(
                "production-capacity",
                ("eks-prod",),
                "`ResourceQuota ns-search/tenant-quota` (tenants/search): " + QUOTA_4X,
                PROD_ENV,
            ),
        ),
    ),
    Scenario(
        "insert_operator",
        (edit.insert_operator,),
        (
            Line(
                "operator-added",
                "Operator `065-descheduler` added",
                tuple((c, 2, 0, 0) for c in CLUSTERS),
                DESCHEDULER,
            ),
        ),
        (
            Finding(
                "image",
                ALL,
                "`Deployment descheduler/descheduler` container `descheduler`: new image "
                "`registry.acme.example/descheduler/descheduler:v0.31.0`",
                DESCHEDULER,
            ),
            Finding(
                "ordering",
                ("linode-sandbox",),
                "`Kustomization flux-system/keda`: dependsOn observability → descheduler",
                DESCHEDULER[:1],
            ),
        ),
    ),
    Scenario(
        "renumber_operator",
        (edit.renumber_operator,),
        (
            Line(
                "operator-renumbered",
                "Operator `keda` renumbered `070-keda` → `075-keda`",
                (("eks-prod", 0, 20, 0), ("kind-local", 0, 19, 0), ("linode-sandbox", 0, 20, 0)),
                KEDA,
            ),
        ),
        (
            Finding(
                "ordering",
                ("eks-prod",),
                "`Application argocd/eks-prod-keda`: sync wave 70 → 75",
                KEDA,
            ),
            Finding(
                "ordering",
                ("kind-local",),
                "`Application argocd/kind-local-keda`: sync wave 70 → 75",
                KEDA,
            ),
        ),
    ),
    Scenario(
        "add_controller_image",
        (edit.add_controller_image,),
        (
            Line(
                "chart",
                "Component `charts/cert-manager/` changed: `cert-manager`",
                tuple((c, 1, 0, 0) for c in CLUSTERS),
                APPROVER,
            ),
        ),
        (
            Finding(
                "image",
                ALL,
                "`Deployment cert-manager/approver-policy` container "
                "`approver-policy`: new image "
                "`registry.acme.example/jetstack/cert-manager-approver-policy:v0.15.0`",
                APPROVER,
            ),
        ),
    ),
    Scenario(
        "change_registry",
        (edit.change_registry,),
        (
            Line(
                "version",
                "`keda` `registry.acme.example/kedacore/keda:2.16.1` → "
                "`ghcr.io/kedacore/keda:2.16.1` in dev",
                (("kind-local", 0, 1, 0),),
                ("overlays/environments/dev/kustomization.yaml",),
            ),
        ),
        (
            Finding(
                "image-registry",
                ("kind-local",),
                "`Deployment keda/keda-operator` container `keda-operator`: registry "
                "`registry.acme.example` → `ghcr.io` (`registry.acme.example/kedacore/keda:2.16.1`"
                " → `ghcr.io/kedacore/keda:2.16.1`)",
                ("overlays/environments/dev/kustomization.yaml",),
            ),
        ),
    ),
    Scenario(
        "bump_crd_version",
        (edit.bump_crd_version,),
        (
            Line(
                "chart",
                "Component `charts/keda/` changed: `keda`",
                (("eks-prod", 0, 1, 0), ("kind-local", 0, 1, 0), ("linode-sandbox", 0, 1, 0)),
                ("charts/keda/crds/scaledobjects.yaml",),
            ),
        ),
        (
            Finding(
                "crd-changed",
                ("eks-prod", "kind-local", "linode-sandbox"),
                "`scaledobjects.keda.sh` changed: versions v1alpha1 (served, stored) → "
                "v1alpha1 (served)",
                ("charts/keda/crds/scaledobjects.yaml",),
            ),
        ),
    ),
    Scenario(
        "widen_tenant_rbac",
        (edit.widen_tenant_rbac,),
        (Line("other", "Tenant `payments` changed", (("eks-prod", 1, 0, 0),), PAYMENTS_RBAC),),
        (
            Finding(
                "rbac",
                ("eks-prod",),
                "`RoleBinding ns-payments/auditors-edit` (tenants/payments) added: ClusterRole "
                "edit to Group finance-auditors",
                PAYMENTS_RBAC,
            ),
        ),
    ),
    Scenario(
        "switch_engine",
        (edit.switch_engine,),
        (
            Line(
                "chart",
                "Component `charts/priority-classes/` changed, engine plain → jinja: "
                "`priority-classes`",
                tuple((c, 0, 1, 0) for c in CLUSTERS),
                (
                    "charts/priority-classes/priorityclasses.yaml",
                    "charts/priority-classes/priorityclasses.yaml.j2",
                ),
            ),
        ),
        (),
    ),
    Scenario(
        "automate_prod",
        (edit.automate_prod,),
        (
            Line(
                "sync-policy",
                f"Sync policy changed: {AUTOMATED}",
                (("eks-prod", 0, 13, 0), ("mgmt", 0, 10, 0)),
                PROD_ENV,
            ),
        ),
        (
            Finding(
                "gitops",
                ("mgmt",),
                "`Application argocd/eks-prod-bootstrap`, `Application argocd/mgmt-bootstrap`, "
                f"`Application argocd/mgmt-cert-manager` and 7 more: {AUTOMATED}",
                PROD_ENV,
            ),
            Finding(
                "gitops",
                ("eks-prod",),
                "`Application argocd/eks-prod-cert-manager`, `Application "
                "argocd/eks-prod-cluster-issuers`, `Application argocd/eks-prod-external-dns` "
                f"and 10 more: {AUTOMATED}",
                PROD_ENV,
            ),
        ),
    ),
    Scenario(
        "comment_only",
        (edit.comment_only,),
        (
            Line(
                "no-effect",
                "Inputs changed, nothing rendered differs: `catalog/tenants/search.yaml`",
                (),
                ("catalog/tenants/search.yaml",),
            ),
        ),
        (),
    ),
    Scenario(
        "add_cluster",
        (edit.add_cluster,),
        (
            Line(
                "cluster-added",
                "Cluster `eks-staging` added (staging)",
                (("eks-staging", 149, 0, 0),),
                ("catalog/clusters/eks-staging.yaml",),
            ),
            Line(
                "gitops",
                "GitOps objects changed: `Application argocd/eks-staging-bootstrap`",
                (("mgmt", 1, 0, 0),),
                ("catalog/clusters/eks-staging.yaml",),
            ),
        ),
        (),  # it runs what the other clusters run: the headline says it
    ),
    Scenario(
        "open_network",
        (edit.open_network,),
        (Line("other", "Tenant `payments` changed", (("linode-sandbox", 1, 0, 0),), PAYMENTS_NET),),
        (
            Finding(
                "network-opening",
                ("linode-sandbox",),
                "`NetworkPolicy ns-payments/allow-database` (tenants/payments): allows egress to "
                "ipBlock 10.20.0.0/16 on TCP/5432",
                PAYMENTS_NET,
            ),
        ),
    ),
)


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example platform, committed with its rendered/ tree."""
    repo = copy_repo(EXAMPLE, tmp_path_factory.mktemp("diff-scenarios") / "platform")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "example platform")
    return repo


def commit(repo: Path, scenario: Scenario) -> Comparison:
    """Every edit of the scenario as one rendered commit on top of main; the last compared with
    its parent."""
    git(repo, "checkout", "-q", "-f", "--detach", "main")
    git(repo, "clean", "-fdq")
    for change in scenario.edits:
        change(repo)
        result = run_cli(["render", "--repo", str(repo)])
        assert result.code == 0, result.err
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", change.__name__)
    return diff_revisions(repo, "HEAD~1", "HEAD")


def counts(line: Line) -> str:
    shown = []
    for cluster, *numbers in line.clusters:
        signs = " ".join(f"{s}{n}" for s, n in zip("+~-", numbers, strict=True) if n)
        shown.append(f"`{cluster}` {signs}")
    return ", ".join(shown)


def sources(files: Sequence[str]) -> str:
    return " (" + ", ".join(f"`{f}`" for f in files) + ")"


def where(finding: Finding) -> str:
    if finding.clusters == ALL:
        return "every cluster: "
    return ", ".join(f"`{c}`" for c in finding.clusters) + ": "


def plain(line: str) -> str:
    return line.replace("`", "")


def section(lines: Sequence[str], title: str) -> list[str]:
    """The list items after a heading: lines that start with `- ` (Markdown) or a space
    (text)."""
    start = lines.index(title) + 1
    while start < len(lines) and not lines[start].strip():
        start += 1  # Markdown puts a blank line after a heading
    found = []
    for line in lines[start:]:
        if not line.startswith((" ", "- ")):
            break
        found.append(line)
    return found


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_headline_and_attention_in_every_format(
    platform: Path, scenario: Scenario
) -> None:
    comparison = commit(platform, scenario)
    headline = [
        f"{h.message}{': ' + counts(h) if h.clusters else ''}{sources(h.sources)}"
        for h in scenario.headline
    ]
    findings = [f"{where(f)}{f.message}{sources(f.sources)}" for f in scenario.attention]

    md = markdown(comparison).splitlines()
    assert section(md, "#### What this change does") == [f"- {h}" for h in headline]
    listed = [line[4:] for line in md if line.startswith("  - ")]
    assert listed == findings
    if not findings:
        assert "#### Needs attention" not in md

    lines = text(comparison).splitlines()
    assert section(lines, "what this change does:") == [f"  {plain(h)}" for h in headline]
    expected = [
        f"  [{BY_ID[f.rule].severity}] {BY_ID[f.rule].title} ({f.rule}): {plain(line)}"
        for f, line in zip(scenario.attention, findings, strict=True)
    ]
    assert (section(lines, "needs attention:") if findings else []) == expected

    document = json.loads(as_json(comparison))
    assert [
        (
            h["kind"],
            h["message"],
            [(c["cluster"], c["added"], c["changed"], c["removed"]) for c in h["clusters"]],
            h["sources"],
        )
        for h in document["headline"]
    ] == [
        (h.kind, h.message, [(c, a, n, r) for c, a, n, r in h.clusters], list(h.sources))
        for h in scenario.headline
    ]
    assert [
        (a["rule"], a["clusters"], a["message"], a["sources"]) for a in document["attention"]
    ] == [(f.rule, list(f.clusters), f.message, list(f.sources)) for f in scenario.attention]


GOLDEN_CASES = ("add_tenant", "promote_to_prod", "widen_tenant_rbac")


@pytest.mark.parametrize("name", GOLDEN_CASES)
def test_scenario_comment_matches_its_golden(
    platform: Path, name: str, update_golden: bool
) -> None:
    scenario = next(s for s in SCENARIOS if s.name == name)
    comment = markdown(commit(platform, scenario))
    # Commit ids depend on the clock; the comment is compared without them.
    comment = re.sub(r"\([0-9a-f]{12}\)", "(<commit>)", comment)
    golden = GOLDEN / f"{name}.md"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(comment)
    assert comment == golden.read_text()
    assert len(comment) < 65_536
    if name == "add_tenant":  # docs/diff-bot.md shows it as the example comment
        assert comment in (REPO / "docs" / "diff-bot.md").read_text()


def test_routine_tenant_addition_is_a_short_comment(platform: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "add_tenant")
    comment = markdown(commit(platform, scenario))
    assert len(comment) < 5_000
    # Its Application and its two AppProjects (the team's, and the one confining its
    # rendered/ folder); the rest by name.
    assert comment.count("```diff") == 3
    assert "<code>+ tenants/billing: 11 new object(s)</code>" in comment


def test_new_cluster_comment_fits_and_lists_new_objects_by_name(platform: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "add_cluster")
    comment = markdown(commit(platform, scenario))
    assert len(comment) < 65_536
    assert "> [!NOTE]" not in comment  # nothing had to be cut


def test_working_tree_head_sees_uncommitted_and_untracked_inputs(platform: Path) -> None:
    git(platform, "checkout", "-q", "-f", "--detach", "main")
    git(platform, "clean", "-fdq")
    edit.add_tenant(platform)
    assert run_cli(["render", "--repo", str(platform)]).code == 0
    try:
        comparison = diff_revisions(platform, "main")
    finally:
        git(platform, "checkout", "-q", "-f", "main")
        git(platform, "clean", "-fdq")
    assert [(i.kind, i.sources) for i in comparison.headline] == [
        ("tenant-added", ("catalog/tenants/billing.yaml",))
    ]
    assert [(c.status, c.path) for c in comparison.inputs] == [
        ("A", "catalog/tenants/billing.yaml")
    ]


def test_a_change_of_sync_policy_arrives_under_the_old_one(platform: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "automate_prod")
    assert [(n.cluster, n.automated, n.message) for n in commit(platform, scenario).next_steps] == [
        (
            "eks-prod",
            False,
            "manual sync: someone must press Sync in Argo CD on `mgmt`; prune off; from then on: "
            "automated sync, prune off",
        ),
        (
            "mgmt",
            False,
            "manual sync: someone must press Sync in Argo CD; prune off; from then on: automated "
            "sync, prune off; its Argo CD also delivers the changes to `eks-prod`",
        ),
    ]


def test_removed_tenant_on_a_cluster_without_prune_says_what_stays(platform: Path) -> None:
    scenario = next(s for s in SCENARIOS if s.name == "remove_tenant")
    assert [n.message for n in commit(platform, scenario).next_steps] == [
        "manual sync: someone must press Sync in Argo CD on `mgmt` for `tenants/analytics`; "
        "prune off: the 13 deleted object(s) stay on the cluster until someone deletes them or "
        "syncs with prune",
        "Argo CD syncs it automatically; prune on: the 13 deleted object(s) are removed from the "
        "cluster",
    ]


def test_a_flux_tenant_removal_says_which_objects_survive_pruning(platform: Path) -> None:
    """The tenant's Namespace under flux/ is marked `prune: disabled`: Flux keeps it (and what
    runs in it) when the tenant goes, so the note must not count it as removed."""
    scenario = next(s for s in SCENARIOS if s.name == "remove_tenant_from_flux")
    [step] = commit(platform, scenario).next_steps
    assert step.message == (
        "Flux applies it on its next reconcile; prune on: 17 of the 18 deleted object(s) are "
        "removed from the cluster; 1 is marked to survive pruning (Flux `prune: disabled`, "
        "Argo CD `Prune=false`) and stays"
    )
