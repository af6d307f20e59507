"""End to end: the example platform is its own golden, renders are deterministic."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, copy_repo, run_cli, snapshot


def test_example_platform_matches_committed_rendered_tree() -> None:
    result = run_cli(["render", "--check", "--no-cache", "--repo", str(EXAMPLE)])
    assert result.code == 0, result.out + result.err


def test_rendered_objects_carry_common_labels_and_namespaces(minimal_repo: Path) -> None:
    text = (minimal_repo / "rendered/dev-1/010-web/deployment-web.yaml").read_text()
    assert "  namespace: web\n" in text
    for label in (
        "app.kubernetes.io/managed-by: platform-generator",
        "app.kubernetes.io/part-of: demo",
        "platform.generator/cluster: dev-1",
        "platform.generator/component: web",
    ):
        assert f"    {label}\n" in text
    assert (
        '  mode: "on"\n'
        in (minimal_repo / "rendered/dev-1/010-web/configmap-web-settings.yaml").read_text()
    )


def test_renders_are_byte_identical_across_hash_seeds_locales_and_time_zones(
    tmp_path: Path,
) -> None:
    trees = []
    # Hash seed, time zone, locale and working directory differ between machines and runs.
    for seed, tz, lang in (
        ("0", "UTC", "C"),
        ("1", "Asia/Tokyo", "C.UTF-8"),
        ("4242", "America/Lima", "POSIX"),
    ):
        repo = copy_repo(EXAMPLE, tmp_path / f"seed-{seed}")
        (repo / "rendered").rename(tmp_path / f"committed-{seed}")  # render from scratch
        env = {**os.environ, "PYTHONHASHSEED": seed, "TZ": tz, "LANG": lang, "LC_ALL": lang}
        subprocess.run(
            [sys.executable, "-m", "generator", "-q", "render", "--no-cache", "--repo", "."],
            check=True,
            env=env,
            cwd=repo,
        )
        trees.append(snapshot(repo / "rendered"))
    assert trees[0] == trees[1] == trees[2] == snapshot(tmp_path / "committed-0")
    assert len(trees[0]) > 100


def test_unchanged_inputs_are_served_from_the_cache_and_any_change_misses(
    minimal_repo: Path,
) -> None:
    from generator import render_cache

    (cached,) = (minimal_repo / render_cache.CACHE_DIR).glob("*.json")
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).code == 0
    (minimal_repo / "catalog/environments/dev.yaml").write_text(
        "name: dev\norder: 10\nvalues:\n  replicas: 5\n"
    )
    result = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (result.code, result.out) == (1, "changed: rendered/dev-1/010-web/deployment-web.yaml\n")
    assert cached.exists()


def test_a_new_empty_overlay_folder_misses_the_cache(minimal_repo: Path) -> None:
    (minimal_repo / "overlays/environments/dve").mkdir(parents=True)
    result = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert result.code == 2
    assert "overlays/environments/dve" in result.err


def test_a_changed_target_of_a_symlinked_templates_folder_misses_the_cache(
    minimal_repo: Path,
) -> None:
    configmap = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: {}\n"
    shared = minimal_repo / "common/templates"
    shared.mkdir(parents=True)
    (shared / "cm.yaml").write_text(configmap.format("ONE"))
    (minimal_repo / "catalog/operators/020-linked.yaml").write_text("namespace: linked\n")
    (minimal_repo / "charts/linked").mkdir()
    (minimal_repo / "charts/linked/Chart.yaml").write_text(
        "apiVersion: v2\nname: linked\nversion: 0.1.0\n"
    )
    (minimal_repo / "charts/linked/templates").symlink_to("../../common/templates")
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    (shared / "cm.yaml").write_text(configmap.format("TWO"))
    result = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (result.code, result.out) == (
        1,
        "changed: rendered/dev-1/020-linked/configmap-c.yaml\n",
    )


def test_another_version_of_an_output_shaping_library_misses_the_cache(
    minimal_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import render_cache

    before = render_cache.fingerprint(minimal_repo, (), True)
    assert "jinja2=" in render_cache.library_versions()
    (tmp_path / "site" / "Jinja2-99.0.0.dist-info").mkdir(parents=True)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert render_cache.fingerprint(minimal_repo, (), True) != before
    assert "jinja2=99.0.0" in render_cache.library_versions()
