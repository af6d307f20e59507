"""The no-op path: a rendered/ untouched since the render of the same inputs wrote or checked
it is answered from file metadata, without reading it; any edit, deletion or new file (also
one that keeps the size and sets the modification time back) falls back to the exact
comparison."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator import pipeline, writer
from generator import tree_stamp as stamping
from generator.tree_stamp import tree_stamp
from tests.conftest import run_cli, write_tree

DEPLOYMENT = "rendered/dev-1/010-web/deployment-web.yaml"


def test_an_unchanged_render_reads_no_rendered_file(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0  # writes the index

    def no_reading(*args: object) -> None:
        raise AssertionError("rendered/ was read")

    monkeypatch.setattr(pipeline, "digest_tree", no_reading)
    monkeypatch.setattr(writer, "digest_tree", no_reading)
    monkeypatch.setattr(writer, "read_tree", no_reading)
    render = run_cli(["render", "--repo", str(minimal_repo)])
    assert (render.code, render.out) == (
        0,
        "rendered 7 files for 1 cluster(s): 0 added, 0 changed, 0 removed\n",
    )
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (0, "rendered/ is up to date (7 files)\n")


def same_size_edit(path: Path) -> None:
    """Change one character and set the modification time back: size and mtime as before."""
    before = path.stat()
    text = path.read_text()
    path.write_text(text.replace("replicas: 2", "replicas: 3"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (same_size_edit, f"changed: {DEPLOYMENT}\n"),
        (lambda path: path.unlink(), f"added: {DEPLOYMENT}\n"),
        (
            lambda path: path.with_name("stray.yaml").write_text("x: 1\n"),
            "removed: rendered/dev-1/010-web/stray.yaml\n",
        ),
    ],
    ids=["same-size-edit-with-old-mtime", "deleted", "new-file"],
)
def test_check_still_finds_every_change_to_rendered(
    minimal_repo: Path, change: object, expected: str
) -> None:
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).code == 0
    change(minimal_repo / DEPLOYMENT)  # type: ignore[operator]
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (1, expected)
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    again = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (again.code, again.out) == (0, "rendered/ is up to date (7 files)\n")


def test_changed_inputs_are_never_answered_from_the_index(minimal_repo: Path) -> None:
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).code == 0
    env = minimal_repo / "catalog/environments/dev.yaml"
    env.write_text(env.read_text().replace("replicas: 2", "replicas: 4"))
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (1, f"changed: {DEPLOYMENT}\n")


def test_an_unchanged_render_imports_neither_yaml_nor_rich(minimal_repo: Path) -> None:
    """Their import costs more than the rest of a no-op render's start."""
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    script = (
        "import sys\n"
        "from generator.cli import main\n"
        "try:\n"
        f"    main(['render', '--repo', {str(minimal_repo)!r}])\n"
        "finally:\n"
        "    print(sorted(m for m in ('yaml', 'rich') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert (run.returncode, run.stdout.splitlines()[-1], run.stderr) == (0, "[]", "")


def clusters_tree(root: Path) -> Path:
    """A rendered/ of three clusters with nested folders, a file and a link at the top."""
    files = {f"{c}/010-web/deployment-web.yaml": "replicas: 2\n" for c in "abc"}
    files |= {f"{c}/tenants/t/namespace.yaml": "kind: Namespace\n" for c in "abc"}
    write_tree(root, {**files, "README.md": "x\n"})
    (root / "link").symlink_to("a")
    return root


@pytest.fixture
def forking(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[str]]]:
    """Stamps share their folders among processes here too (an engine of an earlier test may
    have left threads behind); yields the shares given to forked children."""
    shares: list[list[str]] = []
    fork_digests = stamping._fork_digests

    def counted(root: int, share: list[str]) -> tuple[int, int]:
        shares.append(share)
        return fork_digests(root, share)

    monkeypatch.setattr(stamping, "_can_fork", lambda: True)
    monkeypatch.setattr(stamping, "_fork_digests", counted)
    with warnings.catch_warnings():  # Python 3.12+ warns of forking beside other threads
        warnings.simplefilter("ignore", DeprecationWarning)
        yield shares


def test_the_stamp_is_the_same_for_any_number_of_processes(
    tmp_path: Path, forking: list[list[str]]
) -> None:
    root = clusters_tree(tmp_path / "rendered")
    stamps = {processes: tree_stamp(root, processes) for processes in (1, 2, 3, 8)}
    assert len(set(stamps.values())) == 1
    assert forking == [["b"], ["b"], ["c"], ["b"], ["c"]]  # a b c, shared out in turn


def test_a_linked_rendered_folder_is_stamped_through_the_link(tmp_path: Path) -> None:
    root = clusters_tree(tmp_path / "elsewhere")
    (tmp_path / "rendered").symlink_to(root)
    assert tree_stamp(tmp_path / "rendered") == tree_stamp(root)


def test_a_share_whose_child_fails_is_stamped_by_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forking: list[list[str]]
) -> None:
    root = clusters_tree(tmp_path / "rendered")
    alone = tree_stamp(root)

    def failing_child(root: int, share: list[str]) -> tuple[int, int]:
        reader, writer = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - the child
            os._exit(1)
        os.close(writer)
        return child, reader

    def no_fork(root: int, share: list[str]) -> tuple[int, int]:
        raise BlockingIOError("Resource temporarily unavailable")

    monkeypatch.setattr(stamping, "_fork_digests", failing_child)
    assert tree_stamp(root, 3) == alone
    monkeypatch.setattr(stamping, "_fork_digests", no_fork)
    assert tree_stamp(root, 3) == alone


def replace_by_a_link(path: Path) -> None:
    path.unlink()
    path.symlink_to("service.yaml")


CHANGES: dict[str, Callable[[Path], object]] = {
    "same-size-edit-with-old-mtime": same_size_edit,
    "deleted": lambda path: path.unlink(),
    "new-file": lambda path: path.with_name("stray.yaml").write_text("x: 1\n"),
    "new-folder": lambda path: path.with_name("stray").mkdir(),
    "replaced-by-a-link": replace_by_a_link,
}


@pytest.mark.parametrize("processes", [1, 3])
@pytest.mark.parametrize("change", list(CHANGES.values()), ids=list(CHANGES))
def test_every_change_below_a_share_gives_another_stamp(
    tmp_path: Path, forking: list[list[str]], change: Callable[[Path], object], processes: int
) -> None:
    root = clusters_tree(tmp_path / "rendered")
    deployment = root / "c/010-web/deployment-web.yaml"  # the third process's share
    before = tree_stamp(root, processes)
    assert tree_stamp(root, processes) == before
    change(deployment)
    assert tree_stamp(root, processes) != before


def test_only_a_large_tree_is_shared_among_the_usable_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stamping, "usable_cpus", lambda: 4)
    assert stamping.stamp_processes(484) == 1  # the example platform
    assert stamping.stamp_processes(0) == 1
    assert stamping.stamp_processes(60_300) == 4  # a fleet of 100 clusters
    monkeypatch.setattr(stamping, "usable_cpus", lambda: 1)
    assert stamping.stamp_processes(60_300) == 1


# ---------------------------------------------------------------- restamp after a patch

PATCHES: dict[str, tuple[dict[str, str | None], ...]] = {
    # path → new text, None to remove; each step is one write of the writer
    "change": ({"b/010-web/deployment-web.yaml": "replicas: 3\n"},),
    "add in a new folder": ({"b/tenants/u/namespace.yaml": "kind: Namespace\n"},),
    "add a cluster": ({"d/tenants/t/deep/er/x.yaml": "a: 1\n"},),
    "remove and empty a folder": ({"c/tenants/t/namespace.yaml": None},),
    "remove a cluster": (
        {"a/010-web/deployment-web.yaml": None, "a/tenants/t/namespace.yaml": None},
    ),
    "several writes": (
        {"a/010-web/deployment-web.yaml": "replicas: 5\n", "b/new.yaml": "x: 1\n"},
        {"b/new.yaml": None, "c/010-web/service.yaml": "kind: Service\n"},
    ),
}


def patched(root: Path, step: dict[str, str | None]) -> None:
    """What writer._patch does to rendered/: write or replace, remove, drop emptied folders."""
    for rel, text in step.items():
        path = root / rel
        if text is None:
            path.unlink()
            folder = path.parent
            while folder != root and not any(folder.iterdir()):
                folder.rmdir()
                folder = folder.parent
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.with_name(f".{path.name}.new").write_text(text)
            os.replace(path.with_name(f".{path.name}.new"), path)


@pytest.mark.parametrize("steps", list(PATCHES.values()), ids=list(PATCHES))
def test_a_restamp_equals_a_full_stamp_after_a_patch(
    tmp_path: Path, steps: tuple[dict[str, str | None], ...]
) -> None:
    root = clusters_tree(tmp_path / "rendered")
    folders = stamping.folder_digests(root)
    for step in steps:
        patched(root, step)
        folders = stamping.restamp(root, folders, step)
        full = stamping.folder_digests(root)
        assert stamping.stamp_of(folders) == stamping.stamp_of(full)
        assert {p: folders[p] for p in full} == full  # every folder, not only the root


def test_a_restamp_lists_only_the_folders_written_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = clusters_tree(tmp_path / "rendered")
    folders = stamping.folder_digests(root)
    listed: list[str] = []
    listing = stamping._listing

    def counted(folder: int, path: str) -> tuple[bytes, list[str]]:
        listed.append(path)
        return listing(folder, path)

    monkeypatch.setattr(stamping, "_listing", counted)
    step: dict[str, str | None] = {"b/tenants/t/namespace.yaml": "kind: Namespace # 2\n"}
    patched(root, step)
    stamping.restamp(root, folders, step)
    assert sorted(listed) == ["", "b", "b/tenants", "b/tenants/t"]


def test_a_patching_render_records_the_stamp_a_full_walk_finds(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from generator import tree_digests

    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    write_tree(
        minimal_repo,
        {"catalog/operators/010-web.yaml": "namespace: web\nvalues:\n  greeting: hi\n"},
    )
    full_stamps: list[str] = []
    stamp = stamping.tree_stamp

    def counted(root: Path, processes: int = 1) -> str:
        full_stamps.append(str(root))
        return stamp(root, processes)

    monkeypatch.setattr(pipeline, "tree_stamp", counted)
    render = run_cli(["render", "--repo", str(minimal_repo)])
    assert (render.code, render.out) == (
        0,
        "rendered 7 files for 1 cluster(s): 0 added, 1 changed, 0 removed\n",
    )
    assert full_stamps == []  # the patch was restamped, not walked again
    root = minimal_repo / "rendered"
    recalled = tree_digests.recall(minimal_repo, root)
    assert recalled is not None
    assert stamping.stamp_of(recalled.folders) == stamp(root)
    check = run_cli(["render", "--check", "--repo", str(minimal_repo)])
    assert (check.code, check.out) == (0, "rendered/ is up to date (7 files)\n")
