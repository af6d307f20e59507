"""(options fingerprint, document bytes) → cached verdicts, kept in one JSON file per
fingerprint under the cache folder, so re-validating an unchanged tree skips YAML parsing."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from generator.validate.core import Result, Row, from_row, to_row

# Entries kept per fingerprint; past this, the oldest run's entries are dropped.
MAX_ENTRIES = 200_000
FORMAT = 1


def token_key(token: bytes) -> str:
    return hashlib.blake2b(token, digest_size=16).hexdigest()


def fingerprint(parts: Any) -> str:
    """A stable hash of everything besides the document that can change a verdict."""
    text = json.dumps([FORMAT, parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def tree_signature(folder: Path, limit: int = 5000) -> list[Any]:
    """(name, size, mtime) of the files under a local schema folder (or of one schema file),
    so that editing a schema invalidates the verdicts."""
    out: list[Any] = []
    if folder.is_file():
        stat = folder.stat()
        return [(str(folder), stat.st_size, stat.st_mtime_ns)]
    if not folder.is_dir():
        return out
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            stat = os.stat(os.path.join(root, name))
            out.append((os.path.join(root, name), stat.st_size, stat.st_mtime_ns))
            if len(out) >= limit:
                return out
    return out


class VerdictCache:
    def __init__(self, folder: Path, key: str):
        self.path = folder / f"verdicts-{key}.json"
        self.entries: dict[str, list[Row]] = {}
        self.fresh: dict[str, list[Row]] = {}
        try:
            loaded = json.loads(self.path.read_bytes())
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, ValueError):
            self.entries = {}

    def get(self, key: str, filename: str, line: int) -> list[Result] | None:
        found = self.entries.get(key)
        if found is None:
            return None
        self.fresh[key] = found
        return [from_row(row, filename, line) for row in found]

    def put(self, key: str, results: Sequence[Result]) -> None:
        self.fresh[key] = [to_row(r) for r in results]

    def save(self) -> None:
        merged = dict(self.entries)
        merged.update(self.fresh)
        if len(merged) > MAX_ENTRIES:
            merged = dict(self.fresh)
        if merged == self.entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(merged, separators=(",", ":")))
        tmp.replace(self.path)
