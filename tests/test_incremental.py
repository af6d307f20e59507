"""The per-unit render cache: after each kind of input change, a render that reuses cached
units is byte-identical to a render that bypasses every cache, and re-renders only the units
that read the change."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import unit_cache
from generator.pipeline import RenderResult, render_all
from generator.render_cache import CACHE_DIR
from tests.conftest import EXAMPLE, copy_repo


def texts(result: RenderResult) -> dict[str, str]:
    return {str(f.relpath): f.text for f in result.files}


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The example platform with its unit cache filled by one render, and that render."""
    repo = copy_repo(EXAMPLE, tmp_path_factory.mktemp("warm") / "repo")
    return repo, texts(render_all(repo, validate=False))


@pytest.fixture
def before(warm: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return warm[1]


@pytest.fixture
def repo(warm: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    copy = copy_repo(warm[0], tmp_path / "repo")
    shutil.copytree(warm[0] / unit_cache.UNITS_DIR, copy / unit_cache.UNITS_DIR)
    return copy


def edit(rel: str, old: str, new: str) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        path = repo / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return change


def create(rel: str, text: str) -> Callable[[Path], None]:
    def change(repo: Path) -> None:
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")

    return change


def shadow_shipped_library(repo: Path) -> None:
    """charts/lib/k8s.libsonnet, where none was, wins over the shipped library."""
    shipped = Path(unit_cache.__file__).parent / "jsonnet" / "k8s.libsonnet"
    text = shipped.read_text(encoding="utf-8")
    text = text.replace("'app.kubernetes.io/instance': name,", "'app.kubernetes.io/instance': 'x',")
    create("charts/lib/k8s.libsonnet", text)(repo)


MUTATIONS: dict[str, tuple[Callable[[Path], None], set[str]]] = {
    # name: (change, engines that must run again; every other unit comes from the cache)
    "tenant file": (edit("catalog/tenants/payments.yaml", 'cpu: "8"', 'cpu: "9"'), {"jsonnet"}),
    "operator values": (
        edit("catalog/operators/070-keda.yaml", "pollingInterval: 30", "pollingInterval: 31"),
        {"helm"},
    ),
    "environment values": (
        edit("catalog/environments/staging.yaml", "logLevel: info", "logLevel: warn"),
        {"plain", "jinja", "jsonnet", "helm"},
    ),
    "cluster file": (
        edit("catalog/clusters/eks-prod.yaml", "region: eu-west-1", "region: eu-west-2"),
        {"plain", "jinja", "jsonnet", "helm"},
    ),
    "jinja include": (
        edit("charts/observability/templates/_common.j2", "instance: observability", "instance: o"),
        {"jinja"},
    ),
    "jinja template removed": (
        lambda r: (r / "charts/observability/templates/loki.yaml.j2").unlink(),
        {"jinja"},
    ),
    "file added to a plain component": (
        create(
            "charts/priority-classes/extra.yaml",
            "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata:\n"
            "  name: extra\nvalue: 5\n",
        ),
        {"plain"},
    ),
    "jsonnet local import": (
        edit("charts/gateway/crds.libsonnet", "shortNames=['gc']", "shortNames=['gcl']"),
        {"jsonnet"},
    ),
    "jsonnet library created where none was": (shadow_shipped_library, {"jsonnet"}),
    "helm template": (
        edit(
            "charts/keda/templates/serviceaccounts.yaml",
            "automountServiceAccountToken: true",
            "automountServiceAccountToken: false",
        ),
        {"helm"},
    ),
    "helm values.yaml": (
        edit("charts/keda/values.yaml", "  enabled: false\n  port", "  enabled: true\n  port"),
        {"helm"},
    ),
    # the example's dev image tag moved into the catalog: the environment overlay is new here
    "environment overlay": (
        create(
            "overlays/environments/dev/kustomization.yaml",
            "images:\n- name: registry.acme.example/envoyproxy/gateway\n  newTag: v1.3.1\n",
        ),
        set(),
    ),
    "unit overlay file": (
        edit("overlays/environments/prod/cert-manager/kustomization.yaml", "count: 2", "count: 3"),
        set(),
    ),
    "cluster overlay created": (
        create(
            "overlays/clusters/kind-local/kustomization.yaml",
            "commonAnnotations: {example.com/owner: platform}\n",
        ),
        set(),
    ),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_incremental_render_equals_a_full_render(
    repo: Path, before: dict[str, str], name: str
) -> None:
    change, engines = MUTATIONS[name]
    change(repo)
    incremental = render_all(repo, validate=False)
    full = render_all(repo, validate=False, use_cache=False)
    assert texts(incremental) == texts(full)
    assert texts(full) != before  # the change reached the output, so the test can fail
    ran = {k.removeprefix("engine:") for k in incremental.timings if k.startswith("engine:")}
    assert ran == engines


def test_a_new_tool_version_misses_every_unit(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(unit_cache, "tool_fingerprint", lambda: "another version")
    shutil.rmtree(repo / CACHE_DIR, ignore_errors=True)
    result = render_all(repo, validate=False)
    ran = {k for k in result.timings if k.startswith("engine:")}
    assert ran == {"engine:plain", "engine:jinja", "engine:jsonnet", "engine:helm"}


def test_a_corrupt_entry_is_rendered_again(repo: Path) -> None:
    for entry in (repo / unit_cache.UNITS_DIR).glob("??/*"):
        entry.write_bytes(b"not a pickle")
    shutil.rmtree(repo / CACHE_DIR, ignore_errors=True)
    assert texts(render_all(repo, validate=False)) == texts(
        render_all(repo, validate=False, use_cache=False)
    )


def test_no_cache_neither_reads_nor_writes_units(tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    render_all(repo, validate=False, use_cache=False)
    assert not (repo / unit_cache.UNITS_DIR).exists()


def fill(folder: Path, count: int) -> list[str]:
    """`count` entries, oldest first by modification time."""
    names = [f"{i:02x}{'0' * 62}" for i in range(count)]
    for age, name in enumerate(names):
        path = folder / name[:2] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"entry")
        os.utime(path, ns=(age * 10**9, age * 10**9))
    return names


def kept(folder: Path) -> set[str]:
    return {p.name for p in folder.glob("??/*")}


def test_pruning_drops_the_oldest_unused_entries_when_four_times_too_many(tmp_path: Path) -> None:
    names = fill(tmp_path, 50)
    used = set(names[:5]) | set(names[40:45])  # 10 used, five of them the oldest
    unit_cache.prune(tmp_path, used, written=0)  # no count yet: the entries are listed
    assert kept(tmp_path) == used | set(names[25:40]) | set(names[45:])  # 30 = 3 x 10 kept
    assert (tmp_path / ".entries").read_text() == "30"


def test_pruning_trusts_its_count_until_it_says_there_are_too_many(tmp_path: Path) -> None:
    names = fill(tmp_path, 50)
    (tmp_path / ".entries").write_text("35")
    unit_cache.prune(tmp_path, set(names[:10]), written=5)  # 40 <= 4 x 10: nothing listed
    assert len(kept(tmp_path)) == 50
    assert (tmp_path / ".entries").read_text() == "40"
    unit_cache.prune(tmp_path, set(names[:10]), written=1)  # 41: listed, pruned to 30
    assert kept(tmp_path) == set(names[:10]) | set(names[30:])
    (tmp_path / ".entries").write_text("not a number")
    unit_cache.prune(tmp_path, set(names[:5]), written=0)  # a bad count: listed again
    assert kept(tmp_path) == set(names[:5]) | set(names[40:])
