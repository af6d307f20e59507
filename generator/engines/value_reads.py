"""Jsonnet and Helm template sources → the value paths they name, for `Reads.values`.

Neither binding reports field accesses, so the sources are scanned: a path counts as read when
a file names it (`values.gateway.version`, `.Values.image.tag`) or names a mapping above it
(`local g = values.gateway;` then `g.version` is followed; a bare `values` passed to a function
reads everything). The scan over-approximates (a branch never taken still reads) and never
misses a literal path, so a value it calls unused is unused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import cache

from generator.engines.jsonnet import TOKEN as _JSONNET_TOKEN

Path_ = tuple[str, ...]

# std functions whose second argument names a field of the first
_FIELD_FUNCTIONS = frozenset({"objectHas", "objectHasAll", "objectHasEx", "get"})


def _jsonnet_tokens(source: str) -> list[tuple[str, str]]:
    return [
        (m.lastgroup or "", m.group())
        for m in _JSONNET_TOKEN.finditer(source)
        if m.lastgroup != "skip"
    ]


def _unquote(token: str) -> str:
    return token.lstrip("@")[1:-1]


@cache
def jsonnet_reads(source: str, main: bool) -> frozenset[Path_]:
    """Paths under `values` one Jsonnet file reads: through the top-level parameter `values`
    (main files only) and through `std.extVar('values')` (any file)."""
    tokens = _jsonnet_tokens(source)
    parameters = _parameter_positions(tokens)
    aliases: dict[str, Path_] = {"values": ()} if main else {}
    reads: set[Path_] = set()
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        start = i
        base: Path_ | None = None
        if i in parameters:  # `function(component, values)` declares, it does not read
            i += 1
            continue
        if text == "std" and _match(tokens, i, ["std", ".", "extVar", "("]):
            argument = tokens[i + 4 : i + 6]
            if [a[1] for a in argument][1:] == [")"] and _unquote(argument[0][1]) == "values":
                base, i = (), i + 6
        elif (
            kind == "word"
            and text in aliases
            and (not i or tokens[i - 1][1] != ".")
            and not _field_name(tokens, i)
        ):
            base, i = aliases[text], i + 1
        if base is None:
            i += 1
            continue
        path, i = _accessors(tokens, i, base)
        defines = start >= 3 and tokens[start - 1][1] == "=" and tokens[start - 3][1] == "local"
        if defines and i < len(tokens) and tokens[i][1] in (";", ","):
            aliases[tokens[start - 2][1]] = path  # `local g = values.gateway;`: follow g
            continue
        field = _field_argument(tokens, start, i)
        reads.add((*path, field) if field is not None else path)
    return frozenset(reads)


def _parameter_positions(tokens: list[tuple[str, str]]) -> set[int]:
    """Token positions inside the parameter lists of `function(...)` and `local f(...)`."""
    positions: set[int] = set()
    for i, (_, text) in enumerate(tokens):
        opens = text == "function" or (
            text == "local" and i + 2 < len(tokens) and tokens[i + 2][1] == "("
        )
        if not opens:
            continue
        j = i + 1 if text == "function" else i + 2
        if j >= len(tokens) or tokens[j][1] != "(":
            continue
        depth = 0
        for k in range(j, len(tokens)):
            depth += {"(": 1, ")": -1}.get(tokens[k][1], 0)
            if depth == 0:
                break
            # a parameter name, not a default value's expression
            if depth == 1 and tokens[k - 1][1] in ("(", ","):
                positions.add(k)
    return positions


def _field_name(tokens: list[tuple[str, str]], i: int) -> bool:
    """`{ values: ... }`, `values+: ...`: an object's field of that name, not the variable."""
    following = "".join(text for _, text in tokens[i + 1 : i + 3])
    return following.startswith(":") or following.startswith("+:")


def _match(tokens: list[tuple[str, str]], i: int, texts: list[str]) -> bool:
    return [t for _, t in tokens[i : i + len(texts)]] == texts


def _accessors(tokens: list[tuple[str, str]], i: int, path: Path_) -> tuple[Path_, int]:
    """`.name` and `['name']` after an expression; a computed index ends the path."""
    while i + 1 < len(tokens):
        if tokens[i][1] == "." and tokens[i + 1][0] == "word":
            path, i = (*path, tokens[i + 1][1]), i + 2
        elif (
            tokens[i][1] == "["
            and i + 2 < len(tokens)
            and tokens[i + 1][0] == "string"
            and tokens[i + 2][1] == "]"
        ):
            path, i = (*path, _unquote(tokens[i + 1][1])), i + 3
        else:
            break
    return path, i


def _field_argument(tokens: list[tuple[str, str]], start: int, end: int) -> str | None:
    """`std.objectHas(values, 'x')`: the mapping is only asked for field x."""
    called = [text for _, text in tokens[max(start - 4, 0) : start]]
    if len(called) == 4 and called[:2] == ["std", "."] and called[3] == "(":
        after = tokens[end : end + 2]
        if called[2] in _FIELD_FUNCTIONS and [k for k, _ in after] == ["punct", "string"]:
            return _unquote(after[1][1]) if after[0][1] == "," else None
    return None


# `.Values.a.b`, `$.Values.a.b`; `index .Values "a" "b"`, `hasKey .Values "a"` and `get`
# name keys as strings.
_HELM_VALUES = re.compile(r"(?<![\w)\]])\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
_HELM_INDEX = re.compile(
    r"\b(?:index|hasKey|get)\s+\$?\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)*)((?:\s+\"[^\"]*\")+)"
)
_HELM_ACTION = re.compile(r"\{\{.*?\}\}", re.DOTALL)


@cache
def helm_reads(source: str) -> frozenset[Path_]:
    """Paths under `.Values` one chart template names, inside its `{{ … }}` actions."""
    reads: set[Path_] = set()
    for action in _HELM_ACTION.findall(source):
        indexed = set()  # where the `.Values…` of an index/hasKey/get call ends
        for m in _HELM_INDEX.finditer(action):
            keys = re.findall(r"\"([^\"]*)\"", m.group(2))
            reads.add((*_dotted(m.group(1)), *keys))
            indexed.add(m.end(1))
        for m in _HELM_VALUES.finditer(action):
            if m.end() not in indexed:
                reads.add(_dotted(m.group(1)))
    return frozenset(reads)


def _dotted(text: str) -> Path_:
    return tuple(p for p in text.split(".") if p)


def covers(reads: Iterable[Path_], path: Path_) -> bool:
    """A value path counts as read when a read names it, a mapping above it, or a key below it."""
    return any(r[: len(path)] == path or path[: len(r)] == r for r in reads)


def prefixed(paths: Iterable[Path_], prefix: Path_) -> Iterator[Path_]:
    return ((*prefix, *p) for p in paths)
