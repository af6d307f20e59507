"""`generator init`: a new platform repository that renders at once, and `init --here`, which
replaces the example platform of a copy of this repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO, run_cli, snapshot, write_tree

REPOSITORY_FILES = [
    ".github/workflows/render-diff.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    "Makefile",
    "README.md",
    "catalog/clusters/dev-1.yaml",
    "catalog/environments/dev.yaml",
    "catalog/operators/010-hello.yaml",
    "catalog/platform.yaml",
    "catalog/tenants/team-a.yaml",
    "charts/hello/templates/deployment.yaml.j2",
    "charts/hello/templates/service.yaml.j2",
    "requirements.txt",
]


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_init_writes_a_repository_that_lints_renders_and_checks(tmp_path: Path) -> None:
    target = tmp_path / "my-platform"
    result = run_cli(["init", str(target)])
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        f"wrote 13 files in {target}/:",
        *(f"  {path}" for path in REPOSITORY_FILES),
    ]
    assert files_under(target) == REPOSITORY_FILES
    assert run_cli(["lint", "--repo", str(target)]).code == 0
    rendered = run_cli(["render", "--repo", str(target)])
    count = len(files_under(target / "rendered"))
    assert (rendered.code, rendered.out) == (
        0,
        f"rendered {count} files for 1 cluster(s): {count} added, 0 changed, 0 removed\n",
    )
    assert run_cli(["render", "--check", "--repo", str(target)]).code == 0
    assert (target / "rendered/dev-1/tenants/team-a/namespace-ns-team-a.yaml").is_file()


def test_the_new_repositorys_workflow_comments_like_this_repositorys() -> None:
    ours = yaml.safe_load((REPO / ".github/workflows/render-diff.yml").read_text())
    new = yaml.safe_load(
        (REPO / "generator/starter/repo/dot-github/workflows/render-diff.yml").read_text()
    )
    (our_job,), (new_job,) = ours["jobs"].values(), new["jobs"].values()
    assert new[True] == ours[True]  # pull requests and pushes to main
    assert [s for s in new_job["steps"] if "make check" in s.get("run", "")]
    assert new_job["steps"][-2:] == our_job["steps"][-2:]  # the diff and the sticky comment


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    target = write_tree(tmp_path / "p", {"Makefile": "all:\n", "catalog/platform.yaml": "x: 1\n"})
    result = run_cli(["init", str(target)])
    assert (result.code, result.out, result.err) == (
        2,
        "",
        f"error: init would overwrite 2 existing file(s) in '{target}': Makefile, catalog/platform.yaml\n"
        "  hint: pass --force to overwrite them, or name an empty or new folder\n",
    )
    assert files_under(target) == ["Makefile", "catalog/platform.yaml"]
    assert (target / "Makefile").read_text() == "all:\n"


def test_init_lists_at_most_five_existing_files(tmp_path: Path) -> None:
    target = tmp_path / "p"
    assert run_cli(["init", str(target)]).code == 0
    result = run_cli(["init", str(target)])
    assert result.err == (
        f"error: init would overwrite 13 existing file(s) in '{target}': .github/workflows/render-diff.yml, "
        ".gitignore, .pre-commit-config.yaml, Makefile, README.md and 8 more\n"
        "  hint: pass --force to overwrite them, or name an empty or new folder\n"
    )


def test_init_force_overwrites(tmp_path: Path) -> None:
    target = write_tree(tmp_path / "p", {"Makefile": "all:\n", "notes.txt": "mine\n"})
    assert run_cli(["init", "--force", str(target)]).code == 0
    assert files_under(target) == sorted([*REPOSITORY_FILES, "notes.txt"])
    assert "GENERATOR ?=" in (target / "Makefile").read_text()


@pytest.fixture
def example_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "fork"
    for folder in ("catalog", "charts", "overlays", "rendered"):
        shutil.copytree(EXAMPLE / folder, copy / folder)
    write_tree(copy, {"Makefile": "# the fork's own\n"})
    return copy


def test_init_here_replaces_the_example_platform(example_copy: Path) -> None:
    result = run_cli(["init", "--here", str(example_copy)])
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        "removed the example platform: catalog/, charts/, overlays/, rendered/"
    )
    assert files_under(example_copy) == ["Makefile", *REPOSITORY_FILES[5:12]]
    assert (example_copy / "Makefile").read_text() == "# the fork's own\n"
    assert run_cli(["render", "--repo", str(example_copy)]).code == 0


def test_init_here_refuses_to_delete_another_platform(example_copy: Path) -> None:
    platform = example_copy / "catalog/platform.yaml"
    platform.write_text(platform.read_text().replace("name: acme-platform", "name: ours"))
    before = snapshot(example_copy)
    result = run_cli(["init", "--here", str(example_copy)])
    assert (result.code, result.err) == (
        2,
        "error: catalog/platform.yaml: catalog/ holds 'ours', not the example platform "
        "'acme-platform': init --here would delete it\n"
        "  hint: pass --force to replace it anyway, or run 'generator init DIR' for a new repository\n",
    )
    assert snapshot(example_copy) == before
    assert run_cli(["init", "--here", "--force", str(example_copy)]).code == 0
    assert "name: my-platform" in platform.read_text()


@pytest.mark.parametrize(
    "text", ["name: [unclosed\n", "- a list\n", "name: " + "[" * 2000 + "]" * 2000 + "\n"]
)
def test_init_here_refuses_an_unreadable_platform_too(example_copy: Path, text: str) -> None:
    (example_copy / "catalog/platform.yaml").write_text(text)
    result = run_cli(["init", "--here", str(example_copy)])
    assert (result.code, result.err) == (
        2,
        "error: catalog/platform.yaml: catalog/ holds a platform, not the example platform "
        "'acme-platform': init --here would delete it\n"
        "  hint: pass --force to replace it anyway, or run 'generator init DIR' for a new repository\n",
    )
    assert (example_copy / "rendered").is_dir()
