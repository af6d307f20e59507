"""`--shard I/N` → the clusters of that shard; the rendered/ trees of N shards → one rendered/,
swapped in atomically.

Clusters are dealt out by their sorted names: cluster k (from 0) belongs to shard k mod N + 1.
A shard's render leaves a `.shard` file (`I/N`) at the top of its rendered/, so the merge can
check that it was given every shard, each once, in order, and takes from each only its
clusters: the rest of a shard's tree is whatever its checkout held.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.model import RenderedFile
from generator.writer import TreeChanges, read_tree, write_tree

MARKER = ".shard"
_SHARD = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")


def parse_shard(text: str) -> tuple[int, int]:
    """`2/4` → (2, 4)."""
    match = _SHARD.fullmatch(text)
    if not match or int(match[1]) > int(match[2]):
        raise GeneratorError(
            f"--shard '{text}' is not of the form I/N with 1 <= I <= N",
            hint="write the shard's number and the number of shards, e.g. --shard 2/4",
        )
    return int(match[1]), int(match[2])


def shard_clusters(names: Sequence[str], index: int, count: int) -> list[str]:
    return [name for k, name in enumerate(sorted(names)) if k % count == index - 1]


def mark(rendered: Path, index: int, count: int) -> None:
    (rendered / MARKER).write_text(f"{index}/{count}\n", encoding="utf-8")


def merge_shards(repo: Path, names: Sequence[str], folders: Sequence[Path]) -> TreeChanges:
    """rendered/ from the shards' rendered/ folders, given in shard order."""
    count = len(folders)
    files: list[RenderedFile] = []
    for index, folder in enumerate(folders, start=1):
        try:
            marker = (folder / MARKER).read_text(encoding="utf-8").strip()
        except OSError:
            marker = ""
        if marker != f"{index}/{count}":
            found = f"shard {marker}" if marker else f"no {MARKER} file"
            raise GeneratorError(
                f"--merge-shards: '{folder}' holds {found}, expected shard {index}/{count}",
                hint=f"give the rendered/ folders of all {count} shards of one run, in order "
                "(--shard 1/N first)",
            )
        mine = shard_clusters(names, index, count)
        tree = read_tree(folder, mine)
        missing = [name for name in mine if not (folder / name).is_dir()]
        if missing:
            raise GeneratorError(
                f"--merge-shards: shard {index}/{count} in '{folder}' has no folder for "
                f"cluster '{missing[0]}'",
                hint="render every shard from the same catalog as this checkout",
            )
        files += [RenderedFile(PurePosixPath(p), text) for p, text in sorted(tree.items())]
    return write_tree(repo / "rendered", files, None)
