"""Time `generator kustomize` against `kubectl kustomize` on overlays over 1,000 and 5,000
resources (prefix, namespace, labels, annotations, images, replicas, strategic merge and JSON
6902 patches, a generator), check that both print the same documents, and print the ratio.

    .venv/bin/python tests/perf/bench_overlays.py [--runs N] [--skip-kubectl-5000]
                                                  [--sizes 1000,5000]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from generator.overlays.build import build  # noqa: E402
from generator.yamlio import ManifestLoader, dump_stream  # noqa: E402


def write_tree(root: Path, size: int) -> Path:
    """A base of `size` objects (a third each Deployment, Service, ConfigMap) and an overlay."""
    base = root / "base"
    base.mkdir(parents=True)
    apps = size // 3
    docs = []
    for i in range(apps):
        docs.append(f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{i}
  labels: {{app: app-{i}, tier: {"front" if i % 2 else "back"}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: app-{i}}}
  template:
    metadata:
      labels: {{app: app-{i}}}
    spec:
      containers:
      - name: app
        image: registry.example.com/app:1.0
        envFrom:
        - configMapRef: {{name: config-{i}}}
        ports:
        - {{containerPort: 8080, name: http}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{i}
spec:
  selector: {{app: app-{i}}}
  ports:
  - {{port: 80, targetPort: 8080}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: config-{i}
data:
  INDEX: "{i}"
""")
    (base / "resources.yaml").write_text("---\n".join(docs), encoding="utf-8")
    (base / "kustomization.yaml").write_text("resources:\n- resources.yaml\n", encoding="utf-8")
    patches = "".join(
        f"""\
- patch: |
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: app-{i}
    spec:
      template:
        spec:
          containers:
          - name: app
            resources:
              limits: {{cpu: 500m}}
"""
        for i in range(0, apps, 10)
    )
    overlay = root / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(
        f"""\
namespace: prod
namePrefix: prod-
labels:
- pairs: {{env: prod}}
  includeSelectors: true
commonAnnotations:
  owner: platform
images:
- name: registry.example.com/app
  newTag: "2.0"
replicas:
- name: app-0
  count: 3
configMapGenerator:
- name: settings
  literals: [MODE=prod]
resources:
- ../base
patches:
- target:
    kind: Deployment
    labelSelector: tier=front
  patch: |
    - op: add
      path: /spec/template/spec/nodeSelector
      value: {{pool: front}}
{patches}""",
        encoding="utf-8",
    )
    return overlay


def ours(overlay: Path) -> str:
    return dump_stream([r.body for r in build(overlay, overlay.parent)])


def timed(function, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def documents(text: str) -> list[object]:
    return [d for d in yaml.load_all(text, Loader=ManifestLoader) if d is not None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of our builder (median)")
    parser.add_argument("--sizes", default="1000,5000", help="comma-separated base sizes")
    parser.add_argument(
        "--skip-kubectl-5000", action="store_true", help="skip kubectl at 5,000+ (about 50 s)"
    )
    args = parser.parse_args()
    kubectl = shutil.which("kubectl")
    print(
        f"{'resources':>9}  {'ours in-process':>15}  {'ours CLI':>9}  {'kubectl':>9}  {'ratio':>7}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            overlay = write_tree(Path(tmp), size)
            inproc, text = timed(lambda overlay=overlay: ours(overlay), args.runs)
            cli, _ = timed(
                lambda overlay=overlay: subprocess.run(
                    [sys.executable, "-m", "generator", "kustomize", str(overlay)],
                    capture_output=True,
                    check=True,
                    cwd=overlay.parent,  # the build root: '../base' must stay inside it
                ),
                max(1, args.runs // 2),
            )
            theirs_time: float | None = None
            if kubectl and not (args.skip_kubectl_5000 and size >= 5000):
                start = time.perf_counter()
                done = subprocess.run(
                    [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=True
                )
                theirs_time = time.perf_counter() - start
                if documents(done.stdout) != documents(str(text)):
                    sys.exit(f"output differs from kubectl kustomize at {size} resources")
            ratio = f"{theirs_time / cli:6.1f}x" if theirs_time else "   n/a"
            theirs = f"{theirs_time:8.2f}s" if theirs_time else "  skipped"
            print(f"{size:>9}  {inproc:>14.2f}s  {cli:>8.2f}s  {theirs}  {ratio}")
    print("ratio = kubectl kustomize time / generator kustomize CLI time (same output, checked)")


if __name__ == "__main__":
    main()
