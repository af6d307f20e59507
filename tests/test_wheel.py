"""The built wheel, installed in a fresh virtual environment outside the checkout, carries
everything it needs (catalog schemas, GitOps CRD schemas, Jsonnet libraries, the starter):
`generator init`, then `make render` and `make test` in the new repository, `lint`, and
`validate` of the output, all with the wheel's code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO


def run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_wheel_installed_outside_the_checkout_starts_a_platform(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # The wheel, built as a release would be, from a copy of what the build reads (an
    # in-tree build would leave build/ in the checkout, and stale files in later wheels).
    source = tmp_path / "source"
    shutil.copytree(
        REPO / "generator", source / "generator", ignore=shutil.ignore_patterns("__pycache__")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path / "dist"), str(source)],
        tmp_path, env,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("platform_generator-*.whl")
    # A fresh venv. Its dependencies come from this environment's site-packages through a .pth
    # line, which adds the folder but runs none of its .pth files: the editable install of the
    # checkout stays invisible, and `generator` can only come from the wheel.
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp_path, env)
    python = venv / "bin" / "python"
    (site,) = (venv / "lib").glob("python*/site-packages")
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", str(wheel)],
        tmp_path, env,
    )  # fmt: skip
    imported = run(
        [str(python), "-c", "import generator; print(generator.__file__)"], tmp_path, env
    )
    assert Path(imported.strip()).is_relative_to(site), imported

    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    run(["generator", "init", "my-platform"], tmp_path, env)
    platform = tmp_path / "my-platform"
    assert "generator render" in run(["make", "render"], platform, env)
    out = run(["make", "test"], platform, env)
    count = sum(1 for p in (platform / "rendered").rglob("*.yaml"))
    assert f"rendered/ is up to date ({count} files)" in out
    assert not (platform / ".venv").exists()  # make used the generator on PATH
    assert "1 clusters, 1 operators, 1 tenants" in run(["generator", "lint"], platform, env)
    # Outside the repository too: the shipped Argo CD schemas come with the wheel.
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    summary = run(["generator", "validate", "-summary", str(platform / "rendered")], tmp_path, env)
    assert (
        f"{count} resources found in {count} files - Valid: {count}, Invalid: 0, Errors: 0, "
        "Skipped: 0" in summary
    )
