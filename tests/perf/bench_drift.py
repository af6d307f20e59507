"""Time `generator drift` on 1,000 rendered objects against the local test API server, median of 5.

Two shapes: objects that carry the managed-by label (answered by one labelled list per type)
and objects without it (one GET each, at most --concurrency in flight). Both run over HTTPS
on localhost, through kr8s, from the catalog load to the finished report.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from generator.live import commands  # noqa: E402
from tests.test_live_apiserver import FakeApiServer, kubeconfig_text  # noqa: E402

OBJECTS = 1000
NAMESPACES = 10
RUNS = 5
LABELS = {"app.kubernetes.io/managed-by": "platform-generator"}


def config_map(index: int, labelled: bool) -> dict[str, object]:
    metadata: dict[str, object] = {
        "name": f"settings-{index:04d}",
        "namespace": f"team-{index % NAMESPACES}",
    }
    if labelled:
        metadata["labels"] = dict(LABELS, index=str(index))
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata,
        "data": {"level": "info", "index": str(index), "owner": f"team-{index % NAMESPACES}"},
    }


def bench(labelled: bool, concurrency: int) -> tuple[float, int, bool]:
    with FakeApiServer() as server, tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        (repo / "catalog/environments").mkdir(parents=True)
        (repo / "catalog/clusters").mkdir()
        (repo / "catalog/platform.yaml").write_text(
            "name: bench\ndomain: bench.example\ngitops: {repoURL: https://git.bench.example/fleet.git}\n"
            "storageClasses: {kind: {fast: local-path, standard: local-path, bulk: local-path}}\n"
        )
        (repo / "catalog/environments/dev.yaml").write_text("name: dev\norder: 10\n")
        (repo / "catalog/clusters/kind-local.yaml").write_text(
            f"name: kind-local\nenvironment: dev\nprovider: kind\nkubernetesVersion: 1.31.0\n"
            f"apiServer: {server.url}\ngitops: argocd\n"
        )
        folder = repo / "rendered/kind-local/010-settings"
        folder.mkdir(parents=True)
        for index in range(OBJECTS):
            body = config_map(index, labelled)
            (folder / f"configmap-settings-{index:04d}.yaml").write_text(yaml.safe_dump(body))
            server.add(body)
        kubeconfig = repo / "kubeconfig"
        kubeconfig.write_text(kubeconfig_text(server.url))
        times = []
        in_sync = True
        for _ in range(RUNS):
            server.requests.clear()
            start = time.perf_counter()
            where = commands.target(repo, "kind-local", context=None, kubeconfig=str(kubeconfig))
            report = commands.drift(repo, where, concurrency=concurrency)
            times.append(time.perf_counter() - start)
            in_sync = in_sync and report.in_sync and report.checked == OBJECTS
        return statistics.median(times), len(server.requests), in_sync


def main() -> None:
    print(
        f"drift on {OBJECTS} ConfigMaps in {NAMESPACES} namespaces, local HTTPS API server, "
        f"median of {RUNS}"
    )
    for labelled, concurrency in ((True, 16), (False, 16)):
        median, requests, in_sync = bench(labelled, concurrency)
        shape = "labelled (lists)" if labelled else "unlabelled (GET each)"
        print(
            f"  {shape:<22} concurrency {concurrency:>3}: {median:6.2f} s  "
            f"({requests} requests per run, in sync: {in_sync})"
        )


if __name__ == "__main__":
    main()
