"""YAML text ⇄ Python data: positioned catalog loading (ruamel), fast manifest loading
(libyaml) and the canonical manifest writer."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

import yaml

from generator.errors import GeneratorError
from generator.model import Origin

# A YAML document whose aliases expand past this many nodes is refused ("billion laughs").
MAX_EXPANDED_NODES = 1_000_000

# ---------------------------------------------------------------- loading with positions


def load_with_positions(text: str, path: PurePosixPath) -> list[Any]:
    """Parse every document of a catalog file with ruamel round-trip, keeping line numbers.

    Mappings come back as ruamel CommentedMap (a dict subclass with `.lc`), so callers can
    turn a key path into `file:line:column` with `position_of`.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    loader = YAML(typ="rt", pure=True)
    loader.allow_duplicate_keys = False
    try:
        documents = list(loader.load_all(text))
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise GeneratorError(
            f"malformed YAML: {problem}",
            Origin(path, line, column),
            "fix the YAML syntax at that position (indentation, quoting, a missing ':')",
        ) from e
    except Exception as e:  # ruamel raises a handful of unmarked errors (e.g. DuplicateKey)
        raise GeneratorError(
            f"malformed YAML: {' '.join(str(e).split())}",
            Origin(path),
            "fix the YAML syntax of this file",
        ) from e
    for document in documents:
        check_expansion(document, path)
    return documents


def position_of(
    document: Any, key_path: Sequence[str | int], path: PurePosixPath, value: bool = False
) -> Origin:
    """The position of the deepest existing key along key_path in a ruamel document (of its
    value, with value=True, when the whole path exists)."""
    line, column = 1, 1
    node = document
    for depth, key in enumerate(key_path):
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, Mapping) and key in node:
                if lc is not None:
                    last = depth == len(key_path) - 1
                    line, column = (n + 1 for n in (lc.value(key) if value and last else lc.key(key)))
                node = node[key]
            elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
                if lc is not None:
                    line, column = (n + 1 for n in lc.item(key))
                node = node[key]
            else:
                break
        except (KeyError, IndexError, TypeError):  # pragma: no cover - ruamel lacks a position
            break
    return Origin(path, line, column)


def check_expansion(document: Any, path: PurePosixPath) -> None:
    """Refuse documents whose aliases expand to an absurd size (YAML bombs)."""
    budget = MAX_EXPANDED_NODES
    stack = [document]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise GeneratorError(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes",
                Origin(path),
                "this looks like a YAML bomb; write the data out instead of nesting aliases",
            )
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


# ---------------------------------------------------------------- fast manifest loading


class ManifestLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml-backed YAML 1.1 loader that keeps timestamps as strings, as Kubernetes does."""


ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_manifests(text: str, path: PurePosixPath) -> list[Any]:
    """Every non-empty document of a YAML stream of Kubernetes objects."""
    return [document for _, document in load_manifests_with_lines(text, path)]


# Plain scalars that YAML 1.1 (Kubernetes, Helm, kubectl) and YAML 1.2 read differently: words
# like on/yes/n, leading-zero octals, 0o/0b prefixes, 1_000, 1e3 without a dot, 12:30, merge
# keys. A stream free of them parses identically under both, so the fast YAML 1.2 parser may
# take it; anything else goes through libyaml with YAML 1.1 rules. False alarms only cost speed.
_YAML11_SENSITIVE = re.compile(
    r"(?<![\w.-])(?:[yYnN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF)(?![\w.-])"
    r"|(?<![\w./-])[-+]?0(?:[0-7_]+|[oObB][0-9_]+)(?![\w.])"
    r"|\d_\d|(?<![\w./-])\d+[eE][-+]?\d+|\d:[0-5]?\d(?![\d])|<<|!!|\t"
)
_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
_CONTENT_LINE = re.compile(r"^[ \t]*[^\s#]", re.MULTILINE)


def load_manifests_with_lines(text: str, path: PurePosixPath) -> list[tuple[int, Any]]:
    """(1-based line where its content starts, document) for every non-empty document."""
    fast = _load_fast(text, path)
    return fast if fast is not None else _load_yaml11(text, path)


def _load_fast(text: str, path: PurePosixPath) -> list[tuple[int, Any]] | None:
    """The Rust parser for streams where YAML 1.1 and 1.2 agree; None to use libyaml."""
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover - an optional speed-up
        return None
    if _YAML11_SENSITIVE.search(text):
        return None
    try:
        parsed = yaml_rs.loads(
            text, parse_datetime=False, duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.LastWins
        )
    except Exception:  # libyaml gives the positioned message
        return None
    documents = parsed if isinstance(parsed, list) and _SEPARATOR.search(text) else [parsed]
    starts = [0] + [m.end() + 1 for m in _SEPARATOR.finditer(text)]
    ends = [m.start() for m in _SEPARATOR.finditer(text)] + [len(text)]
    lines = []
    for start, end in zip(starts, ends, strict=True):
        content = _CONTENT_LINE.search(text, start, end)
        if content is None and start == 0 and end < len(text):
            continue  # comments before the first `---` are not a document
        lines.append(text.count("\n", 0, content.start()) + 1 if content else 0)
    if len(lines) != len(documents):
        return None
    result = []
    for line, document in zip(lines, documents, strict=True):
        if document is not None:
            check_expansion(document, path)
            result.append((line, document))
    return result


def _load_yaml11(text: str, path: PurePosixPath) -> list[tuple[int, Any]]:
    loader = ManifestLoader(text)
    documents: list[tuple[int, Any]] = []
    try:
        while loader.check_node():
            node = loader.get_node()
            document = loader.construct_document(node)
            if document is not None:
                check_expansion(document, path)
                documents.append((node.start_mark.line + 1, document))
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        origin = Origin(path, mark.line + 1, mark.column + 1) if mark else Origin(path)
        raise GeneratorError(
            f"malformed YAML: {e.problem}", origin, "fix the YAML syntax at that position"
        ) from e
    except yaml.YAMLError as e:
        raise GeneratorError(f"malformed YAML: {e}", Origin(path), "fix the YAML syntax") from e
    finally:
        loader.dispose()
    return documents


# ---------------------------------------------------------------- canonical writer

# Keys that come first, in this order, in every mapping; the rest follow alphabetically.
KEY_PRIORITY = {"apiVersion": 0, "kind": 1, "metadata": 2, "name": 3, "namespace": 4}

_BOOL_NULL_WORDS = frozenset(
    w
    for base in ("y", "yes", "n", "no", "true", "false", "on", "off", "null")
    for w in (base, base.capitalize(), base.upper())
) | {"~", "", "=", "<<", "-", "---", "..."}
_NUMBER_LIKE = re.compile(r"[-+.]?[0-9][0-9a-fA-FxXoObB_.:+-]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./$(][A-Za-z0-9 _./:=+@,~$()%^*!?&<>|'\"\[\]{}-]*|-[A-Za-z0-9_./$(=-][A-Za-z0-9 _./:=+@,~$()%^*!?&<>|'\"\[\]{}-]*")
_PRINTABLE_BLOCK = re.compile(r"[^\x00-\x08\x0b-\x1f\x7f\u0085\u2028\u2029\ufeff]*")


def needs_quotes(text: str) -> bool:
    """True when a plain scalar would not read back as this exact string in YAML 1.1 or 1.2."""
    return (
        text in _BOOL_NULL_WORDS
        or not _PLAIN_SAFE.fullmatch(text)
        or ": " in text
        or " #" in text
        or text.endswith((" ", ":"))
        or _NUMBER_LIKE.fullmatch(text) is not None
    )


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=not text.isprintable())


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    text = str(value)
    return _quoted(text) if needs_quotes(text) else text


def _block_literal(text: str, indent: str) -> list[str] | None:
    """`|` block lines for a multi-line string, or None when it must be double-quoted."""
    if "\r" in text or text[0] in " \t\n" or not _PRINTABLE_BLOCK.fullmatch(text):
        return None
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    lines = [f"|{chomp}"]
    lines.extend(f"{indent}{line}" if line else "" for line in body.split("\n"))
    lines.extend("" for _ in range(trailing - 1))
    return lines


def _sorted_items(mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return sorted(mapping.items(), key=lambda kv: (KEY_PRIORITY.get(kv[0], 9), str(kv[0])))


def _emit_map(mapping: Mapping[str, Any], indent: int, out: list[str], lead: str) -> None:
    """Entries of a non-empty mapping at column `indent`; the first line starts with `lead`."""
    pad = " " * indent
    for i, (key, value) in enumerate(_sorted_items(mapping)):
        start = f"{lead if i == 0 else pad}{_scalar(str(key))}:"
        if isinstance(value, Mapping) and value:
            out.append(start)
            _emit_map(value, indent + 2, out, pad + "  ")
        elif isinstance(value, list | tuple) and value:
            out.append(start)  # sequences under a key are not indented, as kustomize writes them
            _emit_seq(value, indent, out, pad)
        else:
            _emit_scalar(start + " ", value, indent + 2, out)


def _emit_seq(items: Sequence[Any], indent: int, out: list[str], lead: str) -> None:
    """Items of a non-empty sequence as `- ` at column `indent`; the first starts with `lead`."""
    pad = " " * indent
    for i, item in enumerate(items):
        start = f"{lead if i == 0 else pad}- "
        if isinstance(item, Mapping) and item:
            _emit_map(item, indent + 2, out, start)
        elif isinstance(item, list | tuple) and item:
            _emit_seq(item, indent + 2, out, start)
        else:
            _emit_scalar(start, item, indent + 2, out)


def _emit_scalar(head: str, value: Any, content_indent: int, out: list[str]) -> None:
    if isinstance(value, Mapping):
        out.append(head + "{}")
    elif isinstance(value, list | tuple):
        out.append(head + "[]")
    elif isinstance(value, str) and "\n" in value:
        block = _block_literal(value, " " * content_indent)
        if block is None:
            out.append(head + _quoted(value))
        else:
            out.append(head + block[0])
            out.extend(block[1:])
    else:
        out.append(head + _scalar(value))


def dump_manifest(body: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """Canonical YAML for one object: fixed key order, block style, 2-space indent, LF."""
    out = [f"# {line}" if line else "#" for line in header]
    if body:
        _emit_map(body, 0, out, "")
    else:
        out.append("{}")
    return "\n".join(out) + "\n"


def dump_stream(bodies: Sequence[Mapping[str, Any]]) -> str:
    """Several objects as one `---`-separated stream, in the order given."""
    return "---\n".join(dump_manifest(b) for b in bodies)


def iter_scalars(value: Any) -> Iterator[Any]:
    """Every scalar inside nested data, depth first."""
    if isinstance(value, Mapping):
        for item in value.values():
            yield from iter_scalars(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_scalars(item)
    else:
        yield value
