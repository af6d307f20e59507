"""`render --shard I/N` and `render --merge-shards`: shards rendered apart and merged equal one
full render byte for byte."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.shards import shard_clusters
from tests.conftest import EXAMPLE, copy_repo, run_cli, snapshot


def test_clusters_are_dealt_out_by_sorted_name() -> None:
    names = ["mgmt", "eks-prod", "kind-local", "linode-sandbox"]
    assert shard_clusters(names, 1, 2) == ["eks-prod", "linode-sandbox"]
    assert shard_clusters(names, 2, 2) == ["kind-local", "mgmt"]
    assert shard_clusters(names, 3, 3) == ["linode-sandbox"]


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The example rendered as three shards, each in its own checkout with rendered/ removed."""
    folders = []
    for index in (1, 2, 3):
        repo = copy_repo(EXAMPLE, tmp_path_factory.mktemp(f"shard{index}") / "repo")
        shutil.rmtree(repo / "rendered")
        result = run_cli(["-q", "render", "--repo", str(repo), "--shard", f"{index}/3"])
        assert result.code == 0, result.err
        folders.append(repo / "rendered")
    return folders


def test_sharded_and_merged_equals_one_full_render(shards: list[Path], tmp_path: Path) -> None:
    full = copy_repo(EXAMPLE, tmp_path / "full")
    shutil.rmtree(full / "rendered")
    assert run_cli(["-q", "render", "--repo", str(full), "--no-cache"]).code == 0
    merged = copy_repo(EXAMPLE, tmp_path / "merged")
    (merged / "rendered/eks-prod/stale.yaml").write_text("left from an older render\n")
    result = run_cli(["render", "--repo", str(merged), "--merge-shards", *map(str, shards)])
    assert (result.code, result.out, result.err) == (
        0,
        "merged 3 shard(s) into rendered/: 0 added, 0 changed, 1 removed\n",
        "",
    )
    assert snapshot(merged / "rendered") == snapshot(full / "rendered")
    assert {p.name for p in (shards[0]).iterdir()} == {".shard", "eks-prod", "mgmt"}


def test_shards_out_of_order_are_refused(shards: list[Path], tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    before = snapshot(repo / "rendered")
    swapped = [shards[1], shards[0], shards[2]]
    result = run_cli(["render", "--repo", str(repo), "--merge-shards", *map(str, swapped)])
    assert result.code == 2
    assert result.err == (
        f"error: --merge-shards: '{shards[1]}' holds shard 2/3, expected shard 1/3\n"
        "  hint: give the rendered/ folders of all 3 shards of one run, in order "
        "(--shard 1/N first)\n"
    )
    assert snapshot(repo / "rendered") == before


@pytest.mark.parametrize("shard", ["0/2", "3/2", "1", "a/b"])
def test_a_bad_shard_is_refused(shard: str, tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    before = snapshot(repo / "rendered")
    result = run_cli(["render", "--repo", str(repo), "--shard", shard])
    assert result.code == 2
    assert result.err == (
        f"error: --shard '{shard}' is not of the form I/N with 1 <= I <= N\n"
        "  hint: write the shard's number and the number of shards, e.g. --shard 2/4\n"
    )
    assert snapshot(repo / "rendered") == before


def test_shard_options_do_not_mix(tmp_path: Path) -> None:
    result = run_cli(["render", "--repo", str(tmp_path), "--shard", "1/2", "--cluster", "a"])
    assert result.code == 2
    assert "--shard and --cluster exclude each other" in result.err
