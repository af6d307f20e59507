"""File layout, pruning, partial renders and the atomic swap of rendered/."""

from __future__ import annotations

import json
import os
import signal
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator import writer
from generator.errors import GeneratorError
from generator.model import Manifest, Origin, RenderedFile
from tests.conftest import run_cli, snapshot, write_tree

SRC = Origin(PurePosixPath("charts/x/a.yaml"), 1)


def manifest(kind: str, name: str, namespace: str = "", api: str = "v1") -> Manifest:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return Manifest({"apiVersion": api, "kind": kind, "metadata": meta}, SRC)


def test_file_names_come_from_kind_and_name_in_lower_case() -> None:
    files = writer.layout("c1", "010-x", [manifest("ConfigMap", "Settings", "ns")], [])
    assert [str(f.relpath) for f in files] == ["c1/010-x/configmap-settings.yaml"]


def test_namespace_then_group_join_the_name_only_on_collision() -> None:
    files = writer.layout(
        "c1",
        "010-x",
        [
            manifest("ConfigMap", "a", "one"),
            manifest("ConfigMap", "a", "two"),
            manifest("Certificate", "tls", "one", "cert-manager.io/v1"),
            manifest("Certificate", "tls", "one", "example.com/v1"),
            manifest("ClusterRole", "system:aggregate"),
        ],
        [],
    )
    assert [f.relpath.name for f in files] == [
        "configmap-one-a.yaml",
        "configmap-two-a.yaml",
        "certificate-cert-manager.io-one-tls.yaml",
        "certificate-example.com-one-tls.yaml",
        "clusterrole-system_aggregate.yaml",
    ]


def reference_names(manifests: list[Manifest]) -> list[str]:
    """File names by the layout rule, written plainly: every object's name at its current
    detail is recounted at each level."""

    def stem(m: Manifest, detail: int) -> str:
        parts = [m.kind]
        if detail >= 2:
            parts.append(m.key.group or "core")
        if detail >= 1 and m.namespace:
            parts.append(m.namespace)
        parts.append(m.name)
        return writer.UNSAFE_CHARS.sub("_", "-".join(parts).lower()) + ".yaml"

    detail = [0] * len(manifests)
    for level in (1, 2):
        counts = Counter(stem(m, detail[i]) for i, m in enumerate(manifests))
        for i, m in enumerate(manifests):
            if counts[stem(m, detail[i])] > 1:
                detail[i] = level
    return [stem(m, detail[i]) for i, m in enumerate(manifests)]


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.builds(
            manifest,
            st.sampled_from(["ConfigMap", "configmap", "Role"]),
            st.sampled_from(["a", "A", "a:b", "a b", "one-a"]),
            st.sampled_from(["", "one", "two"]),
            st.sampled_from(["v1", "x.io/v1", "y.io/v1", "x.io/v2"]),
        ),
        max_size=8,
    )
)
def test_file_names_follow_the_collision_rule(manifests: list[Manifest]) -> None:
    names = reference_names(manifests)
    if len(set(names)) < len(names):
        with pytest.raises(GeneratorError, match="would both be written to"):
            writer.layout("c1", "010-x", manifests, [])
    else:
        files = writer.layout("c1", "010-x", manifests, [])
        assert [str(f.relpath) for f in files] == [f"c1/010-x/{n}" for n in names]


def test_header_names_catalog_files_and_source() -> None:
    (f,) = writer.layout(
        "c1", "010-x", [manifest("ConfigMap", "a")], [PurePosixPath("catalog/clusters/c1.yaml")]
    )
    assert f.text.splitlines()[:3] == [
        f"# {writer.HEADER}",
        "# Catalog: catalog/clusters/c1.yaml",
        "# Source: charts/x/a.yaml",
    ]


def rendered(*paths: str) -> list[RenderedFile]:
    return [RenderedFile(PurePosixPath(p), f"{p}\n") for p in paths]


def test_files_no_longer_produced_are_pruned_but_unowned_files_stay(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "rendered", {"README.md": "keep", "old/x.yaml": "x", "c1/010-a/x.yaml": "x"}
    )
    changes = writer.write_tree(root, rendered("c1/010-a/y.yaml"), None)
    assert str(changes) == "1 added, 0 changed, 2 removed"
    assert sorted(snapshot(root)) == ["README.md", "c1/010-a/y.yaml"]


def test_partial_render_replaces_only_the_named_clusters(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "rendered", {"c1/a.yaml": "1", "c2/b.yaml": "2"})
    writer.write_tree(root, rendered("c2/c.yaml"), ["c2"])
    assert snapshot(root) == {"c1/a.yaml": b"1", "c2/c.yaml": b"c2/c.yaml\n"}


def test_unchanged_tree_is_not_touched(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    writer.write_tree(root, rendered("c1/a.yaml"), None)
    inode = root.stat().st_ino
    assert not writer.write_tree(root, rendered("c1/a.yaml"), None)
    assert root.stat().st_ino == inode


def test_a_failure_while_writing_leaves_the_old_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "rendered", {"c1/a.yaml": "old"})
    before = snapshot(root)
    files = rendered("c1/a.yaml", "c1/b.yaml")

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.write_tree(root, files, None)
    assert snapshot(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_an_interrupt_between_the_two_renames_puts_the_old_tree_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "rendered", {"c1/a.yaml": "old"})
    before = snapshot(root)
    real_replace = os.replace
    calls = []

    def second_call_interrupted(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 2:  # the old tree is already retired, the new one not yet in place
            raise KeyboardInterrupt
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", second_call_interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.write_tree(root, rendered("c1/a.yaml", "c1/b.yaml"), None)
    assert snapshot(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_ctrl_c_during_the_swap_waits_until_the_new_tree_is_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_tree(tmp_path / "rendered", {"c1/a.yaml": "old"})
    real_replace = os.replace

    def signalled(source: object, target: object) -> None:
        signal.raise_signal(signal.SIGINT)  # held back until the swap is done
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", signalled)
    with pytest.raises(KeyboardInterrupt):
        writer.write_tree(root, rendered("c1/a.yaml", "c1/b.yaml"), None)
    assert snapshot(root) == {"c1/a.yaml": b"c1/a.yaml\n", "c1/b.yaml": b"c1/b.yaml\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_leftovers_of_a_killed_run_are_cleaned_even_without_changes(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    writer.write_tree(root, rendered("c1/a.yaml"), None)
    write_tree(tmp_path / ".rendered.old-999", {"c1/a.yaml": "old"})
    assert not writer.write_tree(root, rendered("c1/a.yaml"), None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_a_swap_killed_half_way_is_recovered(tmp_path: Path) -> None:
    write_tree(tmp_path / ".rendered.old-123", {"c1/a.yaml": "old"})
    root = tmp_path / "rendered"
    writer.write_tree(root, rendered("c1/a.yaml"), None)
    assert snapshot(root) == {"c1/a.yaml": b"c1/a.yaml\n"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_check_lists_stale_files_and_exits_1(minimal_repo: Path) -> None:
    (minimal_repo / "rendered/dev-1/010-web/configmap-web-settings.yaml").write_text("edited\n")
    (minimal_repo / "rendered/dev-1/010-web/extra.yaml").write_text("x\n")
    (minimal_repo / "rendered/dev-1/010-web/deployment-web.yaml").unlink()
    result = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert result.code == 1
    assert result.out.splitlines() == [
        "added: rendered/dev-1/010-web/deployment-web.yaml",
        "changed: rendered/dev-1/010-web/configmap-web-settings.yaml",
        "removed: rendered/dev-1/010-web/extra.yaml",
    ]
    assert (
        "rendered/ is stale (3 file(s)); run 'generator render' and commit the result" in result.err
    )


def test_check_passes_on_a_fresh_render(minimal_repo: Path) -> None:
    result = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (result.code, result.out, result.err) == (0, "rendered/ is up to date (7 files)\n", "")


def big_tree(tmp_path: Path) -> tuple[Path, list[RenderedFile]]:
    files = rendered(*(f"c1/010-a/f{i}.yaml" for i in range(12)), "c1/020-b/g.yaml")
    root = tmp_path / "rendered"
    writer.write_tree(root, files, None)
    return root, files


def test_a_few_changes_are_patched_in_place(tmp_path: Path) -> None:
    root, files = big_tree(tmp_path)
    inode = root.stat().st_ino
    new = [*files[:11], RenderedFile(PurePosixPath("c1/010-a/f11.yaml"), "changed\n")]
    changes = writer.write_tree(root, [*new, *rendered("c1/030-c/h.yaml")], None)
    assert str(changes) == "1 added, 1 changed, 1 removed"
    assert root.stat().st_ino == inode  # not swapped: only three files were touched
    tree = snapshot(root)
    assert tree["c1/010-a/f11.yaml"] == b"changed\n"
    assert "c1/030-c/h.yaml" in tree
    assert not (root / "c1/020-b").exists()  # emptied by the removal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_a_failure_before_the_patch_commits_leaves_the_old_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = big_tree(tmp_path)
    before = snapshot(root)
    real_replace = os.replace
    calls = []

    def commit_interrupted(source: object, target: object) -> None:
        calls.append(target)
        if len(calls) == 2:  # the journal's commit record
            raise KeyboardInterrupt
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "replace", commit_interrupted)
    with pytest.raises(KeyboardInterrupt):
        writer.write_tree(root, [*files[1:], *rendered("c1/030-c/h.yaml")], None)
    assert snapshot(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_a_patch_killed_after_its_commit_is_completed_by_the_next_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, files = big_tree(tmp_path)
    new = [*files[1:], *rendered("c1/030-c/h.yaml")]

    def killed(root: Path, journal: Path) -> None:
        raise SystemExit(137)  # nothing after the commit runs

    with monkeypatch.context() as patched:
        patched.setattr(writer, "_roll_forward", killed)
        with pytest.raises(SystemExit):
            writer.write_tree(root, new, None)
    assert any(p.name.startswith(".rendered.journal-") for p in tmp_path.iterdir())
    assert not writer.write_tree(root, new, None)  # recovered first: nothing left to do
    assert snapshot(root) == {str(f.relpath): f.text.encode() for f in new}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


def test_a_patch_killed_before_its_commit_leaves_no_temporary_files(tmp_path: Path) -> None:
    root, files = big_tree(tmp_path)
    before = snapshot(root)
    temporary = PurePosixPath("c1/010-a/.f0.yaml.new-999")
    (root / str(temporary)).write_text("half written")
    journal = tmp_path / ".rendered.journal-999"
    journal.write_text(
        json.dumps({"state": "prepare", "moves": [[str(temporary), "c1/010-a/f0.yaml"]]})
    )
    assert not writer.write_tree(root, files, None)
    assert snapshot(root) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered"]


@pytest.mark.parametrize(
    ("umask", "folder", "file"), [(0o022, 0o755, 0o644), (0o027, 0o750, 0o640)]
)
def test_rendered_keeps_the_umasks_modes_after_a_change(
    tmp_path: Path, umask: int, folder: int, file: int
) -> None:
    from tests.conftest import MINIMAL

    repo = tmp_path / "repo"
    old = os.umask(umask)
    try:
        write_tree(repo, MINIMAL)
        assert run_cli(["render", "--repo", str(repo)]).code == 0
        (repo / "catalog/operators/010-web.yaml").write_text(  # a render that changes something
            "namespace: web\nvalues:\n  greeting: changed\n", encoding="utf-8"
        )
        assert run_cli(["render", "--repo", str(repo)]).code == 0
        (repo / "catalog/clusters/dev-2.yaml").write_text(  # and one that adds a cluster folder
            MINIMAL["catalog/clusters/dev-1.yaml"].replace("dev-1", "dev-2"), encoding="utf-8"
        )
        assert run_cli(["render", "--repo", str(repo)]).code == 0
    finally:
        os.umask(old)
    rendered = repo / "rendered"
    modes = {p.stat().st_mode & 0o777 for p in [rendered, *rendered.rglob("*")] if p.is_dir()}
    assert modes == {folder}
    changed = rendered / "dev-1/010-web/deployment-web.yaml"
    assert changed.stat().st_mode & 0o777 == file
