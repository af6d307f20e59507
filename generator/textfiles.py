"""File bytes → text: UTF-8, or a message naming the line and column of the first bad byte."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.errors import GeneratorError
from generator.model import Origin


def decode_utf8(raw: bytes, rel: PurePosixPath) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise GeneratorError(
            f"file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
            Origin(rel, line, column),
            "save the file as UTF-8",
        ) from e


def read_utf8(path: Path, rel: PurePosixPath) -> str:
    return decode_utf8(path.read_bytes(), rel)
