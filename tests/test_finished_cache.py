"""The finished-unit cache: after each kind of input change, a render that reuses finished
units (overlaid, checked and laid out by an earlier render) gives the files, findings and
errors of a render that bypasses every cache, and finishes again only the units it must."""

from __future__ import annotations

import pickle
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from generator import finished_cache, pipeline, tree_digests, unit_cache
from generator.errors import GeneratorError
from generator.model import Cluster, Environment, RenderedFile, text_digest
from generator.overlays.scopes import separable
from generator.pipeline import RenderResult, render_all
from tests.conftest import EXAMPLE, copy_repo, run_cli
from tests.test_incremental import MUTATIONS, create, edit


def outcome(repo: Path, *, use_cache: bool) -> tuple[dict[str, str], list[str]] | str:
    """Files and findings of a validated render, or its error."""
    try:
        result = render_all(repo, use_cache=use_cache)
    except GeneratorError as e:
        return str(e)
    return texts(result), [str(f) for f in result.findings]


def texts(result: RenderResult) -> dict[str, str]:
    return {str(f.relpath): f.text for f in result.files}


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example platform with its unit and finished caches filled by a validated render."""
    repo = copy_repo(EXAMPLE, tmp_path_factory.mktemp("warm") / "repo")
    render_all(repo)
    return repo


@pytest.fixture
def repo(warm: Path, tmp_path: Path) -> Path:
    copy = copy_repo(warm, tmp_path / "repo")
    for folder in (unit_cache.UNITS_DIR, finished_cache.FINISHED_DIR):
        shutil.copytree(warm / folder, copy / folder)
    return copy


# A ConfigMap and a Deployment of the kind-local cluster, for overlays that target them.
CONFIG_MAP = "envoy-gateway-config"
MORE: dict[str, Callable[[Path], None]] = {
    # what every unit of a cluster sees of the others changes: all of them finish again
    "cluster role added": create(
        "charts/priority-classes/reader.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        "  name: extra-reader\nrules:\n- apiGroups: ['']\n  resources: [pods]\n"
        "  verbs: [get]\n",
    ),
    "policy finding added": create(
        "charts/priority-classes/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug\n  namespace: default\nspec:\n"
        "  hostNetwork: true\n  containers:\n  - name: c\n    image: busybox:1.36\n",
    ),
    # a rename is followed by references in other units: the cluster is finished whole
    "renaming cluster overlay": create(
        "overlays/clusters/kind-local/kustomization.yaml",
        "patches:\n- target: {kind: ConfigMap, name: " + CONFIG_MAP + "}\n"
        "  patch: '[{op: replace, path: /metadata/name, value: renamed}]'\n",
    ),
    "overlay target matching nothing": create(
        "overlays/clusters/kind-local/kustomization.yaml",
        "patches:\n- target: {kind: Deployment, name: nothing-here}\n"
        "  patch: '[{op: add, path: /metadata/labels/x, value: y}]'\n",
    ),
    "same object in two units": create(
        "charts/priority-classes/dupe.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n"
        "  name: cert-manager-controller\nrules: []\n",
    ),
}


@pytest.mark.parametrize("name", [*MUTATIONS, *MORE])
def test_a_render_reusing_finished_units_equals_a_full_render(repo: Path, name: str) -> None:
    change = MUTATIONS[name][0] if name in MUTATIONS else MORE[name]
    before = outcome(repo, use_cache=False)
    change(repo)
    full = outcome(repo, use_cache=False)
    assert full != before  # the change reached the output, so the test can fail
    assert outcome(repo, use_cache=True) == full


def test_one_tenant_changed_finishes_only_that_tenant(repo: Path) -> None:
    edit("catalog/tenants/payments.yaml", 'cpu: "8"', 'cpu: "9"')(repo)
    result = render_all(repo)
    # prod sets its own quota for the tenant: the change reaches the two other clusters
    assert result.work["finished"] == result.work["rendered"] == 2
    assert result.work["in all"] > 10 * result.work["finished"]


def test_an_unchanged_render_finishes_nothing_again(repo: Path) -> None:
    result = render_all(repo)
    assert result.work["rendered"] == result.work["finished"] == 0


def test_texts_of_reused_units_are_read_only_when_asked_for(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Comparing with rendered/ needs digests; a text is read from its entry on demand, and an
    entry gone by then (another process pruned it) is an error that says what to do."""
    monkeypatch.setattr(pipeline, "WHOLE_CACHE_MAX_FILES", 0)  # a fleet: no copy of it all
    edit("catalog/tenants/payments.yaml", 'cpu: "8"', 'cpu: "9"')(repo)
    result = render_all(repo)
    plain = render_all(repo, use_cache=False)
    assert tree_digests.of(result.files) == tree_digests.of(plain.files)
    fresh = [f for f in result.files if "tenants/payments" in f.path]
    assert fresh
    assert all(f.text for f in fresh)  # finished by this render: in memory
    shutil.rmtree(repo / finished_cache.FINISHED_DIR)
    reused = next(f for f in result.files if "tenants/" not in f.path)
    with pytest.raises(GeneratorError) as raised:
        _ = reused.text
    assert "a cache entry this render used has gone or changed since" in str(raised.value)
    assert "render again, or render with --no-cache" in str(raised.value)


def test_a_reused_unit_restores_a_hand_edited_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """rendered/ edited by hand: the writer reads the tree and the reused unit's texts."""
    monkeypatch.setattr(pipeline, "WHOLE_CACHE_MAX_FILES", 0)
    render_all(repo)  # fills the unit caches of the copy
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    edited = next((repo / "rendered").glob("*/010-*/*.yaml"))
    original = edited.read_text(encoding="utf-8")
    edited.write_text(original + "# by hand\n", encoding="utf-8")
    edit("catalog/tenants/payments.yaml", 'cpu: "8"', 'cpu: "9"')(repo)
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    assert edited.read_text(encoding="utf-8") == original
    assert render_all(repo).work.get("finished", 0) == 0


def test_a_file_from_the_cache_equals_the_same_file_in_memory(tmp_path: Path) -> None:
    text = "apiVersion: v1\nkind: ConfigMap\n"

    class Source:
        def text(self, index: int) -> str:
            return [text][index]

    stored = RenderedFile("c1/010-a/cm.yaml", digest=text_digest(text), source=(Source(), 0))
    plain = RenderedFile(PurePosixPath("c1/010-a/cm.yaml"), text)
    assert stored == plain
    assert hash(stored) == hash(plain)
    assert (stored.digest, stored.relpath, stored.path) == (plain.digest, plain.relpath, plain.path)
    assert pickle.loads(pickle.dumps(stored)) == plain
    with pytest.raises(TypeError):
        RenderedFile("c1/010-a/cm.yaml", digest=text_digest(text))


def test_corrupt_finished_entries_are_finished_again(repo: Path) -> None:
    for entry in (repo / finished_cache.FINISHED_DIR).glob("??/*"):
        entry.write_bytes(b"not a pickle")
    assert outcome(repo, use_cache=True) == outcome(repo, use_cache=False)


@pytest.mark.parametrize(
    ("kustomization", "expected"),
    [
        ("commonAnnotations: {a: b}\nimages:\n- {name: x, newTag: '2'}\n", True),
        ("labels:\n- pairs: {a: b}\nreplicas:\n- {name: x, count: 2}\n", True),
        (
            "patches:\n- target: {kind: Deployment}\n  patch: '[{op: add, path: /spec/x, "
            "value: 1}]'\n",
            True,
        ),
        ("namePrefix: p-\n", False),
        ("namespace: other\n", False),
        (
            "patches:\n- target: {kind: ConfigMap}\n  patch: '[{op: replace, path: "
            "/metadata/name, value: n}]'\n",
            False,
        ),
        (
            "patches:\n- target: {kind: ConfigMap}\n  patch: '[{op: move, from: "
            "/metadata/namespace, path: /data/ns}]'\n",
            False,
        ),
        (
            "patches:\n- patch: |\n    apiVersion: v1\n    kind: ConfigMap\n"
            "    metadata: {name: c}\n    data: {a: b}\n",
            False,
        ),
        (
            "patches:\n- target: {kind: ConfigMap}\n  options: {allowNameChange: true}\n"
            "  patch: |\n    apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: c}\n",
            False,
        ),
        ("replacements: []\n", False),
        ("configMapGenerator:\n- {name: c, literals: [a=b]}\n", False),
    ],
)
def test_separable_overlays_change_each_object_on_its_own(
    tmp_path: Path, kustomization: str, expected: bool
) -> None:
    folder = tmp_path / "overlays" / "clusters" / "c1"
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text(kustomization, encoding="utf-8")
    cluster = Cluster.__new__(Cluster)
    object.__setattr__(cluster, "name", "c1")
    environment = Environment.__new__(Environment)
    object.__setattr__(environment, "name", "e1")
    assert separable(tmp_path, cluster, environment) is expected


def test_worker_processes_fill_and_reuse_the_cache_alike(repo: Path) -> None:
    """Clusters rendered in two workers read and write the same entries a serial render does."""
    edit("catalog/tenants/payments.yaml", 'cpu: "8"', 'cpu: "9"')(repo)
    parallel = render_all(repo, jobs=2)
    assert parallel.work["finished"] == 2
    assert (texts(parallel), [str(f) for f in parallel.findings]) == outcome(repo, use_cache=False)
    assert render_all(repo, jobs=2).work.get("finished", 0) == 0
