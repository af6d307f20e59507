"""A git revision (or the working tree) → its rendered/ files as [RenderedFile], read through
`git ls-tree`/`git cat-file` or rendered afresh in a temporary worktree; never touches the
user's working tree or index."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.model import Origin, RenderedFile
from generator.paths import read_bytes

RENDERED = "rendered"
YAML_SUFFIXES = (".yaml", ".yml")
WORKING_TREE = "working tree"

# render_all(project, validate=False).files, swappable so the tree readers stay testable alone.
Renderer = Callable[[Path], Sequence[RenderedFile]]


@dataclass(frozen=True, slots=True)
class Checkout:
    """Where the project lives inside its git repository."""

    project: Path  # the folder holding catalog/ and rendered/
    toplevel: Path  # the git work tree root
    prefix: PurePosixPath  # project relative to toplevel ("." when they are the same)


@dataclass(frozen=True, slots=True)
class Revision:
    """A side of a comparison: a commit, or the working tree when sha is empty."""

    label: str  # what the user typed, or "working tree"
    sha: str

    @property
    def short(self) -> str:
        return self.sha[:12] if self.sha else WORKING_TREE


def git(toplevel: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git with hooks disabled; a failure becomes a GeneratorError naming the command."""
    command = ["git", "-c", "core.hooksPath=/dev/null", *args]
    try:
        done = subprocess.run(command, cwd=toplevel, input=stdin, capture_output=True, check=False)
    except FileNotFoundError as e:
        raise GeneratorError(
            "the 'git' command was not found", hint="install git and make sure it is on PATH"
        ) from e
    if done.returncode != 0:
        stderr = done.stderr.decode(errors="replace").strip().splitlines()
        raise GeneratorError(
            f"'{' '.join(command[3:])}' failed: {stderr[-1] if stderr else done.returncode}",
            hint="run the command yourself in the repository to see what git needs",
        )
    return done.stdout


def locate(project: Path) -> Checkout:
    """The git repository around `project`."""
    project = project.resolve()
    if not project.is_dir():
        raise GeneratorError(
            f"'{project}' is not a folder", hint="run from the repository root or pass --repo"
        )
    try:
        top = git(project, "rev-parse", "--show-toplevel").decode().strip()
    except GeneratorError as e:
        raise GeneratorError(
            f"'{project}' is not inside a git repository",
            hint="generator diff compares git revisions: run it in a clone of the platform repo",
        ) from e
    toplevel = Path(top).resolve()
    return Checkout(project, toplevel, PurePosixPath(project.relative_to(toplevel).as_posix()))


def resolve(checkout: Checkout, ref: str) -> Revision:
    """The commit a ref names, or a GeneratorError saying how to make it available."""
    if not ref or ref.startswith("-"):
        raise GeneratorError(
            f"'{ref}' is not a git revision", hint="pass a branch, tag or commit, e.g. origin/main"
        )
    try:
        sha = git(checkout.toplevel, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GeneratorError as e:
        hint = "check the spelling, or fetch it first: git fetch origin"
        if "/" in ref:
            remote, _, branch = ref.partition("/")
            hint = f"check the spelling, or fetch it first: git fetch {remote} {branch}"
        raise GeneratorError(f"unknown git revision '{ref}'", hint=hint) from e
    return Revision(ref, sha.decode().strip())


def project_path(checkout: Checkout, folder: str = RENDERED) -> PurePosixPath:
    """A project folder as a path from the top of the git repository."""
    return checkout.prefix / folder if str(checkout.prefix) != "." else PurePosixPath(folder)


def read_commits(
    checkout: Checkout, shas: Sequence[str], folders: Sequence[str]
) -> dict[tuple[str, str], list[RenderedFile]]:
    """Files under <project>/<folder>/ at each commit, straight from the object database:
    one `git ls-tree` per commit and one `git cat-file` for every distinct blob."""
    prefixes = [project_path(checkout, folder) for folder in folders]
    listed: dict[tuple[str, str], list[tuple[PurePosixPath, str]]] = {}
    for sha in shas:
        for folder in folders:
            listed[(sha, folder)] = []
        pathspecs = [f"{prefix}/" for prefix in prefixes]
        listing = git(
            checkout.toplevel, "ls-tree", "-r", "-z", "--full-tree", sha, "--", *pathspecs
        )
        for entry in listing.split(b"\0"):
            if not entry:
                continue
            meta, _, raw_path = entry.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            path = PurePosixPath(raw_path.decode("utf-8", errors="surrogateescape"))
            # Submodules (commit) and symlinks (120000) carry no manifest of their own.
            if kind != "blob" or mode == "120000" or not path.name.endswith(YAML_SUFFIXES):
                continue
            for folder, prefix in zip(folders, prefixes, strict=True):
                if path.is_relative_to(prefix):
                    listed[(sha, folder)].append((path.relative_to(prefix), oid))
                    break
    # A file unchanged between the commits is one blob, read (and decoded) once.
    objects = sorted({oid for entries in listed.values() for _, oid in entries})
    texts = dict(zip(objects, _cat_blobs(checkout.toplevel, objects), strict=True))
    return {
        (sha, folder): [_decoded(folder, path, texts[oid], sha) for path, oid in entries]
        for (sha, folder), entries in listed.items()
    }


def _cat_blobs(toplevel: Path, objects: list[str]) -> list[bytes]:
    """Contents of many blobs with one `git cat-file --batch` process."""
    if not objects:
        return []
    out = git(toplevel, "cat-file", "--batch", stdin=("\n".join(objects) + "\n").encode())
    blobs: list[bytes] = []
    position = 0
    for _ in objects:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split(b" ")[2])
        start = header_end + 1
        blobs.append(out[start : start + size])
        position = start + size + 1  # the content is followed by a newline
    return blobs


def read_folder(checkout: Checkout, folder: str = RENDERED) -> list[RenderedFile]:
    """Files under <project>/<folder>/ as they are on disk now (the working tree)."""
    root = checkout.project / folder
    files: list[RenderedFile] = []
    for directory, subdirs, names in os.walk(root):
        subdirs.sort()
        for name in sorted(names):
            if name.endswith(YAML_SUFFIXES):
                path = Path(directory, name)
                relpath = PurePosixPath(path.relative_to(root).as_posix())
                shown = f"{folder}/{relpath}"
                # A link out of the repository would put that file's text in the report.
                blob = read_bytes(
                    path, checkout.project, "file", shown, Origin(PurePosixPath(shown))
                )
                files.append(_decoded(folder, relpath, blob, ""))
    return files


def _decoded(folder: str, relpath: PurePosixPath, blob: bytes, sha: str) -> RenderedFile:
    try:
        return RenderedFile(relpath, blob.decode("utf-8"))
    except UnicodeDecodeError as e:
        where = f" in commit {sha[:12]}" if sha else ""
        raise GeneratorError(
            f"{folder}/{relpath}: not UTF-8 text at byte {e.start}{where}",
            hint="save the file as UTF-8 (rendered/ is always UTF-8: re-render it with "
            "`generator render`)",
        ) from e


def read_revisions(
    checkout: Checkout, revisions: Sequence[Revision], folders: Sequence[str]
) -> dict[tuple[str, str], list[RenderedFile]]:
    """Files of each folder by (sha, folder): committed files for a commit, the files on
    disk for the working tree (sha "")."""
    shas = list(dict.fromkeys(r.sha for r in revisions if r.sha))
    found = read_commits(checkout, shas, folders)
    if any(not r.sha for r in revisions):
        found.update({("", folder): read_folder(checkout, folder) for folder in folders})
    return found


@contextmanager
def temporary_worktree(checkout: Checkout, sha: str) -> Iterator[Path]:
    """A detached checkout of `sha` in a temporary folder; the project folder inside it.

    The worktree and its administrative entry under .git/worktrees are removed on exit,
    also when rendering fails.
    """
    parent = Path(tempfile.mkdtemp(prefix="generator-diff-"))
    tree = parent / "tree"
    try:
        git(
            checkout.toplevel,
            "worktree",
            "add",
            "--no-checkout",
            "--detach",
            "--quiet",
            str(tree),
            sha,
        )
        # The project folder but its rendered/, which is read from git and would only cost
        # time to write.
        exclude = f":(exclude){project_path(checkout)}"
        git(tree, "checkout", "--quiet", sha, "--", str(checkout.prefix), exclude)
        yield tree / checkout.prefix
    finally:
        # Best effort, and never in the way of the error that brought us here: whatever
        # `worktree remove` leaves behind, the folder goes and `prune` forgets it.
        with suppress(GeneratorError):
            git(checkout.toplevel, "worktree", "remove", "--force", str(tree))
        shutil.rmtree(parent, ignore_errors=True)
        with suppress(GeneratorError):
            git(checkout.toplevel, "worktree", "prune")


def render_side(checkout: Checkout, revision: Revision, renderer: Renderer) -> list[RenderedFile]:
    """What the catalog of a revision renders to now; the working tree renders in place."""
    try:
        if not revision.sha:
            return sorted(renderer(checkout.project), key=lambda f: f.relpath)
        with temporary_worktree(checkout, revision.sha) as project:
            return sorted(renderer(project), key=lambda f: f.relpath)
    except GeneratorError as e:
        raise GeneratorError(
            f"cannot render revision '{revision.label}' ({revision.short})\n{e}",
            hint="fix the catalog at that revision, or compare the committed rendered/ "
            "trees by leaving out --render",
        ) from e


def pipeline_renderer(project: Path) -> Sequence[RenderedFile]:
    """The real pipeline, without validation (the diff shows change, `validate` judges it)
    but with the rule `render --no-validate` keeps: a plaintext Secret stops the diff as it
    stops render, so no value render refuses reaches a pull request."""
    from generator.pipeline import render_all

    result = render_all(project, validate=False)
    if result.findings:
        raise GeneratorError(
            "render refuses this catalog:\n" + "\n".join(str(f) for f in result.findings)
        )
    return result.files
