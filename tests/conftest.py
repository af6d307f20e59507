"""Shared helpers: build small repositories in tmp_path and run the CLI in-process."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import main

REPO = Path(__file__).resolve().parent.parent  # the tool's checkout
# The example platform the tests render; the root catalog/ belongs to whoever uses the repository.
EXAMPLE = REPO / "tests" / "example"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite expected golden output")


@pytest.fixture(autouse=True)
def _user_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`generator validate` outside a platform repository caches under the user's cache
    folder: point it at one for the whole session, never at the real ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "user-cache"))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create files under root from {relative path: text or bytes}."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@dataclass
class CliResult:
    code: int
    out: str
    err: str


def run_cli(args: list[str]) -> CliResult:
    """Run `generator ARGS` in-process through main(), so exit-code mapping is exercised."""
    runner = CliRunner()
    code = 0
    with runner.isolation() as (out, err, _):
        try:
            main(args)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


MINIMAL = {
    "catalog/platform.yaml": """\
name: demo
domain: demo.example
gitops: {repoURL: https://git.demo.example/fleet.git}
storageClasses:
  kind: {fast: local-path, standard: local-path, bulk: local-path}
values:
  replicas: 1
  image: nginx:1.27.3
""",
    "catalog/environments/dev.yaml": "name: dev\norder: 10\nvalues:\n  replicas: 2\n",
    "catalog/clusters/dev-1.yaml": """\
name: dev-1
environment: dev
provider: kind
kubernetesVersion: 1.31.0
apiServer: https://127.0.0.1:6443
gitops: argocd
""",
    "catalog/operators/010-web.yaml": "namespace: web\nvalues:\n  greeting: hello ${cluster.name}\n",
    "charts/web/deployment.yaml.j2": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {{ values.replicas }}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: {{ values.image }}
          resources:
            requests: {cpu: 10m, memory: 32Mi}
            limits: {cpu: 100m, memory: 64Mi}
          env:
            - {name: GREETING, value: {{ values.greeting | tojson }}}
""",
    "charts/web/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
data:
  mode: "on"
""",
}


@pytest.fixture
def minimal_repo(tmp_path: Path) -> Path:
    """A small valid platform, already rendered once."""
    repo = write_tree(tmp_path / "repo", MINIMAL)
    result = run_cli(["render", "--repo", str(repo)])
    assert result.code == 0, result.err
    return repo


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes, to prove a failed run changed nothing."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def copy_repo(source: Path, target: Path) -> Path:
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", ".generator-cache"),
    )
    return target


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; its output, or CalledProcessError."""
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
