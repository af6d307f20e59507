"""Every read goes through generator.paths: a symlink out of the repository is refused unread
(catalog files, main.jsonnet, .engine, kustomization files, Chart.yaml), the render cache
neither reads nor walks what lies outside, and `kind`/`apiVersion` never choose a schema file."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from generator import render_cache
from generator.errors import GeneratorError
from generator.live.schemas_pull import crd_schemas
from generator.paths import is_api_version, is_kind
from generator.validate.schemas import crd_folder_location
from tests.conftest import run_cli, snapshot, write_tree

OUTSIDE_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  x: OUTSIDE\n"
JSONNET = {
    "catalog/operators/020-calc.yaml": "namespace: calc\n",
    "charts/calc/main.jsonnet": (
        "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'calc' }, data: {} }\n"
    ),
}
CATALOG_HINT = (
    "keep catalog files and folders inside the repository: copy them in instead of linking to "
    "them\n"
)
HINT = "keep inputs inside the repository: copy the file in instead of linking to it"


def _outside(tmp: Path) -> Path:
    return write_tree(
        tmp / "outside",
        {
            "operator.yaml": "namespace: leak\n",
            "main.jsonnet": "{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }\n",
            "engine.txt": "OUTSIDE_MARKER_TEXT\n",
            "kustomization.yaml": "resources:\n- cm.yaml\n",
            "cm.yaml": OUTSIDE_CM,
            "Chart.yaml": "apiVersion: v2\nname: leak\nversion: 0.1.0\n",
            "tenants/team.yaml": "owners: [team]\n",
        },
    )


# case: (files written, links (path in the repository, target under outside/), stderr)
CASES = {
    "catalog_file": (
        {},
        [("catalog/operators/020-leak.yaml", "operator.yaml")],
        "error: catalog/operators/020-leak.yaml: catalog file 'catalog/operators/020-leak.yaml' "
        "leaves the repository (it resolves to '{outside}/operator.yaml')\n  hint: " + CATALOG_HINT,
    ),
    # Before: the folder was silently skipped, its tenants missing from the render.
    "catalog_folder": (
        {},
        [("catalog/tenants", "tenants")],
        "error: catalog/tenants: catalog folder 'catalog/tenants' leaves the repository (it "
        "resolves to '{outside}/tenants')\n  hint: " + CATALOG_HINT,
    ),
    "main_jsonnet": (
        {"catalog/operators/020-calc.yaml": "namespace: calc\n", "charts/calc/a.libsonnet": "{}"},
        [("charts/calc/main.jsonnet", "main.jsonnet")],
        "error: charts/calc/main.jsonnet: file 'charts/calc/main.jsonnet' leaves the repository "
        "(it resolves to '{outside}/main.jsonnet')\n  hint: " + HINT + "\n",
    ),
    "jsonnet_engine_marker": (
        JSONNET,
        [("charts/calc/.engine", "engine.txt")],
        "error: charts/calc/.engine:1:1: file 'charts/calc/.engine' leaves the repository (it "
        "resolves to '{outside}/engine.txt')\n  hint: " + HINT + "\n",
    ),
    "kustomization_file": (
        {},
        [("overlays/clusters/dev-1/web/kustomization.yaml", "kustomization.yaml")],
        "error: overlays/clusters/dev-1/web/kustomization.yaml: kustomization file "
        "'overlays/clusters/dev-1/web/kustomization.yaml' leaves the repository (it resolves to "
        "'{outside}/kustomization.yaml')\n  hint: " + HINT + "\n",
    ),
    "helm_chart_yaml": (
        {
            "catalog/operators/020-leak.yaml": "namespace: leak\n",
            "charts/leak/templates/cm.yaml": OUTSIDE_CM,
        },
        [("charts/leak/Chart.yaml", "Chart.yaml")],
        "error: charts/leak/Chart.yaml: chart file 'charts/leak/Chart.yaml' leaves the repository "
        "(it resolves to '{outside}/Chart.yaml')\n  hint: charts may only hold files inside the "
        "repository: copy the file or subchart into the chart folder instead of linking to it\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_link_out_of_the_repository_is_refused_unread(
    minimal_repo: Path, tmp_path: Path, case: str
) -> None:
    files, links, expected = CASES[case]
    outside = _outside(tmp_path)
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    for rel, target in links:
        (minimal_repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (minimal_repo / rel).symlink_to(outside / target)
    for cache in ([], ["--no-cache"]):
        result = run_cli(["render", *cache, "--repo", str(minimal_repo)])
        assert (result.code, result.err) == (2, expected.replace("{outside}", str(outside)))
        assert "OUTSIDE_MARKER_TEXT" not in result.err
    assert snapshot(minimal_repo / "rendered") == before


def test_a_catalog_folder_linked_inside_the_repository_is_read(minimal_repo: Path) -> None:
    write_tree(minimal_repo, {"shared/tenants/team.yaml": "owners: [team]\n"})
    (minimal_repo / "catalog/tenants").symlink_to(minimal_repo / "shared/tenants")
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 0, result.err
    assert (minimal_repo / "rendered/dev-1/tenants/team").is_dir()


def test_a_fifo_in_the_catalog_is_refused_not_waited_on(minimal_repo: Path) -> None:
    import os

    os.mkfifo(minimal_repo / "catalog/operators/020-pipe.yaml")
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (
        2,
        "error: catalog/operators/020-pipe.yaml: catalog file 'catalog/operators/020-pipe.yaml' "
        "is not a regular file\n  hint: replace it with a plain file\n",
    )


def test_the_render_cache_neither_reads_nor_walks_what_lies_outside(
    minimal_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = write_tree(
        tmp_path / "big", {f"d{i}/f{j}.bin": "x" * 10 for i in range(20) for j in range(20)}
    )
    (minimal_repo / "charts/big").symlink_to(big)
    (minimal_repo / "charts/web/mem").symlink_to("/proc/self/mem")
    (minimal_repo / "charts/proc").symlink_to("/proc/self")
    read: list[Path] = []
    original = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    first = render_cache.fingerprint(minimal_repo, (), True)
    package = Path(render_cache.__file__).resolve().parent
    allowed = (minimal_repo.resolve(), package)
    assert [p for p in read if not p.resolve().is_relative_to(allowed[0])] == [
        p for p in read if p.resolve().is_relative_to(allowed[1])
    ]
    assert first == render_cache.fingerprint(minimal_repo, (), True)
    # The link target is part of the key: pointing it elsewhere misses the cache.
    (minimal_repo / "charts/big").unlink()
    (minimal_repo / "charts/big").symlink_to(tmp_path)
    assert render_cache.fingerprint(minimal_repo, (), True) != first
    monkeypatch.undo()
    # /proc/self/mem was an internal error (exit 3); a component that does not use it renders.
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (0, "")
    assert result.out == "rendered 7 files for 1 cluster(s): 0 added, 0 changed, 0 removed\n"


@pytest.mark.parametrize(
    ("kind", "api_version", "valid"),
    [
        ("Deployment", "apps/v1", True),
        ("secret", "V1", True),
        ("Widget", "example.com/v1alpha1", True),
        ("../permissive", "example.com/v1", False),
        ("Widget", "../../v1", False),
        ("Widget", "example.com/../v1", False),
        ("a/b", "v1", False),
        ("Widget", "example..com/v1", False),
        ("", "v1", False),
        ("W" * 64, "v1", False),
    ],
)
def test_kind_and_api_version_are_checked_as_names(
    kind: str, api_version: str, valid: bool
) -> None:
    assert (is_kind(kind) and is_api_version(api_version)) is valid


def test_a_kind_that_is_a_path_picks_no_schema(tmp_path: Path) -> None:
    crds = write_tree(
        tmp_path / "repo/schemas/crds",
        {"permissive_v1.json": '{"type": "object"}', "example.com/widget_v1.json": "{}"},
    )
    location = crd_folder_location(crds, "1.31.0", False)
    assert location.find("Widget", "example.com/v1") is not None
    assert location.find("../permissive", "example.com/v1") is None


def test_a_render_does_not_validate_against_a_schema_a_kind_points_at(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            "schemas/crds/permissive_v1.json": '{"type": "object"}',
            "charts/web/odd.yaml": (
                "apiVersion: example.com/v1\nkind: ../permissive\nmetadata:\n  name: odd\n"
            ),
        },
    )
    before = snapshot(minimal_repo / "rendered")
    result = run_cli(["render", "--repo", str(minimal_repo)])
    # the kind is refused as a name as soon as the engine returns the object, before any
    # stage builds a path from it (the schema lookup's own check is tested above)
    assert (result.code, result.err) == (
        2,
        "error: charts/web/odd.yaml:1: dev-1/web: kind '../permissive' is not a Kubernetes "
        "kind\n  hint: write the kind in CamelCase letters and digits, at most 63 characters\n",
    )
    assert snapshot(minimal_repo / "rendered") == before


def test_schemas_pull_writes_no_file_named_by_a_path_like_kind() -> None:
    crd: dict[str, Any] = {
        "metadata": {"name": "evil.example.com"},
        "spec": {
            "group": "example.com",
            "names": {"kind": "../../../etc/x"},
            "versions": [{"name": "v1", "served": True, "schema": {"openAPIV3Schema": {}}}],
        },
    }
    with pytest.raises(GeneratorError) as raised:
        crd_schemas(crd)
    assert str(raised.value) == (
        "CustomResourceDefinition 'evil.example.com' declares kind '../../../etc/x' in group "
        "'example.com', version 'v1': not a valid Kubernetes type name\n  hint: the API server "
        "never serves such a CRD: check which cluster the context points at"
    )
    crd["spec"]["names"]["kind"] = "Widget"
    assert [str(f.relpath) for f in crd_schemas(crd)] == [
        "example.com/widget_v1.json",
        "example.com/widget_v1-strict.json",
    ]


def test_the_per_unit_cache_reads_nothing_a_link_leads_to(
    minimal_repo: Path, tmp_path: Path
) -> None:
    from generator.unit_cache import Digests

    big = write_tree(tmp_path / "big", {"a/b.txt": "outside"})
    (minimal_repo / "charts/web/linked").symlink_to(big)
    (minimal_repo / "charts/web/mem").symlink_to("/proc/self/mem")
    digests = Digests(minimal_repo)
    assert digests.file(PurePosixPath("charts/web/mem")) == "-> /proc/self/mem"
    assert digests.folder(PurePosixPath("charts/web/linked")) == f"-> {big}"
    assert len(digests.folder(PurePosixPath("charts/web"))) == 64  # walked, the links unread
