"""Validation speed: a 10,000-resource stream in two files, `generator validate` cold (no
verdict cache) and warm (unchanged tree, verdicts cached), kubeconform beside it when a
binary is on PATH, and in-memory throughput as the render uses it.

Run: .venv/bin/python tests/perf/bench_validate.py [--resources 10000] [--runs 5]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from generator.model import Manifest, Origin  # noqa: E402
from generator.validate import validate_cluster  # noqa: E402
from generator.validate.schemas import builtin_root  # noqa: E402

VERSION = "1.31.0"


def resource(i: int) -> str:
    kind = i % 4
    if kind == 0:
        return (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings-{i}\n  namespace: ns-{i % 9}\n"
            f'  labels:\n    app: shop\ndata:\n  mode: production\n  replicas: "{i % 5}"\n'
        )
    if kind == 1:
        return (
            f"apiVersion: v1\nkind: Service\nmetadata:\n  name: web-{i}\n  namespace: ns-{i % 9}\n"
            f"spec:\n  selector:\n    app: web-{i}\n  ports:\n    - name: http\n      port: 80\n"
            "      targetPort: 8080\n"
        )
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: ns-{i % 9}\n"
        f"spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app: web-{i}\n  template:\n"
        f"    metadata:\n      labels:\n        app: web-{i}\n    spec:\n      containers:\n"
        "        - name: web\n          image: nginx:1.27.3\n          ports:\n"
        "            - containerPort: 8080\n          resources:\n"
        "            requests: {cpu: 50m, memory: 64Mi}\n            limits: {cpu: 200m, memory: 128Mi}\n"
    )


def write_stream(folder: Path, count: int) -> list[Path]:
    half = count // 2
    files = []
    for name, numbers in (("a.yaml", range(half)), ("b.yaml", range(half, count))):
        path = folder / name
        path.write_text("---\n".join(resource(i) for i in numbers), encoding="utf-8")
        files.append(path)
    return files


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_command(argv: list[str], cwd: Path) -> None:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    if "Summary:" not in done.stdout:
        raise SystemExit(f"{argv[0]} failed:\n{done.stdout}\n{done.stderr}")


def kubeconform_command(work: Path, files: list[Path]) -> list[str] | None:
    binary = shutil.which("kubeconform")
    if binary is None:
        return None
    # the wheel's schemas $ref https://kubernetes.io/api/_definitions.json: seed kubeconform's
    # -cache with it (named by the URL's SHA-256) so the run stays offline
    cache = work / "kubeconform-cache"
    cache.mkdir(exist_ok=True)
    url = "https://kubernetes.io/api/_definitions.json"
    shutil.copy(
        builtin_root() / f"v{VERSION}-local" / "_definitions.json",
        cache / hashlib.sha256(url.encode()).hexdigest(),
    )
    location = (
        str(builtin_root())
        + "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}"
        + "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
    )
    return [binary, "-summary", "-kubernetes-version", VERSION, "-cache", str(cache),
            "-schema-location", location, *map(str, files)]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    count = args.resources
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as tmp:
        work = Path(tmp)
        files = write_stream(work, count)
        generator = [sys.executable, "-m", "generator", "validate", "-summary",
                     "-kubernetes-version", VERSION, "a.yaml", "b.yaml"]  # fmt: skip
        cold = median_seconds(
            lambda: run_command([*generator, "--no-verdict-cache"], work), args.runs
        )
        serial = median_seconds(
            lambda: run_command([*generator, "--no-verdict-cache", "-n", "1"], work), args.runs
        )
        run_command(generator, work)  # fill the verdict cache
        warm = median_seconds(lambda: run_command(generator, work), args.runs)
        kubeconform = kubeconform_command(work, files)
        kube = (
            median_seconds(lambda: run_command(kubeconform, work), args.runs)
            if kubeconform
            else None
        )

        bodies = [b for f in files for b in yaml.safe_load_all(f.read_text()) if b]
        origin = Origin(PurePosixPath("bench.yaml"), 1)
        manifests = [Manifest(b, origin) for b in bodies]
        validate_cluster(manifests[:10], VERSION, REPO)  # load the schemas once
        memory = median_seconds(lambda: validate_cluster(manifests, VERSION, REPO), args.runs)

    def line(label: str, seconds: float) -> str:
        return f"  {label:<44} {seconds:7.3f} s  {count / seconds:>10,.0f} resources/s"

    print(f"validate: {count:,} resources in 2 files, Kubernetes {VERSION}, "
          f"median of {args.runs} runs, {os.cpu_count()} CPUs")  # fmt: skip
    print(line("generator validate, cold (no verdict cache)", cold))
    print(line("generator validate, cold, one worker (-n 1)", serial))
    print(line("generator validate, warm (unchanged tree)", warm))
    if kube is not None:
        print(line("kubeconform (same schemas, offline)", kube))
    else:
        print("  kubeconform                                  (no binary on PATH: skipped)")
    print(line("in memory (validate_cluster, as in render)", memory))


if __name__ == "__main__":
    main()
