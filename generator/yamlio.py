"""YAML text ⇄ Python data: positioned catalog loading, fast manifest loading and the
canonical manifest writer."""

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
MAX_INTEGER_DIGITS = 4300  # Python's limit on int(str)
# The deepest nesting of mappings and lists accepted from any input (YAML, JSON, Jsonnet or Helm
# output). Real objects stop near 30 levels (CRD schemas are the deepest); the parsers' own
# limits differ (yaml-rs 256 flow levels, libyaml 1000, json ~1000 by recursion) and the
# pipeline recurses over the data, so one defined limit below all of them gives every path the
# same answer: nesting_error().
MAX_NESTING = 100


def nesting_error(origin: Origin) -> GeneratorError:
    return GeneratorError(
        f"nested more than {MAX_NESTING} levels deep",
        origin,
        "Kubernetes objects nest about 30 levels at most: look for a template or Jsonnet "
        "function that recurses without end, or for unbalanced brackets",
    )


def nesting_depth(data: Any) -> int:
    """How many mappings and lists deep `data` goes (0 for a scalar), without recursion; it
    stops counting once past MAX_NESTING."""
    if not isinstance(data, dict | list | tuple | Mapping):
        return 0
    deepest = 0
    level = [data]
    while level and deepest <= MAX_NESTING:
        deepest += 1
        below = []
        for node in level:  # one level at a time: only containers are visited
            for child in node.values() if isinstance(node, Mapping) else node:
                if type(child) is dict or type(child) is list or isinstance(child, Mapping | tuple):
                    below.append(child)
        level = below
    return deepest


def load_json(text: str | bytes, origin: Origin, *, locate: bool = True) -> Any:
    """JSON text → data, held to MAX_NESTING like every YAML path (json.JSONDecodeError for
    malformed text is the caller's to translate). locate=False for generated text, whose
    line and column would point into no file."""
    try:
        data = json.loads(text)
    except RecursionError as e:  # how json's C decoder says "too deep", past ~1000 levels
        raise nesting_error(origin) from e
    if nesting_depth(data) > MAX_NESTING:
        where = nesting_mark(text) if locate else None
        raise nesting_error(Origin(origin.path, *where) if where else origin)
    return data


def check_nesting(documents: Sequence[tuple[int, Any]], text: str, path: PurePosixPath) -> None:
    """Refuse a stream whose (line, document) pairs nest past MAX_NESTING."""
    for line, document in documents:
        if nesting_depth(document) > MAX_NESTING:
            where = nesting_mark(text)
            raise nesting_error(Origin(path, *where) if where else Origin(path, line))


def nesting_mark(text: str | bytes) -> tuple[int, int] | None:
    """(line, column), 1-based, where a YAML or JSON stream first nests past MAX_NESTING, or
    None. Reads the events of PyYAML's pure-Python parser, which keeps its state on a stack
    and has no limit of its own (libyaml's scanner looks ahead and fails at 1000 levels), so
    this finds the place even in input that the fast parsers gave up on."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                mark = event.start_mark
                if depth > MAX_NESTING and mark is not None:
                    return mark.line + 1, mark.column + 1
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # a syntax error before the limit: the caller reports that one
    return None


# ---------------------------------------------------------------- loading with positions


class CatalogLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml composer with YAML 1.2 core-schema scalars: `on`, `yes`, `no` and dates are
    strings; only true/false are booleans."""


CatalogLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("null", r"~|null|Null|NULL|", "~nN"),
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789"),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        "-+.0123456789",
    ),
    ("merge", r"<<", "<"),
):
    CatalogLoader.add_implicit_resolver(
        f"tag:yaml.org,2002:{_tag}",
        re.compile(f"^(?:{_pattern})$"),
        list(_first) + ([""] if _tag == "null" else []),
    )

Marks = dict[
    tuple[str | int, ...], tuple[int, int, int, int]
]  # path → key line, col, value line, col


class PositionedDocument:
    """Plain data of one YAML document, and where each key path of it was written."""

    __slots__ = ("data", "marks")

    def __init__(self, data: Any, marks: Marks) -> None:
        self.data = data
        self.marks = marks


def load_with_positions(text: str, path: PurePosixPath) -> list[PositionedDocument]:
    """Every document of a catalog file as plain data with 1-based positions per key path.

    Duplicate keys are errors, aliases count against the YAML-bomb budget as they expand."""
    loader = CatalogLoader(text)
    documents = []
    try:
        while loader.check_node():
            marks: Marks = {}
            budget = [MAX_EXPANDED_NODES]
            documents.append(
                PositionedDocument(_construct(loader.get_node(), (), marks, budget, path), marks)
            )
    except yaml.MarkedYAMLError as e:
        deep = nesting_mark(text)
        if deep is not None:  # libyaml gives up past its own limit, which is above ours
            raise nesting_error(Origin(path, *deep)) from e
        mark = e.problem_mark or e.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise GeneratorError(
            f"malformed YAML: {problem}",
            Origin(path, line, column),
            "fix the YAML syntax at that position (indentation, quoting, a missing ':')",
        ) from e
    except yaml.reader.ReaderError as e:
        raise unreadable_character(e, text, path) from e
    finally:
        loader.dispose()
    return documents


def unreadable_character(
    error: yaml.reader.ReaderError, text: str, path: PurePosixPath
) -> GeneratorError:
    """A control character (NUL, ESC, ...) that YAML does not allow, at its line and column."""
    at = error.position
    line = text.count("\n", 0, at) + 1
    column = at - (text.rfind("\n", 0, at) + 1) + 1
    return GeneratorError(
        f"malformed YAML: control character U+{_code(error.character):04X} is not allowed",
        Origin(path, line, column),
        'remove it; write it as an escape ("\\x1b") inside a double-quoted string if the '
        "value needs it",
    )


def _code(character: str | int) -> int:
    return character if isinstance(character, int) else ord(character)


def _integer(text: str) -> int:
    return (
        int(text, 8)
        if text.startswith("0o")
        else int(text, 0)
        if text.startswith("0x")
        else int(text)
    )


def _construct(
    node: Any, at: tuple[str | int, ...], marks: Marks, budget: list[int], path: PurePosixPath
) -> Any:
    budget[0] -= 1
    if budget[0] < 0:
        raise _bomb(path)
    if len(at) >= MAX_NESTING and isinstance(node, yaml.CollectionNode):
        mark = node.start_mark
        raise nesting_error(Origin(path, mark.line + 1, mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = (
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                for source in sources:
                    data = _construct(source, at, {}, budget, path)
                    if not isinstance(data, dict):
                        raise _bad(key_node, "'<<' merges only mappings", path)
                    merged = {**data, **merged}
                continue
            key = _construct(key_node, at, {}, budget, path)
            if isinstance(key, dict | list):
                raise _bad(key_node, "a mapping or list cannot be a key", path)
            key = "null" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
            if key in result:
                raise _bad(
                    key_node,
                    f"key '{key}' appears twice in this mapping",
                    path,
                    "remove one of them",
                )
            sub = (*at, key)
            key_mark, value_mark = key_node.start_mark, value_node.start_mark
            marks[sub] = (
                key_mark.line + 1,
                key_mark.column + 1,
                value_mark.line + 1,
                value_mark.column + 1,
            )
            result[key] = _construct(value_node, sub, marks, budget, path)
        return {**merged, **result} if merged else result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            line, column = item.start_mark.line + 1, item.start_mark.column + 1
            marks[(*at, index)] = (line, column, line, column)
            items.append(_construct(item, (*at, index), marks, budget, path))
        return items
    return _scalar_value(node, path)


def _scalar_value(node: Any, path: PurePosixPath) -> Any:
    tag, text = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        return text
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return text.lower() == "true"
    if tag == "tag:yaml.org,2002:int":
        if sum(c.isdigit() for c in text) > MAX_INTEGER_DIGITS:
            raise _bad(node, _TOO_LONG, path, _TOO_LONG_HINT)
        return _integer(text)
    if tag == "tag:yaml.org,2002:float":
        lowered = text.lower()
        return float(lowered.replace(".inf", "inf").replace(".nan", "nan"))
    raise _bad(node, f"unsupported YAML tag '{tag}'", path, "write the value without a tag")


def _bad(
    node: Any, message: str, path: PurePosixPath, hint: str = "fix the YAML at that position"
) -> GeneratorError:
    mark = node.start_mark
    return GeneratorError(
        f"malformed YAML: {message}", Origin(path, mark.line + 1, mark.column + 1), hint
    )


_TOO_LONG = f"integer has more than {MAX_INTEGER_DIGITS:,} digits"
_TOO_LONG_HINT = "quote it if it is meant as text"
_BINARY = "the !!binary tag is not supported"
_BINARY_HINT = "write the base64 text without the tag (Secret data is base64 already)"


def _bomb(path: PurePosixPath) -> GeneratorError:
    return GeneratorError(
        f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes",
        Origin(path),
        "this looks like a YAML bomb; write the data out instead of nesting aliases",
    )


def position_of(
    marks: Marks, key_path: Sequence[str | int], path: PurePosixPath, value: bool = False
) -> Origin:
    """The position of the deepest existing key along key_path (of its value, with value=True,
    when the whole path exists); line 1 when not even the first key exists."""
    for cut in range(len(key_path), 0, -1):
        found = marks.get(tuple(key_path[:cut]))
        if found is not None:
            line, column = (
                (found[2], found[3]) if value and cut == len(key_path) else (found[0], found[1])
            )
            return Origin(path, line, column)
    return Origin(path, 1, 1)


def check_expansion(document: Any, path: PurePosixPath) -> None:
    """Refuse documents whose aliases expand to an absurd size (YAML bombs)."""
    budget = MAX_EXPANDED_NODES
    stack = [document]
    while stack:
        node = stack.pop()
        budget -= 1
        if budget < 0:
            raise _bomb(path)
        if isinstance(node, Mapping):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


# ---------------------------------------------------------------- fast manifest loading


class ManifestLoader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):  # type: ignore[misc]
    """libyaml-backed YAML 1.1 loader that keeps timestamps as strings, as Kubernetes does,
    and refuses a key written twice in one mapping (kubectl's strict field validation would)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"key '{key_node.value}' appears twice in this mapping",
                        key_node.start_mark,
                    )
                seen.add(key)
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node: Any) -> Any:
        if sum(c.isdigit() for c in node.value) > MAX_INTEGER_DIGITS:
            raise yaml.constructor.ConstructorError(None, None, _TOO_LONG, node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_binary(self, node: Any) -> Any:
        raise yaml.constructor.ConstructorError(None, None, _BINARY, node.start_mark)


ManifestLoader.add_constructor("tag:yaml.org,2002:int", ManifestLoader.construct_yaml_int)
# Bytes have no JSON form; Kubernetes carries binary content as base64 text (Secret data).
ManifestLoader.add_constructor("tag:yaml.org,2002:binary", ManifestLoader.construct_yaml_binary)
ManifestLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_manifests(text: str, path: PurePosixPath) -> list[Any]:
    """Every non-empty document of a YAML stream of Kubernetes objects."""
    return [document for _, document in load_manifests_with_lines(text, path)]


# Plain scalars that YAML 1.1 (Kubernetes, Helm, kubectl) and YAML 1.2 read differently: words
# like on/yes/n, leading-zero numbers (0755, 09, -01), 0o/0b/0x prefixes, 1_000, 1e3 without a
# dot, 12:30, merge keys. A stream free of them parses identically under both, so the fast YAML
# 1.2 parser may take it; anything else goes through libyaml with YAML 1.1 rules. False alarms
# only cost speed. The numeric ones must start where a plain scalar can (after whitespace,
# `[`, `{`, `,` or `:`): `cl-000`, `web-01` and `app-01:1.0` are strings in both versions.
# Separate patterns that each start with a character class scan ~4x faster than one alternation.


def _starting(first: str, rest: str) -> str:
    """`first` (one character) where a plain scalar can start, optionally after a sign, then
    `rest`. The lookbehinds follow the first character, so the scan still starts fast."""
    return rf"{first}(?<![^\s\[{{,:+-]{first})(?<![^\s\[{{,:][-+]{first}){rest}"


_YAML11_SENSITIVE = tuple(
    re.compile(pattern)
    for pattern in (
        # y, yes, n, no, on, off, ...; not inside a word and not quoted ("on" is a string)
        r"[yYnNoO](?<![\w.'\"-].)(?:es|ES|o|O|n|N|ff|FF)?(?![\w.'\"-])",
        _starting("0", r"[\d_oObBxX]"),  # 0755, 09, -01, 0o17, 0b101, 0x1F
        _starting(r"[\d.]", r"[\d._]*[eE][-+]?\d"),  # 1e3, 1.5e3
        _starting(r"[\d.]", r"[\d.]*_"),  # 1_000
        _starting("_", ""),  # _1 (the fast parser reads an int)
        _starting(r"\.", r"\d"),  # +.5 (YAML 1.1 allows no sign before a leading dot)
        _starting(r"\d", r"[\d_]*:\d"),  # 12:30, 1:30.5
        r"<<|!!|\t",  # merge keys, tags, tabs
        # Characters YAML does not allow: libyaml refuses them with a position, where the
        # Rust parser would stop reading at a NUL and return the truncated document.
        yaml.reader.Reader.NON_PRINTABLE.pattern,
        r"\d{4301}",  # longer than Python converts
        # A byte-order mark: libyaml skips it where a document starts, as Kustomize does; the
        # Rust parser would keep it as part of the first key.
        "\ufeff",
    )
)
_SEPARATOR = re.compile(r"^---(?:[ \t].*)?$", re.MULTILINE)
# `--- {a: 1}` or `--- |`: content on the separator line, whose line only libyaml reports.
_COMMENT = re.compile(r"[ \t]*#(?!ENC\[)")  # a comment line that SOPS left in plaintext
_CONTENT_ON_SEPARATOR = re.compile(r"^---[ \t]+[^\s#]", re.MULTILINE)
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
    if any(pattern.search(text) for pattern in _YAML11_SENSITIVE):
        return None
    if _CONTENT_ON_SEPARATOR.search(text):
        return None
    try:
        # Aliases are replayed as copies, at most MAX_EXPANDED_NODES events: no YAML bomb.
        parsed = yaml_rs.loads(
            text,
            parse_datetime=False,
            duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.Error,
            alias_limits=yaml_rs.AliasLimits(max_total_replayed_events=MAX_EXPANDED_NODES),
        )
    except yaml_rs.YAMLDecodeError:  # cannot parse: libyaml gives the positioned message
        return None
    documents = parsed if isinstance(parsed, list) and _SEPARATOR.search(text) else [parsed]
    starts = [0] + [m.end() + 1 for m in _SEPARATOR.finditer(text)]
    ends = [m.start() for m in _SEPARATOR.finditer(text)] + [len(text)]
    lines = []
    counted, line = 0, 1  # a running line count keeps this linear in the stream's length
    for start, end in zip(starts, ends, strict=True):
        content = _CONTENT_LINE.search(text, start, end)
        if content is None and start == 0 and end < len(text):
            continue  # comments before the first `---` are not a document
        if content is not None:
            line += text.count("\n", counted, content.start())
            counted = content.start()
        lines.append(line if content else 0)
    if len(lines) != len(documents):
        return None
    found = [(line, doc) for line, doc in zip(lines, documents, strict=True) if doc is not None]
    check_nesting(found, text, path)
    return found


def document_source(text: str, line: int, document: Any, path: PurePosixPath) -> str | None:
    """The text of the stream's document whose content starts on `line`, up to the next
    `---` or `...`, when it is exactly that document: read alone, it gives `document` and
    nothing else, and it has no comment line SOPS did not encrypt (`#ENC[...]`). None when
    it is not (content on the `---` line, a byte libyaml refuses, a plaintext comment), so
    that nothing but the bytes of that one document is ever copied."""
    if line < 1:
        return None
    lines = text.splitlines(keepends=True)[line - 1 :]
    end = next((i for i, row in enumerate(lines) if row.startswith(("---", "..."))), len(lines))
    if any(_COMMENT.match(row) for row in lines[:end]):
        return None
    source = "".join(lines[:end])
    source = source if source.endswith("\n") else source + "\n"
    try:
        alone = _load_yaml11(source, path)
    except GeneratorError:
        return None
    return source if [d for _, d in alone] == [document] else None


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
        deep = nesting_mark(text)
        if deep is not None:  # libyaml gives up past its own limit, which is above ours
            raise nesting_error(Origin(path, *deep)) from e
        mark = e.problem_mark
        origin = Origin(path, mark.line + 1, mark.column + 1) if mark else Origin(path)
        duplicate = "appears twice" in str(e.problem)
        hint = "remove one of the two" if duplicate else "fix the YAML syntax at that position"
        hint = {_TOO_LONG: _TOO_LONG_HINT, _BINARY: _BINARY_HINT}.get(str(e.problem), hint)
        raise GeneratorError(f"malformed YAML: {e.problem}", origin, hint) from e
    except yaml.reader.ReaderError as e:
        raise unreadable_character(e, text, path) from e
    except yaml.YAMLError as e:
        raise GeneratorError(f"malformed YAML: {e}", Origin(path), "fix the YAML syntax") from e
    finally:
        loader.dispose()
    check_nesting(documents, text, path)
    return documents


# ---------------------------------------------------------------- canonical writer

# Keys that come first, in this order, in every mapping; the rest follow alphabetically.
KEY_PRIORITY = {"apiVersion": 0, "kind": 1, "metadata": 2, "name": 3, "namespace": 4}

_BOOL_NULL_WORDS = frozenset(
    w
    for base in ("y", "yes", "n", "no", "true", "false", "on", "off", "null")
    for w in (base, base.capitalize(), base.upper())
) | {"~", "", "=", "<<", "-", "---", "..."}
_NUMBER_LIKE = re.compile(
    r"[-+.]?[0-9][0-9a-fA-FxXoObB_.:+-]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"
)
_PLAIN_SAFE = re.compile(
    r"[A-Za-z0-9_./$(][A-Za-z0-9 _./:=+@,~$()%^*!?&<>|'\"\[\]{}-]*"
    r"|-[A-Za-z0-9_./$(=-][A-Za-z0-9 _./:=+@,~$()%^*!?&<>|'\"\[\]{}-]*"
)
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


# Rendered text of strings seen before: keys and label values repeat across thousands of objects.
_STRING_TEXT: dict[str, str] = {}


def _string(text: str) -> str:
    found = _STRING_TEXT.get(text)
    if found is None:
        if len(_STRING_TEXT) > 200_000:
            _STRING_TEXT.clear()
        found = _STRING_TEXT[text] = _quoted(text) if needs_quotes(text) else text
    return found


def _scalar(value: Any) -> str:
    if type(value) is str:
        return _string(value)
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
    return _string(str(value))


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


def _key_rank(key: Any) -> tuple[int, str]:
    return (KEY_PRIORITY.get(key, 9), str(key))


# Per column, then per a mapping's keys in the order it holds them: the keys in canonical order,
# each with its indented `key:` and `key: ` line starts. Objects share a few key sets
# (metadata, containers, ports), so most mappings are ordered by a lookup instead of a sort.
_KEY_LINES: dict[int, dict[tuple[Any, ...], list[tuple[Any, str, str]]]] = {}


def _key_lines(keys: tuple[Any, ...], indent: int) -> list[tuple[Any, str, str]]:
    table = _KEY_LINES.get(indent)
    if table is None:
        table = _KEY_LINES[indent] = {}
    found = table.get(keys)
    if found is None:
        pad = " " * indent
        found = []
        for key in sorted(keys, key=_key_rank):
            name = pad + _string(str(key)) + ":"
            found.append((key, name, name + " "))
        # Only all-string key sets are kept: 1, 1.0 and True are one dict key but three
        # texts, so a tuple holding them could match another mapping's entry.
        if all(type(key) is str for key in keys):
            if len(table) > 20_000:
                table.clear()
            table[keys] = found
    return found


def _is_map(value: Any) -> bool:
    return type(value) is dict or (type(value) is not list and isinstance(value, Mapping))


def _is_seq(value: Any) -> bool:
    return type(value) is list or type(value) is tuple


# The emitters write every line of a mapping or sequence with the plain indentation of its
# column, then give the first line its `lead` (a parent's `- `) once. The common types
# (dict, list, one-line str) are tested first; anything else takes the general rules of
# _emit_value and _emit_scalar.


def _emit_map(mapping: Mapping[Any, Any], indent: int, out: list[str], lead: str) -> None:
    """Entries of a non-empty mapping at column `indent`; the first line starts with `lead`
    in place of its indentation when `lead` is not empty."""
    if type(mapping) is not dict:
        mapping = dict(mapping.items())
    first = len(out)
    texts = _STRING_TEXT
    for key, bare, spaced in _key_lines(tuple(mapping), indent):
        value = mapping[key]
        kind = type(value)
        if kind is str and "\n" not in value:
            out.append(spaced + (texts.get(value) or _string(value)))
        elif kind is dict:
            if value:
                out.append(bare)
                _emit_map(value, indent + 2, out, "")
            else:
                out.append(spaced + "{}")
        elif kind is list:
            if value:
                out.append(bare)  # sequences under a key are not indented, as kustomize does
                _emit_seq(value, indent, out, "")
            else:
                out.append(spaced + "[]")
        else:
            _emit_value(bare, value, indent, out)
    if lead and len(out) > first:
        out[first] = lead + out[first][indent:]


def _emit_value(start: str, value: Any, indent: int, out: list[str]) -> None:
    """The value of a mapping entry whose `key:` is `start`, the entry at column `indent`."""
    if value and _is_map(value):
        out.append(start)
        _emit_map(value, indent + 2, out, "")
    elif value and _is_seq(value):
        out.append(start)
        _emit_seq(value, indent, out, "")
    else:
        _emit_scalar(start + " ", value, indent + 2, out)


def _emit_seq(items: Sequence[Any], indent: int, out: list[str], lead: str) -> None:
    """Items of a non-empty sequence as `- ` at column `indent`; the first line starts with
    `lead` in place of its indentation when `lead` is not empty."""
    first = len(out)
    dash = " " * indent + "- "
    inner = indent + 2
    texts = _STRING_TEXT
    for item in items:
        kind = type(item)
        if kind is str and "\n" not in item:
            out.append(dash + (texts.get(item) or _string(item)))
        elif item and (kind is dict or _is_map(item)):
            _emit_map(item, inner, out, dash)
        elif item and _is_seq(item):
            _emit_seq(item, inner, out, dash)
        else:
            _emit_scalar(dash, item, inner, out)
    if lead and len(out) > first:
        out[first] = lead + out[first][indent:]


def _emit_scalar(head: str, value: Any, content_indent: int, out: list[str]) -> None:
    if type(value) is str and "\n" not in value:
        out.append(head + _string(value))
    elif isinstance(value, Mapping):
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
    out.append("")
    return "\n".join(out)


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
