"""generator diff on temporary git repositories with scripted commits (committed trees and
--render in temporary worktrees)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli import cli
from generator.diff import diff_revisions, markdown
from generator.diff.report import as_json, text
from generator.errors import GeneratorError
from generator.model import RenderedFile
from generator.yamlio import dump_manifest

CM_IMAGE = "quay.io/jetstack/cert-manager-controller"


class Repo:
    """A throw-away platform repository with a catalog and a hand-made rendered/ tree."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=self.path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def write(self, files: Mapping[str, Any]) -> None:
        """Objects are written as canonical YAML, strings as they are; None deletes."""
        for relpath, content in files.items():
            path = self.path / relpath
            if content is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(content if isinstance(content, str) else dump_manifest(content))

    def remove_folder(self, relpath: str) -> None:
        self.git("rm", "-r", "-q", relpath)

    def commit(self, message: str, files: Mapping[str, Any] | None = None) -> str:
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD").strip()

    def state(self) -> tuple[str, bytes]:
        """What the user would notice changing: status and the index file."""
        return self.git("status", "--porcelain", "-uall"), (self.path / ".git/index").read_bytes()


def deployment(name: str, namespace: str, image: str, replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "controller", "image": image}]},
            },
        },
    }


def crd(version_names: Sequence[str]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "certificates.cert-manager.io"},
        "spec": {
            "group": "cert-manager.io",
            "names": {"kind": "Certificate", "plural": "certificates"},
            "scope": "Namespaced",
            "versions": [
                {"name": v, "served": True, "storage": i == 0} for i, v in enumerate(version_names)
            ],
        },
    }


def tenant(cluster: str, name: str, token: str) -> dict[str, Any]:
    ns = f"ns-{name}"
    folder = f"rendered/{cluster}/tenants/{name}"
    return {
        f"{folder}/namespace-{ns}.yaml": {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns},
        },
        f"{folder}/rolebinding-{name}-admin.yaml": {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"{name}-admin", "namespace": ns},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "admin",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"{name}-owners"}
            ],
        },
        f"{folder}/networkpolicy-default-deny.yaml": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": ns},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        },
        f"{folder}/secret-registry.yaml": {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "registry", "namespace": ns},
            "type": "Opaque",
            "data": {"token": base64.b64encode(token.encode()).decode(), "user": "Ym90"},
            "stringData": {"note": token},
        },
    }


def platform(
    version: str = "v1.15.3", *, clusters: Sequence[str] = ("dev-1", "prod-1"), replicas: int = 2
) -> dict[str, Any]:
    files: dict[str, Any] = {
        "catalog/environments/dev.yaml": "name: dev\norder: 1\n",
        "catalog/environments/prod.yaml": "name: prod\norder: 2\n",
    }
    for cluster in clusters:
        environment = cluster.split("-")[0]
        files[f"catalog/clusters/{cluster}.yaml"] = f"name: {cluster}\nenvironment: {environment}\n"
        base = f"rendered/{cluster}/010-cert-manager"
        files[f"{base}/namespace-cert-manager.yaml"] = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": "cert-manager"},
        }
        files[f"{base}/customresourcedefinition-certificates.cert-manager.io.yaml"] = crd(["v1"])
        files[f"{base}/deployment-cert-manager.yaml"] = deployment(
            "cert-manager", "cert-manager", f"{CM_IMAGE}:{version}", replicas
        )
        files[f"{base}/clusterrole-cert-manager-controller.yaml"] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "cert-manager-controller"},
            "rules": [
                {
                    "apiGroups": ["cert-manager.io"],
                    "resources": ["certificates"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        }
        files[f"rendered/{cluster}/apps/application-cert-manager.yaml"] = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": f"{cluster}-cert-manager", "namespace": "argocd"},
            "spec": {"source": {"path": f"rendered/{cluster}/010-cert-manager"}},
        }
        files.update(tenant(cluster, "alpha", "s3cr3t-alpha"))
    return files


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    (tmp_path / "platform").mkdir()
    repo = Repo(tmp_path / "platform")
    repo.commit("platform", platform())
    return repo


def test_operator_version_bump_is_one_changed_deployment_per_cluster(repo: Repo) -> None:
    repo.commit("bump cert-manager", platform("v1.16.1"))
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    report = comparison.report
    assert [(c.status, c.cluster, c.component, str(c.key)) for c in report.changes] == [
        ("changed", "dev-1", "010-cert-manager", "Deployment cert-manager/cert-manager"),
        ("changed", "prod-1", "010-cert-manager", "Deployment cert-manager/cert-manager"),
    ]
    assert report.changes[0].diff == (
        "--- a/rendered/dev-1/010-cert-manager/deployment-cert-manager.yaml",
        "+++ b/rendered/dev-1/010-cert-manager/deployment-cert-manager.yaml",
        "@@ -17,4 +17,4 @@",
        "     spec:",
        "       containers:",
        "       - name: controller",
        "-        image: quay.io/jetstack/cert-manager-controller:v1.15.3",
        "+        image: quay.io/jetstack/cert-manager-controller:v1.16.1",
    )
    assert [(a.rule, a.message, a.clusters) for a in comparison.attention] == [
        (
            "image",
            "`Deployment cert-manager/cert-manager` container `controller`: "
            f"`{CM_IMAGE}:v1.15.3` → `v1.16.1`",
            ("dev-1", "prod-1"),
        )
    ]


def test_label_only_change_is_in_the_diff_but_needs_no_attention(repo: Repo) -> None:
    path = "rendered/prod-1/010-cert-manager/clusterrole-cert-manager-controller.yaml"
    body = platform()[path]
    labelled = {**body, "metadata": {**body["metadata"], "labels": {"version": "v1.16.1"}}}
    repo.commit("label", {path: labelled})
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert [str(c.key) for c in comparison.report.changes] == [
        "ClusterRole cert-manager-controller"
    ]
    assert comparison.attention == ()
    rules = {**body, "rules": [{**body["rules"][0], "verbs": ["*"]}]}
    repo.commit("widen", {path: rules})
    assert [a.message for a in diff_revisions(repo.path, "HEAD~2", "HEAD").attention] == [
        "`ClusterRole cert-manager-controller` (010-cert-manager) changed: new rules * on "
        "certificates, rules removed get, list, watch on certificates"
    ]


def test_tenant_added_shows_new_rbac_and_network_policy(repo: Repo) -> None:
    repo.commit("tenant beta", tenant("prod-1", "beta", "beta-token"))
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert {(c.status, c.component) for c in comparison.report.changes} == {
        ("added", "tenants/beta")
    }
    assert comparison.report.counts("prod-1") == {"added": 4, "changed": 0, "removed": 0}
    # No tenant library renders this catalog, so nothing here is a known baseline; a policy
    # that only denies opens nothing.
    assert [(a.rule, a.message) for a in comparison.attention] == [
        (
            "rbac",
            "`RoleBinding ns-beta/beta-admin` (tenants/beta) added: ClusterRole admin to "
            "Group beta-owners",
        ),
        ("secret", "`Secret ns-beta/registry` (tenants/beta): keys added `note`, `token`, `user`"),
    ]


def test_cluster_removed_is_one_attention_item_not_a_list_of_deletions(repo: Repo) -> None:
    repo.remove_folder("rendered/dev-1")
    repo.remove_folder("catalog/clusters/dev-1.yaml")
    repo.commit("retire dev-1")
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert comparison.report.counts("dev-1") == {"added": 0, "changed": 0, "removed": 9}
    assert [(a.rule, a.message) for a in comparison.attention] == [
        ("cluster-removed", "`dev-1` removed: all 9 resources deleted")
    ]
    assert comparison.clusters["dev-1"].environment == "dev"  # known from the base catalog


def test_crd_change_and_removal_need_attention(repo: Repo) -> None:
    folder = "rendered/prod-1/010-cert-manager"
    path = f"{folder}/customresourcedefinition-certificates.cert-manager.io.yaml"
    repo.commit("serve v2", {path: crd(["v1", "v2"])})
    repo.commit("drop crd on dev", {path.replace("prod-1", "dev-1"): None})
    comparison = diff_revisions(repo.path, "HEAD~2", "HEAD")
    assert [(a.rule, a.message, a.clusters) for a in comparison.attention] == [
        (
            "crd-removed",
            "`certificates.cert-manager.io` deleted, and every `Certificate` object with it",
            ("dev-1",),
        ),
        (
            "crd-changed",
            "`certificates.cert-manager.io` changed: versions v1 (served, stored) → "
            "v1 (served, stored), v2 (served)",
            ("prod-1",),
        ),
    ]
    change = next(c for c in comparison.report.changes if c.status == "changed")
    assert "+  - name: v2" in change.diff


def test_secret_change_shows_the_key_but_never_the_value(repo: Repo) -> None:
    new = tenant("prod-1", "alpha", "n3w-t0ken")
    repo.commit("rotate", {k: v for k, v in new.items() if "secret" in k})
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    (change,) = comparison.report.changes
    assert str(change.key) == "Secret ns-alpha/registry"
    assert [
        line for line in change.diff if line[:1] in "+-" and line[:3] not in ("+++", "---")
    ] == [
        "-  token: (hidden)",
        "+  token: (hidden, changed)",
        "-  note: (hidden)",
        "+  note: (hidden, changed)",
    ]
    outputs = markdown(comparison) + as_json(comparison) + text(comparison, color=True)
    for secret in ("s3cr3t-alpha", "n3w-t0ken", "Ym90"):
        assert secret not in outputs
        assert base64.b64encode(secret.encode()).decode() not in outputs


def test_secret_values_in_kubectls_last_applied_annotation_are_hidden(repo: Repo) -> None:
    path = "rendered/prod-1/tenants/alpha/secret-registry.yaml"
    body = tenant("prod-1", "alpha", "n3w-t0ken")[path]
    annotation = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(body)}
    repo.commit(
        "annotated", {path: {**body, "metadata": {**body["metadata"], "annotations": annotation}}}
    )
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert (
        "+    kubectl.kubernetes.io/last-applied-configuration: (hidden)"
        in comparison.report.changes[0].diff
    )
    assert "n3w-t0ken" not in markdown(comparison) + as_json(comparison) + text(comparison)


def test_added_secret_is_shown_with_every_value_hidden(repo: Repo) -> None:
    repo.commit("tenant beta", tenant("dev-1", "beta", "beta-token"))
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    secret = next(c for c in comparison.report.changes if c.key.kind == "Secret")
    assert "+  token: (hidden)" in secret.diff
    assert "beta-token" not in as_json(comparison)


def test_replica_change_needs_attention_only_in_production(repo: Repo) -> None:
    repo.commit("scale", platform(replicas=3))
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert len(comparison.report.changes) == 2
    assert [(a.rule, a.message, a.clusters) for a in comparison.attention] == [
        (
            "production-replicas",
            "`Deployment cert-manager/cert-manager` replicas 2 → 3",
            ("prod-1",),
        )
    ]


def test_tenant_removed_is_one_item_plus_its_namespace(repo: Repo) -> None:
    repo.remove_folder("rendered/dev-1/tenants/alpha")
    repo.remove_folder("rendered/prod-1/tenants/alpha/secret-registry.yaml")
    repo.commit("drop alpha on dev, its secret on prod")
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert [(a.rule, a.message, a.clusters) for a in comparison.attention] == [
        ("namespace-deletion", "`Namespace ns-alpha` deleted, and every object in it", ("dev-1",)),
        ("component-removed", "`tenants/alpha` removed: all 4 resources deleted", ("dev-1",)),
        ("secret", "`Secret ns-alpha/registry` (tenants/alpha) deleted", ("prod-1",)),
    ]


def test_renamed_file_and_reformatted_yaml_are_no_change(repo: Repo) -> None:
    old = "rendered/prod-1/010-cert-manager/deployment-cert-manager.yaml"
    body = deployment("cert-manager", "cert-manager", f"{CM_IMAGE}:v1.15.3")
    repo.commit("rename", {old: None, old.replace("deployment-", "Deployment_"): json.dumps(body)})
    assert not diff_revisions(repo.path, "HEAD~1", "HEAD").report


def test_renumbered_operator_is_a_move_not_delete_and_create(repo: Repo) -> None:
    repo.git("mv", "rendered/prod-1/010-cert-manager", "rendered/prod-1/015-cert-manager")
    repo.commit("renumber")
    report = diff_revisions(repo.path, "HEAD~1", "HEAD").report
    assert {(c.status, c.old.component if c.old else "", c.component) for c in report.changes} == {
        ("moved", "010-cert-manager", "015-cert-manager")
    }
    assert len(report.changes) == 4
    assert report.counts("prod-1") == {"added": 0, "changed": 4, "removed": 0}


def test_moved_resource_reads_as_a_move_in_every_format(repo: Repo) -> None:
    repo.git("mv", "rendered/dev-1/apps", "rendered/dev-1/applications")
    repo.commit("rename apps folder")
    comparison = diff_revisions(repo.path, "HEAD~1", "HEAD")
    summary = "→ applications: Application argocd/dev-1-cert-manager (from apps)"
    assert f"<summary><code>{summary}</code></summary>" in markdown(comparison)
    assert "(content unchanged)" in markdown(comparison)
    assert json.loads(as_json(comparison))["changes"][0]["oldComponent"] == "apps"
    assert (
        "→ dev-1/applications: Application argocd/dev-1-cert-manager (from apps)"
        in text(comparison).splitlines()
    )


def test_working_tree_is_the_default_head_and_stays_untouched(repo: Repo) -> None:
    repo.write(
        {
            "rendered/dev-1/010-cert-manager/deployment-cert-manager.yaml": deployment(
                "cert-manager", "cert-manager", f"{CM_IMAGE}:v1.17.0"
            )
        }
    )
    before = repo.state()
    comparison = diff_revisions(repo.path, "HEAD")
    assert comparison.head.label == "working tree"
    assert [str(c.key) for c in comparison.report.changes] == [
        "Deployment cert-manager/cert-manager"
    ]
    assert repo.state() == before


def test_project_in_a_subfolder_of_the_repository(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit("one", {f"platform/{k}": v for k, v in platform().items()})
    repo.commit("two", {f"platform/{k}": v for k, v in platform("v1.16.1").items()})
    assert len(diff_revisions(tmp_path / "platform", "HEAD~1", "HEAD").report.changes) == 2


def test_unknown_base_names_the_ref_and_how_to_fetch_it(repo: Repo) -> None:
    with pytest.raises(GeneratorError) as e:
        diff_revisions(repo.path, "origin/main")
    assert (
        str(e.value) == "unknown git revision 'origin/main'\n"
        "  hint: check the spelling, or fetch it first: git fetch origin main"
    )


def test_option_like_revision_is_refused_before_git_sees_it(repo: Repo) -> None:
    with pytest.raises(GeneratorError) as e:
        diff_revisions(repo.path, "--output=comment.md")
    assert str(e.value) == (
        "'--output=comment.md' is not a git revision\n"
        "  hint: pass a branch, tag or commit, e.g. origin/main"
    )


def test_missing_project_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError) as e:
        diff_revisions(tmp_path / "nowhere", "main")
    assert str(e.value) == (
        f"'{tmp_path.resolve() / 'nowhere'}' is not a folder\n"
        "  hint: run from the repository root or pass --repo"
    )


def test_outside_a_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(GeneratorError) as e:
        diff_revisions(tmp_path, "main")
    assert str(e.value) == (
        f"'{tmp_path.resolve()}' is not inside a git repository\n"
        "  hint: generator diff compares git revisions: run it in a clone of the platform repo"
    )


def test_malformed_rendered_file_names_the_file_and_line(repo: Repo) -> None:
    repo.commit("broken", {"rendered/dev-1/apps/broken.yaml": "kind: [unclosed\n"})
    with pytest.raises(GeneratorError) as e:
        diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert str(e.value) == (
        "rendered/dev-1/apps/broken.yaml:2:1: malformed YAML: did not find expected ',' or ']'\n"
        "  hint: fix the YAML syntax at that position"
    )


def test_non_utf8_rendered_file_names_the_file_and_commit(repo: Repo) -> None:
    (repo.path / "rendered/dev-1/apps/latin1.yaml").write_bytes(b"kind: Caf\xe9\n")
    sha = repo.commit("latin-1")
    with pytest.raises(GeneratorError) as e:
        diff_revisions(repo.path, "HEAD~1", "HEAD")
    assert str(e.value) == (
        f"rendered/dev-1/apps/latin1.yaml: not UTF-8 text at byte 9 in commit {sha[:12]}\n"
        "  hint: save the file as UTF-8 (rendered/ is always UTF-8: re-render it with "
        "`generator render`)"
    )


# ---------------------------------------------------------------- --render


def web_files(images: Mapping[str, str]) -> list[RenderedFile]:
    return [
        RenderedFile(
            PurePosixPath(f"{c}/020-web/deployment-web.yaml"),
            dump_manifest(deployment("web", "web", i)),
        )
        for c, i in images.items()
    ]


def catalog_renderer(project: Path) -> list[RenderedFile]:
    """A stand-in catalog: catalog/images.yaml maps cluster → image, one Deployment each."""
    lines = (project / "catalog/images.yaml").read_text().splitlines()
    return web_files(dict(line.split(": ") for line in lines))


def render_tree(images: Mapping[str, str]) -> dict[str, Any]:
    tree: dict[str, Any] = {
        "catalog/images.yaml": "".join(f"{c}: {i}\n" for c, i in images.items())
    }
    tree.update({f"rendered/{f.relpath}": f.text for f in web_files(images)})
    return tree


def worktrees(repo: Repo) -> list[str]:
    return [
        line
        for line in repo.git("worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


def test_render_mode_catches_a_stale_rendered_tree(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit("web", render_tree({"dev-1": "nginx:1.26"}))
    # The catalog changes but rendered/ is not re-rendered: committed trees show nothing.
    repo.commit("bump without render", {"catalog/images.yaml": "dev-1: nginx:1.27\n"})
    before = repo.state()
    committed = diff_revisions(tmp_path, "HEAD~1", "HEAD", renderer=catalog_renderer)
    fresh = diff_revisions(tmp_path, "HEAD~1", "HEAD", render=True, renderer=catalog_renderer)
    assert not committed.report
    assert [a.message for a in fresh.attention] == [
        "`Deployment web/web` container `controller`: `nginx:1.26` → `1.27`"
    ]
    assert [(s.revision.label, s.resources) for s in fresh.stale] == [("HEAD", 1)]
    assert "> `rendered/` at `HEAD` is stale: a fresh render differs in 1 resource(s)" in markdown(
        fresh
    )
    assert repo.state() == before
    assert len(worktrees(repo)) == 1


def test_render_mode_renders_the_working_tree_in_place(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit("web", render_tree({"dev-1": "nginx:1.26", "prod-1": "nginx:1.26"}))
    repo.write({"catalog/images.yaml": "dev-1: nginx:1.26\n"})
    comparison = diff_revisions(tmp_path, "HEAD", render=True, renderer=catalog_renderer)
    assert [(c.status, c.cluster) for c in comparison.report.changes] == [("removed", "prod-1")]
    assert [(s.revision.label, s.resources) for s in comparison.stale] == [("working tree", 1)]


def test_render_mode_for_a_project_in_a_subfolder(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit(
        "web", {f"platform/{k}": v for k, v in render_tree({"dev-1": "nginx:1.26"}).items()}
    )
    repo.commit("bump", {"platform/catalog/images.yaml": "dev-1: nginx:1.27\n"})
    comparison = diff_revisions(
        tmp_path / "platform", "HEAD~1", "HEAD", render=True, renderer=catalog_renderer
    )
    assert [str(c.key) for c in comparison.report.changes] == ["Deployment web/web"]
    assert [(s.revision.label, s.resources) for s in comparison.stale] == [("HEAD", 1)]


def test_render_failure_names_the_revision_and_removes_the_worktree(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    sha = repo.commit("web", render_tree({"dev-1": "nginx:1.26"}))

    def failing(project: Path) -> list[RenderedFile]:
        assert (project / "catalog/images.yaml").is_file()  # a real checkout of the revision
        assert not (project / "rendered").exists()  # read from git, never checked out
        raise GeneratorError(
            "unknown engine 'kustomise'", hint="use one of: helm, jinja, jsonnet, plain"
        )

    with pytest.raises(GeneratorError) as e:
        diff_revisions(tmp_path, "HEAD", "HEAD", render=True, renderer=failing)
    assert str(e.value) == (
        f"cannot render revision 'HEAD' ({sha[:12]})\n"
        "unknown engine 'kustomise'\n  hint: use one of: helm, jinja, jsonnet, plain\n"
        "  hint: fix the catalog at that revision, "
        "or compare the committed rendered/ trees by leaving out --render"
    )
    assert len(worktrees(repo)) == 1


# ---------------------------------------------------------------- CLI


def run(repo: Repo, *args: str) -> Any:
    return CliRunner().invoke(
        cli, ["diff", "--repo", str(repo.path), *args], catch_exceptions=False
    )


def test_cli_exit_codes_follow_diff(repo: Repo) -> None:
    assert run(repo, "--base", "HEAD").exit_code == 0
    repo.commit("bump", platform("v1.16.1"))
    assert run(repo, "--base", "HEAD~1").exit_code == 1
    assert run(repo, "--base", "HEAD~1", "--exit-zero").exit_code == 0


def test_cli_unknown_revision_exits_2(repo: Repo) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "generator", "diff", "--base", "nope"],
        cwd=repo.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr == (
        "error: unknown git revision 'nope'\n"
        "  hint: check the spelling, or fetch it first: git fetch origin\n"
    )


def test_cli_json_and_markdown_output_file(repo: Repo, tmp_path: Path) -> None:
    repo.commit("bump", platform("v1.16.1"))
    result = run(repo, "--base", "HEAD~1", "--format", "json")
    document = json.loads(result.output)
    assert document["summary"] == {
        "dev-1": {
            "added": 0,
            "changed": 1,
            "removed": 0,
            "environment": "dev",
            "production": False,
        },
        "prod-1": {
            "added": 0,
            "changed": 1,
            "removed": 0,
            "environment": "prod",
            "production": True,
        },
    }
    assert document["head"] == {"label": "working tree", "sha": ""}
    out = tmp_path / "comment.md"
    result = run(repo, "--base", "HEAD~1", "--format", "markdown", "--output", str(out))
    assert result.exit_code == 1
    assert result.output == ""
    assert out.read_text().startswith(
        "<!-- platform-generator:render-diff -->\n### Rendered changes: `HEAD~1`"
    )


def test_cli_output_into_a_missing_folder_is_a_clear_error(repo: Repo, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "comment.md"
    with pytest.raises(GeneratorError) as e:
        run(repo, "--base", "HEAD", "--output", str(target))
    assert str(e.value) == (
        f"cannot write '{target}': No such file or directory\n"
        "  hint: pass --output a file in an existing, writable folder"
    )
    assert not target.parent.exists()


def test_base_without_rendered_tree_shows_everything_added(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit("catalog only", {"catalog/environments/dev.yaml": "name: dev\norder: 1\n"})
    repo.commit("first render", platform(clusters=("dev-1",)))
    report = diff_revisions(tmp_path, "HEAD~1", "HEAD").report
    assert {c.status for c in report.changes} == {"added"}
    assert report.counts("dev-1") == {"added": 9, "changed": 0, "removed": 0}


def test_cli_text_has_no_colour_when_not_a_terminal(repo: Repo) -> None:
    repo.commit("bump", platform("v1.16.1"))
    output = run(repo, "--base", "HEAD~1", "--head", "HEAD").output
    assert "\x1b[" not in output
    assert "+        image: quay.io/jetstack/cert-manager-controller:v1.16.1" in output.splitlines()


def test_text_is_coloured_on_request(repo: Repo) -> None:
    repo.commit("bump", platform("v1.16.1"))
    coloured = text(diff_revisions(repo.path, "HEAD~1", "HEAD"), color=True)
    assert (
        "\x1b[32m+        image: quay.io/jetstack/cert-manager-controller:v1.16.1\x1b[0m"
        in coloured
    )
