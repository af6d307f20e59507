"""bootstrap, drift and schemas pull from the CLI against a Kubernetes API server on localhost."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli import main
from tests.conftest import CliResult, run_cli, write_tree
from tests.test_live_apiserver import FakeApiServer, kubeconfig_text

TOKEN = "s3cr3t-t0ken"
LABELS = {
    "app.kubernetes.io/managed-by": "platform-generator",
    "platform.generator/cluster": "kind-local",
}


def crd(
    group: str,
    kind: str,
    plural: str,
    versions: list[str],
    *,
    served: bool = True,
    schema: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "versions": [
                {
                    "name": v,
                    "served": served,
                    "storage": i == 0,
                    "schema": {
                        "openAPIV3Schema": schema
                        or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
                    },
                }
                for i, v in enumerate(versions)
            ],
        },
    }


ARGO_CRDS = [
    crd("argoproj.io", "Application", "applications", ["v1alpha1"]),
    crd("argoproj.io", "AppProject", "appprojects", ["v1alpha1"]),
]

PROJECT: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "AppProject",
    "metadata": {"name": "platform", "namespace": "argocd", "labels": LABELS},
    "spec": {
        "description": "Platform operators",
        "sourceRepos": ["https://git.acme.example/platform/fleet.git"],
        "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "*"}],
    },
}
ROOT: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "kind-local-root", "namespace": "argocd", "labels": LABELS},
    "spec": {
        "project": "platform",
        "source": {
            "repoURL": "https://git.acme.example/platform/fleet.git",
            "targetRevision": "main",
            "path": "rendered/kind-local/apps",
        },
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "argocd"},
        "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
    },
}
NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web", "labels": LABELS}}
SETTINGS = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "web-settings", "namespace": "web", "labels": LABELS},
    "data": {"mode": "on", "replicas": "2"},
}
DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "web", "labels": LABELS},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.27.3"}]},
        },
    },
}
RENDERED = {
    "bootstrap/appproject-platform.yaml": PROJECT,
    "bootstrap/application-kind-local-root.yaml": ROOT,
    "010-web/namespace-web.yaml": NAMESPACE,
    "010-web/configmap-web-settings.yaml": SETTINGS,
    "010-web/deployment-web.yaml": DEPLOYMENT,
}


def config_map(name: str, labels: dict[str, str] | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name, "namespace": "web"}
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {}}


def drift_text(summary: str, *lines: str) -> str:
    """The text report for cluster kind-local, as the CLI prints it."""
    head = f"drift on cluster 'kind-local' (context 'kind-kind-local'): {summary}\n"
    return head + "".join(f"{line}\n" for line in lines)


def catalog(api_server: str) -> dict[str, str]:
    return {
        "catalog/platform.yaml": "name: acme-platform\ndomain: acme.example\n"
        "gitops: {repoURL: https://git.acme.example/platform/fleet.git}\n"
        "storageClasses: {kind: {fast: local-path, standard: local-path, bulk: local-path}}\n",
        "catalog/environments/dev.yaml": "name: dev\norder: 10\n",
        "catalog/clusters/kind-local.yaml": "name: kind-local\nenvironment: dev\nprovider: kind\n"
        f"kubernetesVersion: 1.31.0\napiServer: {api_server}\ngitops: argocd\n",
    }


class Live:
    """A repository, a kubeconfig and the API server they point at."""

    def __init__(self, repo: Path, server: FakeApiServer, kubeconfig: Path) -> None:
        self.repo, self.server, self.kubeconfig = repo, server, kubeconfig

    def run(self, *args: str, stdin: str | None = None) -> CliResult:
        command, *rest = args
        full = [
            *command.split(),
            *rest,
            "--repo",
            str(self.repo),
            "--kubeconfig",
            str(self.kubeconfig),
        ]
        result = run_cli(full) if stdin is None else _run_with_input(full, stdin)
        # No credential is ever printed, whatever happened.
        assert TOKEN not in result.out + result.err
        return result

    def populate(self, *bodies: dict[str, Any]) -> None:
        for body in bodies:
            self.server.add(body)


def _run_with_input(args: list[str], stdin: str) -> CliResult:
    runner = CliRunner()
    code = 0
    with runner.isolation(input=stdin) as (out, err, _):
        try:
            main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0
    return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with FakeApiServer() as server:
        for body in ARGO_CRDS:
            server.add(body)
        files = catalog(server.url) | {
            f"rendered/kind-local/{rel}": yaml.safe_dump(body) for rel, body in RENDERED.items()
        }
        repo = write_tree(tmp_path / "repo", files)
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(server.url, token=TOKEN))
        yield Live(repo, server, kubeconfig)


# ---------------------------------------------------------------- bootstrap


def test_bootstrap_creates_then_a_second_run_changes_nothing(live: Live) -> None:
    first = live.run("bootstrap", "kind-local", "--yes")
    assert first.code == 0, first.err
    assert first.out == (
        f"rendered/kind-local/bootstrap/ → context 'kind-kind-local' ({live.server.url}):\n"
        "  create    AppProject argocd/platform  "
        "(rendered/kind-local/bootstrap/appproject-platform.yaml)\n"
        "  create    Application argocd/kind-local-root  "
        "(rendered/kind-local/bootstrap/application-kind-local-root.yaml)\n"
        "applied 2 object(s) with field manager 'platform-generator'\n"
    )
    assert "applied AppProject argocd/platform" in first.err
    root = live.server.get("argoproj.io/v1alpha1", "Application", "argocd", "kind-local-root")
    assert root is not None
    assert root["spec"] == ROOT["spec"]
    assert [m["manager"] for m in root["metadata"]["managedFields"]] == ["platform-generator"]
    writes = len(live.server.writes())

    second = live.run("bootstrap", "kind-local", "--yes")
    assert second.code == 0, second.err
    assert second.out.endswith(
        "  unchanged Application argocd/kind-local-root  "
        "(rendered/kind-local/bootstrap/application-kind-local-root.yaml)\n"
        "nothing to do: all 2 object(s) already match rendered/kind-local/bootstrap/\n"
    )
    assert len(live.server.writes()) == writes


def test_bootstrap_shows_the_fields_it_will_change(live: Live) -> None:
    live.populate(PROJECT, {**ROOT, "spec": {**ROOT["spec"], "project": "default"}})
    result = live.run("bootstrap", "kind-local", "--yes")
    assert result.code == 0, result.err
    assert (
        "  change    Application argocd/kind-local-root  "
        "(rendered/kind-local/bootstrap/application-kind-local-root.yaml): spec.project\n"
    ) in result.out
    assert "applied 1 object(s)" in result.out
    live_root = live.server.get("argoproj.io/v1alpha1", "Application", "argocd", "kind-local-root")
    assert live_root is not None
    assert live_root["spec"]["project"] == "platform"


def test_bootstrap_dry_run_asks_the_server_and_changes_nothing(live: Live) -> None:
    result = live.run("bootstrap", "kind-local", "--dry-run")
    assert result.code == 0, result.err
    assert result.out.endswith(
        "dry run: the API server accepted all 2 object(s); nothing was changed\n"
    )
    assert live.server.writes() == []
    dry_runs = [r for r in live.server.requests if r[0] == "PATCH"]
    assert len(dry_runs) == 2
    assert all(r[2] == {"dryRun": "All", "fieldManager": "platform-generator"} for r in dry_runs)


def test_bootstrap_asks_before_applying_and_stops_on_no(live: Live) -> None:
    result = _run_at_a_terminal(live, "n\n")
    assert result.code == 1
    assert "apply 2 object(s)? [y/N]" in result.err
    assert result.out.endswith("cancelled: nothing was applied\n")
    assert live.server.writes() == []


def _run_at_a_terminal(live: Live, answer: str) -> CliResult:
    """bootstrap with a terminal on standard input that types `answer`."""
    runner = CliRunner()
    args = ["bootstrap", "kind-local", "--repo", str(live.repo)]
    args += ["--kubeconfig", str(live.kubeconfig)]
    code = 0
    with runner.isolation(input=answer) as (out, err, _):
        sys.stdin.isatty = lambda: True  # type: ignore[method-assign]
        try:
            main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 0
    return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


def test_bootstrap_without_a_terminal_or_yes_says_to_pass_yes(live: Live) -> None:
    result = live.run("bootstrap", "kind-local", stdin="")
    assert (result.code, result.err) == (
        2,
        "error: bootstrap would apply 2 object(s) and needs confirmation, but standard input "
        "is not a terminal\n"
        "  hint: pass --yes to apply without asking, or --dry-run to only show the plan\n",
    )
    assert live.server.writes() == []


def test_bootstrap_refuses_a_context_that_points_at_another_server(
    live: Live, tmp_path: Path
) -> None:
    write_tree(live.repo, catalog("https://127.0.0.1:6443"))
    result = live.run("bootstrap", "kind-local", "--yes")
    assert result.code == 2
    assert result.err == (
        f"error: kube context 'kind-kind-local' points at '{live.server.url}', but the catalog "
        "says cluster 'kind-local' is at 'https://127.0.0.1:6443'\n"
        "  hint: pass --context for the right cluster, or --allow-server-mismatch when the same "
        "API server is reached through another address (a tunnel or proxy)\n"
    )
    assert live.server.requests == []
    overridden = live.run("bootstrap", "kind-local", "--yes", "--allow-server-mismatch")
    assert overridden.code == 0, overridden.err


def test_bootstrap_of_a_cluster_that_was_never_rendered_says_to_render(live: Live) -> None:
    for path in (live.repo / "rendered/kind-local/bootstrap").iterdir():
        path.unlink()
    (live.repo / "rendered/kind-local/bootstrap").rmdir()
    result = live.run("bootstrap", "kind-local", "--yes")
    assert result.code == 2
    assert result.err == (
        "error: 'rendered/kind-local/bootstrap/' does not exist\n"
        "  hint: run 'generator render --cluster kind-local' first and commit the result\n"
    )


def test_bootstrap_of_a_flux_cluster_applies_the_flux_system_entry_point(tmp_path: Path) -> None:
    source = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": "flux-system", "namespace": "flux-system", "labels": LABELS},
        "spec": {
            "interval": "1m",
            "url": "https://git.acme.example/platform/fleet.git",
            "ref": {"branch": "main"},
        },
    }
    entry: dict[str, Any] = {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": "flux-system", "namespace": "flux-system", "labels": LABELS},
        "spec": {
            "interval": "10m",
            "path": "rendered/kind-local/flux",
            "prune": True,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        },
    }
    operator = {**entry, "metadata": {**entry["metadata"], "name": "cert-manager"}}
    with FakeApiServer() as server:
        server.add(crd("source.toolkit.fluxcd.io", "GitRepository", "gitrepositories", ["v1"]))
        server.add(crd("kustomize.toolkit.fluxcd.io", "Kustomization", "kustomizations", ["v1"]))
        files = catalog(server.url) | {
            "rendered/kind-local/flux/gitrepository-flux-system.yaml": yaml.safe_dump(source),
            "rendered/kind-local/flux/kustomization-cert-manager.yaml": yaml.safe_dump(operator),
            "rendered/kind-local/flux/kustomization-flux-system.yaml": yaml.safe_dump(entry),
        }
        files["catalog/clusters/kind-local.yaml"] = files[
            "catalog/clusters/kind-local.yaml"
        ].replace("gitops: argocd", "gitops: flux")
        repo = write_tree(tmp_path / "repo", files)
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(server.url))
        result = Live(repo, server, kubeconfig).run("bootstrap", "kind-local", "--yes")
        assert result.code == 0, result.err
        assert result.out == (
            f"rendered/kind-local/flux/ → context 'kind-kind-local' ({server.url}):\n"
            "  create    GitRepository flux-system/flux-system  "
            "(rendered/kind-local/flux/gitrepository-flux-system.yaml)\n"
            "  create    Kustomization flux-system/flux-system  "
            "(rendered/kind-local/flux/kustomization-flux-system.yaml)\n"
            "applied 2 object(s) with field manager 'platform-generator'\n"
        )
        assert (
            server.get(
                "kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system", "cert-manager"
            )
            is None
        )


def managed_by_mgmt(live: Live, mgmt_server: str = "https://127.0.0.1:7443") -> None:
    """kind-local becomes a cluster that mgmt's Argo CD runs (its apiServer stays the same)."""
    write_tree(
        live.repo,
        {
            "catalog/clusters/mgmt.yaml": "name: mgmt\nenvironment: dev\nprovider: kind\n"
            f"kubernetesVersion: 1.31.0\napiServer: {mgmt_server}\ngitops: argocd\n",
            "catalog/clusters/kind-local.yaml": catalog(live.server.url)[
                "catalog/clusters/kind-local.yaml"
            ]
            + "# mgmt's Argo CD deploys here\nmanagedBy: mgmt\n",
        },
    )


def test_bootstrap_of_a_managed_cluster_is_refused_before_any_connection(live: Live) -> None:
    managed_by_mgmt(live)
    # rendered/kind-local/bootstrap/ exists (render always writes it) and the kube context
    # points at kind-local's own apiServer: neither may lead to applying it there.
    assert (live.repo / "rendered/kind-local/bootstrap").is_dir()
    live.kubeconfig.write_text("this is not read: {")
    result = live.run("bootstrap", "kind-local", "--dry-run")
    assert result.code == 2
    assert result.out == ""
    assert result.err == (
        "error: catalog/clusters/kind-local.yaml:8:1: cluster 'kind-local' is managed by 'mgmt', "
        "whose Argo CD applies rendered/kind-local/bootstrap/: there is nothing to bootstrap by "
        "hand\n"
        "  hint: run 'generator bootstrap mgmt' once, register 'kind-local' with the Argo CD of "
        "'mgmt', then render and push (see docs/gitops.md)\n"
    )
    assert live.server.requests == []


def test_drift_of_a_managed_cluster_leaves_out_the_objects_on_its_management_cluster(
    live: Live,
) -> None:
    managed_by_mgmt(live)
    live.populate(NAMESPACE, SETTINGS, DEPLOYMENT)  # no Application or AppProject here
    result = live.run("drift", "kind-local")
    assert result.code == 0, result.out + result.err
    assert result.out == (
        "in sync: 3 object(s) on cluster 'kind-local' (context 'kind-kind-local') match "
        "rendered/kind-local/\n"
        "note: rendered/kind-local/apps/ and bootstrap/ are not compared: their objects live on "
        "'mgmt' (generator drift mgmt)\n"
    )
    report = json.loads(live.run("drift", "kind-local", "--format", "json").out)
    assert (report["folders"], report["checked"]) == (["rendered/kind-local/"], 3)


def test_drift_of_a_management_cluster_compares_the_objects_of_its_managed_clusters(
    tmp_path: Path,
) -> None:
    mgmt_labels = {**LABELS, "platform.generator/cluster": "mgmt"}
    mgmt_root = {
        **ROOT,
        "metadata": {**ROOT["metadata"], "name": "mgmt-root", "labels": mgmt_labels},
    }
    with FakeApiServer() as server:
        for body in ARGO_CRDS:
            server.add(body)
        repo = write_tree(
            tmp_path / "repo",
            {
                **catalog("https://kind-local.example:6443"),
                "catalog/clusters/kind-local.yaml": catalog("https://kind-local.example:6443")[
                    "catalog/clusters/kind-local.yaml"
                ]
                + "managedBy: mgmt\n",
                "catalog/clusters/mgmt.yaml": "name: mgmt\nenvironment: dev\nprovider: kind\n"
                f"kubernetesVersion: 1.31.0\napiServer: {server.url}\ngitops: argocd\n",
                "rendered/mgmt/bootstrap/application-mgmt-root.yaml": yaml.safe_dump(mgmt_root),
                **{
                    f"rendered/kind-local/{rel}": yaml.safe_dump(body)
                    for rel, body in RENDERED.items()
                },
            },
        )
        # kind-local's root Application and project live on mgmt; its operators do not.
        for body in (mgmt_root, PROJECT, ROOT):
            server.add(body)
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(server.url, token=TOKEN))
        result = run_cli(["drift", "mgmt", "--repo", str(repo), "--kubeconfig", str(kubeconfig)])
    assert result.code == 0, result.out + result.err
    assert result.out == (
        "in sync: 3 object(s) on cluster 'mgmt' (context 'kind-kind-local') match "
        "rendered/mgmt/ and rendered/kind-local/bootstrap/\n"
    )


# ---------------------------------------------------------------- drift


def test_drift_in_sync_ignores_server_maintained_and_defaulted_fields(live: Live) -> None:
    live.populate(*RENDERED.values())
    result = live.run("drift", "kind-local")
    assert result.code == 0, result.err
    assert result.out == (
        "in sync: 5 object(s) on cluster 'kind-local' (context 'kind-kind-local') match "
        "rendered/kind-local/\n"
    )


def test_drift_reports_a_changed_field(live: Live) -> None:
    live.populate(*RENDERED.values())
    stored = live.server.get("v1", "ConfigMap", "web", "web-settings")
    assert stored is not None
    stored["data"]["mode"] = "off"
    result = live.run("drift", "kind-local")
    assert result.code == 1
    assert result.out == drift_text(
        "1 changed (of 5 rendered object(s))",
        "  changed   ConfigMap web/web-settings  "
        "(rendered/kind-local/010-web/configmap-web-settings.yaml)",
        "      data.mode: rendered 'on', live 'off'",
    )


def test_drift_reports_a_missing_object(live: Live) -> None:
    live.populate(PROJECT, ROOT, NAMESPACE, SETTINGS)
    result = live.run("drift", "kind-local")
    assert result.code == 1
    assert result.out == drift_text(
        "1 missing (of 5 rendered object(s))",
        "  missing   Deployment web/web  (rendered/kind-local/010-web/deployment-web.yaml)",
    )


def test_drift_reports_an_orphan_that_is_no_longer_rendered(live: Live) -> None:
    live.populate(*RENDERED.values(), config_map("retired", LABELS), config_map("kube-root-ca.crt"))
    result = live.run("drift", "kind-local")
    assert result.code == 1
    assert result.out == drift_text(
        "1 orphaned (of 5 rendered object(s))",
        "  orphaned  ConfigMap web/retired  (live only, no longer rendered)",
    )


def test_drift_counts_objects_of_types_the_cluster_lacks_as_missing(live: Live) -> None:
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": "web", "labels": LABELS},
    }
    write_tree(live.repo, {"rendered/kind-local/010-web/widget-w.yaml": yaml.safe_dump(widget)})
    live.populate(*RENDERED.values())
    result = live.run("drift", "kind-local")
    assert result.code == 1
    assert result.out == drift_text(
        "1 missing (of 6 rendered object(s))",
        "  missing   Widget web/w  (rendered/kind-local/010-web/widget-w.yaml): the cluster does "
        "not serve Widget in 'example.com/v1'",
    )


def test_drift_as_json_and_markdown(live: Live) -> None:
    live.populate(
        PROJECT,
        ROOT,
        NAMESPACE,
        SETTINGS,
        {**DEPLOYMENT, "spec": {**DEPLOYMENT["spec"], "replicas": 5}},
    )
    report = json.loads(live.run("drift", "kind-local", "--format", "json").out)
    assert report["inSync"] is False
    assert report["drift"] == [
        {
            "state": "changed",
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "namespace": "web",
            "name": "web",
            "file": "rendered/kind-local/010-web/deployment-web.yaml",
            "note": "",
            "fields": [{"path": "spec.replicas", "rendered": 2, "live": 5}],
        }
    ]
    markdown = live.run("drift", "kind-local", "--format", "markdown").out
    assert markdown == (
        "### Drift on `kind-local`: 1 changed (of 5 rendered object(s))\n\n"
        "| State | Object | Rendered file | Differences |\n"
        "| --- | --- | --- | --- |\n"
        "| changed | `Deployment web/web` | `rendered/kind-local/010-web/deployment-web.yaml` | "
        "`spec.replicas`: rendered 2, live 5 |\n"
    )


def test_drift_never_shows_secret_values(live: Live) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "web-tls", "namespace": "web", "labels": LABELS},
        "stringData": {"password": "rendered-value"},
    }
    write_tree(
        live.repo, {"rendered/kind-local/010-web/secret-web-tls.yaml": yaml.safe_dump(secret)}
    )
    live.populate(*RENDERED.values(), {**secret, "stringData": {"password": "live-value"}})
    stored = live.server.get("v1", "Secret", "web", "web-tls")
    assert stored is not None
    stored["data"] = {"password": "bGl2ZS12YWx1ZQ=="}  # the API server keeps base64 data only
    del stored["stringData"]
    result = live.run("drift", "kind-local")
    assert result.code == 1
    assert "      data.password: rendered (hidden), live (hidden)\n" in result.out
    assert "value" not in result.out


def test_drift_fetches_with_a_bounded_number_of_requests_in_flight(live: Live) -> None:
    live.populate(*RENDERED.values())
    live.server.delay("GET", r"/api/v1/namespaces/web/.*", 0.05)
    result = live.run("drift", "kind-local", "--concurrency", "2")
    assert result.code == 0, result.err
    assert live.server.peak_in_flight <= 2


# ---------------------------------------------------------------- schemas pull

WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "properties": {
                "size": {"x-kubernetes-int-or-string": True},
                "labels": {
                    "type": "object",
                    "x-kubernetes-preserve-unknown-fields": True,
                    "properties": {"a": {"type": "string"}},
                },
            },
        },
    },
}


def test_schemas_pull_writes_every_served_version_in_kubeconform_naming(
    live: Live, tmp_path: Path
) -> None:
    widget = crd("example.com", "Widget", "widgets", ["v1", "v1beta1"], schema=WIDGET_SCHEMA)
    gadget = crd(
        "gadgets.example.org", "GadgetSet", "gadgetsets", ["v2", "v2alpha1"], schema=WIDGET_SCHEMA
    )
    retired = crd("old.example.org", "Relic", "relics", ["v1"], served=False)
    live.populate(widget, gadget, retired)
    out = tmp_path / "crds"
    result = live.run("schemas pull", "--out", str(out))
    assert result.code == 0, result.err
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.json"))
    assert [w for w in written if not w.startswith("argoproj.io/")] == [
        "example.com/widget_v1-strict.json",
        "example.com/widget_v1.json",
        "example.com/widget_v1beta1-strict.json",
        "example.com/widget_v1beta1.json",
        "gadgets.example.org/gadgetset_v2-strict.json",
        "gadgets.example.org/gadgetset_v2.json",
        "gadgets.example.org/gadgetset_v2alpha1-strict.json",
        "gadgets.example.org/gadgetset_v2alpha1.json",
    ]
    assert result.out.endswith(
        f"12 schema file(s) from context 'kind-kind-local' in {out}/: 12 added, 0 replaced, "
        "0 unchanged\n"
    )
    assert "added example.com/widget_v1.json\n" in result.out
    plain = json.loads((out / "example.com/widget_v1.json").read_text())
    strict = json.loads((out / "example.com/widget_v1-strict.json").read_text())
    assert "additionalProperties" not in plain
    assert strict["additionalProperties"] is False
    for schema in (plain, strict):
        spec = schema["properties"]["spec"]
        assert spec["additionalProperties"] is False
        assert spec["properties"]["size"]["anyOf"] == [{"type": "integer"}, {"type": "string"}]
        assert "additionalProperties" not in spec["properties"]["labels"]
    again = live.run("schemas pull", "--out", str(out))
    assert again.out == (
        f"12 schema file(s) from context 'kind-kind-local' in {out}/: 0 added, 0 replaced, "
        "12 unchanged\n"
    )


def test_schemas_pull_writes_into_the_repository_and_never_replaces_silently(
    live: Live,
) -> None:
    live.populate(crd("example.com", "Widget", "widgets", ["v1"], schema=WIDGET_SCHEMA))
    own = live.repo / "schemas/crds/example.com/widget_v1.json"
    own.parent.mkdir(parents=True)
    own.write_text('{"description": "written by hand"}\n')
    result = live.run("schemas pull")
    folder = live.repo / "schemas" / "crds"
    assert (result.code, result.err) == (
        2,
        f"error: 1 schema file(s) in {folder}/ differ from what the cluster serves: "
        "example.com/widget_v1.json; nothing was written\n"
        "  hint: pass --force to replace them, or --out to write somewhere else\n",
    )
    assert sorted(p.name for p in folder.rglob("*.json")) == ["widget_v1.json"]
    forced = live.run("schemas pull", "--force")
    assert forced.code == 0, forced.err
    assert "replaced example.com/widget_v1.json\n" in forced.out
    assert "added example.com/widget_v1-strict.json\n" in forced.out
    assert "written by hand" not in own.read_text()


def test_pulled_schemas_validate_like_kubeconform(live: Live, tmp_path: Path) -> None:
    import jsonschema_rs

    live.populate(crd("example.com", "Widget", "widgets", ["v1"], schema=WIDGET_SCHEMA))
    out = tmp_path / "crds"
    assert live.run("schemas pull", "--out", str(out)).code == 0
    plain = jsonschema_rs.validator_for(
        json.loads((out / "example.com/widget_v1.json").read_text())
    )
    strict = jsonschema_rs.validator_for(
        json.loads((out / "example.com/widget_v1-strict.json").read_text())
    )
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": "10Gi"},
    }
    assert plain.is_valid(widget)
    assert strict.is_valid(widget)
    assert not plain.is_valid({**widget, "spec": {"size": 1, "colour": "red"}})
    assert plain.is_valid({**widget, "extra": 1})
    assert not strict.is_valid({**widget, "extra": 1})


# ---------------------------------------------------------------- errors


def test_forbidden_names_the_verb_and_the_resource(live: Live) -> None:
    live.server.fail("PATCH", r"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/.*", 403)
    result = live.run("bootstrap", "kind-local", "--yes")
    assert result.code == 2
    assert result.err == (
        "error: forbidden: context 'kind-kind-local' may not 'patch' applications.argoproj.io "
        "'kind-local-root' in namespace 'argocd'\n"
        "  hint: ask a cluster admin for RBAC that allows 'patch' on 'applications.argoproj.io', "
        "or use a context with more rights (check with 'kubectl auth can-i patch "
        "applications.argoproj.io -n argocd --context kind-kind-local')\n"
    )


def test_unauthorized_says_to_refresh_the_credentials(live: Live) -> None:
    live.server.fail("GET", r"/version", 401)
    result = live.run("drift", "kind-local")
    assert result.code == 2
    assert result.err == (
        f"error: the API server '{live.server.url}' rejected the credentials of context "
        "'kind-kind-local' (401 Unauthorized) for 'get' /version\n"
        "  hint: log in again or refresh the token of this context, then retry\n"
    )


def test_an_api_group_the_cluster_does_not_serve(tmp_path: Path) -> None:
    with FakeApiServer() as server:  # no Argo CD CRDs installed
        repo = write_tree(
            tmp_path / "repo",
            catalog(server.url)
            | {"rendered/kind-local/bootstrap/application-root.yaml": yaml.safe_dump(ROOT)},
        )
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(server.url))
        result = Live(repo, server, kubeconfig).run("bootstrap", "kind-local", "--yes")
    assert result.code == 2
    assert result.err == (
        "error: the cluster behind context 'kind-kind-local' does not serve API "
        "'argoproj.io/v1alpha1'\n"
        "  hint: install what defines it first (its CRDs, e.g. Argo CD or Flux), or fix the "
        "apiVersion; 'kubectl api-versions' lists what the cluster serves\n"
    )


def test_several_objects_of_an_unserved_api_give_one_error_and_no_traceback(
    tmp_path: Path,
) -> None:
    """Every failed request is collected, so asyncio prints no "Task exception was never
    retrieved" for the second one; checked in a real process, where asyncio would print it."""
    project = {
        **ROOT,
        "kind": "AppProject",
        "metadata": {"name": "platform", "namespace": "argocd"},
    }
    with FakeApiServer() as server:  # no Argo CD CRDs installed
        repo = write_tree(
            tmp_path / "repo",
            catalog(server.url)
            | {
                "rendered/kind-local/bootstrap/application-root.yaml": yaml.safe_dump(ROOT),
                "rendered/kind-local/bootstrap/appproject-platform.yaml": yaml.safe_dump(project),
            },
        )
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(server.url))
        result = subprocess.run(
            [
                *(sys.executable, "-m", "generator", "bootstrap", "kind-local", "--yes"),
                *("--repo", str(repo), "--kubeconfig", str(kubeconfig)),
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    assert (result.returncode, result.stderr) == (
        2,
        "error: the cluster behind context 'kind-kind-local' does not serve API "
        "'argoproj.io/v1alpha1'\n"
        "  hint: install what defines it first (its CRDs, e.g. Argo CD or Flux), or fix the "
        "apiVersion; 'kubectl api-versions' lists what the cluster serves\n",
    )


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"https://127.0.0.1:{port}"
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(kubeconfig_text(url))
    result = run_cli(
        ["schemas", "pull", "--kubeconfig", str(kubeconfig), "--out", str(tmp_path / "out")]
    )
    assert result.code == 2
    assert result.err == (
        f"error: cannot connect to the API server '{url}' of context 'kind-kind-local': "
        "connection refused\n"
        "  hint: start the cluster (for kind: 'kind get clusters'), or pick the right one with "
        "--context\n"
    )
    assert not (tmp_path / "out").exists()


def test_timeout(live: Live, tmp_path: Path) -> None:
    live.server.delay("GET", r"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", 5)
    result = live.run("schemas pull", "--out", str(tmp_path / "out"), "--request-timeout", "0.2")
    assert result.code == 2
    assert result.err == (
        f"error: the API server '{live.server.url}' did not answer within 0.2s "
        "('list' customresourcedefinitions.apiextensions.k8s.io)\n"
        "  hint: check the network path to the cluster, or allow more time with "
        "--request-timeout SECONDS\n"
    )
    assert not (tmp_path / "out").exists()


def test_tls_failure_with_an_untrusted_certificate(live: Live, tmp_path: Path) -> None:
    untrusted = tmp_path / "untrusted"
    untrusted.write_text(kubeconfig_text(live.server.url, trusted=False))
    result = run_cli(
        ["schemas", "pull", "--kubeconfig", str(untrusted), "--out", str(tmp_path / "out")]
    )
    assert result.code == 2
    assert result.err == (
        f"error: TLS handshake with the API server '{live.server.url}' failed: "
        "self-signed certificate\n"
        "  hint: the server's certificate is not trusted by context 'kind-kind-local': check "
        "certificate-authority(-data) in the kubeconfig and that the URL points to this cluster\n"
    )


def test_unknown_cluster_lists_the_catalog_clusters(live: Live) -> None:
    result = live.run("drift", "kind-remote")
    assert result.code == 2
    assert result.err == (
        "error: cluster 'kind-remote' is not in the catalog\n"
        "  hint: use one of: kind-local (files under catalog/clusters/)\n"
    )


def test_drift_of_a_cluster_that_was_never_rendered(live: Live) -> None:
    shutil.rmtree(live.repo / "rendered")
    result = live.run("drift", "kind-local")
    assert result.code == 2
    assert result.err == (
        "error: 'rendered/kind-local/' does not exist\n"
        "  hint: run 'generator render --cluster kind-local' first\n"
    )
    assert live.server.requests == []


def test_malformed_rendered_file_names_file_and_line(live: Live) -> None:
    write_tree(
        live.repo, {"rendered/kind-local/010-web/broken.yaml": "kind: ConfigMap\n  bad: [\n"}
    )
    result = live.run("drift", "kind-local")
    assert result.code == 2
    assert result.err.startswith("error: rendered/kind-local/010-web/broken.yaml:2:")
    assert result.err.endswith("  hint: fix the YAML syntax at that position\n")


def test_the_api_server_refusing_an_object_gives_its_reason(live: Live) -> None:
    reason = 'AppProject.argoproj.io "platform" is invalid: spec.destinations: Required value'
    live.server.fail(
        "PATCH", r"/apis/argoproj.io/v1alpha1/namespaces/argocd/appprojects/.*", 422, reason
    )
    result = live.run("bootstrap", "kind-local", "--dry-run")
    assert result.code == 2
    assert result.err == (
        "error: the API server refused 'patch' appprojects.argoproj.io 'platform' in namespace "
        f"'argocd': {reason}\n"
        "  hint: fix the object in the catalog or chart, render again and retry\n"
    )
    assert live.server.writes() == []


def test_an_apply_conflict_names_the_object(live: Live) -> None:
    reason = (
        'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply": .spec.project'
    )
    live.server.fail(
        "PATCH", r"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/.*", 409, reason
    )
    result = live.run("bootstrap", "kind-local", "--yes")
    assert result.code == 2
    assert result.err == (
        "error: server-side apply conflict for 'patch' applications.argoproj.io "
        f"'kind-local-root' in namespace 'argocd': {reason}\n"
        "  hint: another field manager owns these fields; change them with that tool, or let the "
        "GitOps controller take them over\n"
    )


def test_schemas_pull_where_a_group_folder_is_a_file(live: Live, tmp_path: Path) -> None:
    live.populate(crd("example.com", "Widget", "widgets", ["v1"], schema=WIDGET_SCHEMA))
    blocker = write_tree(tmp_path / "crds", {"example.com": "not a folder"}) / "example.com"
    result = live.run("schemas pull", "--out", str(tmp_path / "crds"))
    assert result.code == 2
    assert result.err == (
        f"error: {blocker}/widget_v1-strict.json: cannot write schema: File exists\n"
        "  hint: check that --out names a writable folder\n"
    )
    assert blocker.read_text() == "not a folder"


def test_ctrl_c_stops_cleanly_while_a_request_is_in_flight(live: Live) -> None:
    import signal
    import subprocess
    import sys
    import time

    live.populate(*RENDERED.values())
    live.server.delay("GET", r"/api/v1/configmaps", 30)
    command = [
        sys.executable,
        "-m",
        "generator",
        "drift",
        "kind-local",
        "--repo",
        str(live.repo),
        "--kubeconfig",
        str(live.kubeconfig),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while not any(r[1] == "/api/v1/configmaps" for r in live.server.requests):
        assert time.monotonic() < deadline, process.communicate()
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 130
    assert (out, err) == ("", "\naborted\n")  # no traceback


def test_forbidden_list_during_concurrent_drift_names_the_verb(live: Live) -> None:
    live.populate(*RENDERED.values())
    live.server.fail("GET", r"/apis/apps/v1/deployments", 403)
    result = live.run("drift", "kind-local")
    assert result.code == 2
    assert result.err.startswith(
        "error: forbidden: context 'kind-kind-local' may not 'list' deployments.apps\n"
    )
    # Asked once: no re-authentication round that would close the session under the
    # requests still in flight (they then failed with a bogus TLS error).
    refused = [r for r in live.server.requests if r[1] == "/apis/apps/v1/deployments"]
    assert len(refused) == 1


def test_drift_help_has_one_exit_code_paragraph_and_spaced_examples() -> None:
    result = run_cli(["drift", "--help"])
    assert result.code == 0
    assert result.out.count("Exit codes") == 1
    assert "  orphaned objects.\n\n  Examples:\n    generator drift kind-local\n" in result.out
    assert result.out.endswith(
        "  Exit codes: 0 in sync; 1 drift (missing, changed or orphaned objects);\n"
        "  2 bad input, usage or an API error;\n"
        "  3 internal error (a bug: please report it with the traceback).\n"
    )
