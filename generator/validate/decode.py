"""Manifest bytes → documents → JSON-like values, decoded the way kubeconform (go-yaml v2,
YAML 1.1, sigs.k8s.io/yaml's JSON round trip) decodes them."""

from __future__ import annotations

import math
import operator
import re
import struct
from collections.abc import Iterator
from typing import Any

import yaml
from yaml._yaml import CParser  # libyaml: the parser and composer run in C

from generator.yamlio import MAX_NESTING, nesting_mark

_NESTING = f"nested more than {MAX_NESTING} levels deep"

_SEPARATOR = b"\n---"


def split_documents(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, token) of a stream, split as kubeconform's scanner does: on `\\n---`,
    dropping the rest of that line; a first-line `---` stays in the first token."""
    pos = 0
    size = len(data)
    while pos < size:
        found = data.find(_SEPARATOR, pos)
        if found < 0:
            yield pos, data[pos:]
            return
        after = found + len(_SEPARATOR)
        if after == size:  # a final `\n---` closes the last document
            yield pos, data[pos:found]
            return
        newline = data.find(b"\n", after)
        if newline < 0:
            # bufio.Scanner gives up on a separator line without a newline at EOF: the
            # document before it and the rest are lost, exactly as kubeconform loses them
            return
        yield pos, data[pos:found]
        pos = newline + 1


class DecodeError(Exception):
    """A document kubeconform cannot turn into a map; str() is kubeconform's detail text."""


_BOOL_WORDS = {
    **dict.fromkeys(
        ("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True
    ),
    **dict.fromkeys(
        ("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False
    ),
}
_NULL_WORDS = frozenset(("", "~", "null", "Null", "NULL"))
_SPECIAL_FLOATS = {
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# go-yaml v2 resolve.go: a plain scalar that starts with a digit or sign may be a float
_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_GO_OCTAL = re.compile(r"[-+]?0[0-7]+")
_INT64 = (-(2**63), 2**63 - 1)
_MAX_SAFE = 2**53


class _Unsupported:
    """A float JSON cannot carry (±Inf, NaN): decoding succeeds, JSON conversion fails."""

    __slots__ = ("text",)

    def __init__(self, value: float):
        self.text = "NaN" if value != value else ("+Inf" if value > 0 else "-Inf")


def _go_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), then ParseUint: the integer go-yaml would read."""
    try:
        # int(text, 0) refuses a leading-zero decimal such as 089, as ParseInt does
        value = int(text, 8) if _GO_OCTAL.fullmatch(text) else int(text, 0)
    except ValueError:
        return None
    if _INT64[0] <= value <= _INT64[1] or (0 <= value < 2**64 and text[0] != "-"):
        return value
    return None


def _number(text: str) -> Any:
    """A plain scalar that starts like a number: int, float or (failing both) the string."""
    if text in _SPECIAL_FLOATS:
        return _Unsupported(_SPECIAL_FLOATS[text])
    if text[0] == ".":
        return _float(text) if "_" not in text else text
    plain = text.replace("_", "")
    if not plain or not plain.isascii():  # Python's int() also reads non-ASCII digits
        return text
    value = _go_int(plain)
    if value is not None:
        return value
    # ParseInt already read 0b binaries; one that overflows it stays a string in go-yaml too
    return _float(plain) if _YAML_STYLE_FLOAT.fullmatch(plain) else text


def _float(text: str) -> Any:
    """strconv.ParseFloat; go-yaml keeps the string when it fails, also out of range (1e999)."""
    try:
        value = float(text)
    except ValueError:
        return text
    if math.isinf(value):
        return text
    # JSON has one number type: an integral float validates as an integer, as in kubeconform
    if value.is_integer() and abs(value) < _MAX_SAFE:
        return int(value)
    return value


def go_key(key: Any) -> str:
    """sigs.k8s.io/yaml turns non-string map keys into their JSON spelling."""
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if key is True or key is False:
        return "true" if key else "false"
    if isinstance(key, float):
        return _float32_text(key)
    if isinstance(key, _Unsupported):
        return {"+Inf": ".inf", "-Inf": "-.inf"}.get(key.text, ".nan")
    if isinstance(key, int):
        return str(key)
    raise DecodeError(f"error converting YAML to JSON: yaml: invalid map key: {_go_repr(key)}")


def _float32_text(value: float) -> str:
    """strconv.FormatFloat(value, 'g', -1, 32): the shortest digits that read back as the
    same float32, in exponent form below 1e-4 and from 1e+06 (what sigs.k8s.io/yaml keys use)."""
    single = struct.unpack("f", struct.pack("f", value))[0]
    for digits in range(1, 10):
        text = f"{single:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, _, exponent = text.partition("e")
    power = int(exponent)
    if power < -4 or power >= 6:
        return f"{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    decimals = max(len(mantissa.replace(".", "").lstrip("-")) - 1 - power, 0)
    return f"{float(mantissa) * 10**power:.{decimals}f}"


def _go_repr(value: Any) -> str:
    if isinstance(value, list):
        return "[]interface {}{" + ", ".join(_go_repr(v) for v in value) + "}"
    if isinstance(value, dict):
        return (
            "map[interface {}]interface {}{"
            + ", ".join(f"{_go_repr(k)}:{_go_repr(v)}" for k, v in value.items())
            + "}"
        )
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return go_key(value)


_PLAIN = "tag:generator,plain"  # an untagged plain scalar: resolved the go-yaml way below
_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_MISSING = object()
_MERGE = object()
_PLAIN_WORDS: dict[str, Any] = {
    **_BOOL_WORDS,
    **dict.fromkeys(_NULL_WORDS),
    **{word: _Unsupported(value) for word, value in _SPECIAL_FLOATS.items()},
    "<<": _MERGE,
}
_NUMBER_START = frozenset("0123456789+-.")


class _Parser(CParser):
    """libyaml's parser and composer; tag resolution is left to _Builder, which is faster
    than PyYAML's regex resolvers and follows go-yaml v2 instead of PyYAML."""

    # libyaml's composer calls these around every node; C builtins cost less than Python
    # no-ops (path-based resolvers are not used): is_(parent, index), int()
    descend_resolver = operator.is_
    ascend_resolver = int

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


class _Builder:
    """Composed YAML nodes → JSON-like values with go-yaml v2 and sigs.k8s.io/yaml rules."""

    def __init__(self, strict: bool, anchors: bool = True):
        self.strict = strict
        self.anchors = anchors  # False when the text has no '&': no node is shared
        self.duplicates: list[str] = []
        self.unsupported: _Unsupported | None = None
        self.built: dict[int, Any] = {}  # aliases share one value (and YAML bombs stay small)
        self.active: set[int] = set()
        self.depth = 0

    def build(self, node: yaml.Node) -> Any:
        cls = node.__class__
        if cls is yaml.ScalarNode:
            return self.scalar(node)
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise DecodeError(f"error converting YAML to JSON: {_NESTING}")
            return self.collection(node, cls)
        finally:
            self.depth -= 1

    def collection(self, node: yaml.Node, cls: type) -> Any:
        if not self.anchors:
            if cls is yaml.MappingNode:
                return self.mapping(node)
            return [self.build(child) for child in node.value]
        key = id(node)
        found = self.built.get(key, _MISSING)
        if found is not _MISSING:
            return found
        if key in self.active:
            raise DecodeError("error converting YAML to JSON: yaml: anchor contains itself")
        self.active.add(key)
        if cls is yaml.SequenceNode:
            value: Any = [self.build(child) for child in node.value]
        else:
            value = self.mapping(node)
        self.active.discard(key)
        self.built[key] = value
        return value

    def scalar(self, node: yaml.Node) -> Any:
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            value = _PLAIN_WORDS.get(text, _MISSING)
            if value is _MISSING:
                return _number(text) if text[0] in _NUMBER_START else text
            if value.__class__ is _Unsupported and self.unsupported is None:
                self.unsupported = value
            return value
        if tag == "tag:yaml.org,2002:int":
            number = _go_int(text.replace("_", ""))
            return text if number is None else number
        if tag == "tag:yaml.org,2002:float":
            value = _number(text) if text and text[0] in _NUMBER_START else text
            if value.__class__ is _Unsupported and self.unsupported is None:
                self.unsupported = value
            return value
        if tag == "tag:yaml.org,2002:bool":
            return _BOOL_WORDS.get(text, text)
        if tag == "tag:yaml.org,2002:null":
            return None if text in _NULL_WORDS else text
        return text  # !!str, !!timestamp, !!binary and unknown tags keep the text

    def key(self, node: yaml.Node) -> Any:
        if node.__class__ is yaml.ScalarNode:
            text = node.value
            if node.tag == _STR or (
                node.tag == _PLAIN
                and text
                and text[0] not in _NUMBER_START
                and text not in _PLAIN_WORDS
            ):
                return text  # the common case: a plain word
            if node.tag == _PLAIN and text == "<<":
                return _MERGE
        unsupported = self.unsupported
        value = self.build(node)
        if node.__class__ is yaml.ScalarNode:
            self.unsupported = unsupported  # .inf is a fine key: it is spelled ".inf"
            if value.__class__ is int and _go_int(node.value.replace("_", "")) is None:
                value = float(value)  # go-yaml read a float (3.0, 1e6); its key spelling differs
        return value if value.__class__ is str else go_key(value)

    def mapping(self, node: yaml.Node) -> dict[str, Any]:
        out: dict[str, Any] = {}
        merged: set[str] = set()
        scalar_class, words, number_start = yaml.ScalarNode, _PLAIN_WORDS, _NUMBER_START
        for key_node, value_node in node.value:
            # inlined fast paths: a plain-word or quoted key, a quoted or plain-word value
            text = key_node.value
            if key_node.__class__ is scalar_class and (
                key_node.tag == _STR
                or (
                    key_node.tag == _PLAIN
                    and text
                    and text[0] not in number_start
                    and text not in words
                )
            ):
                key = text
            else:
                key = self.key(key_node)
                if key is _MERGE:
                    self.merge(value_node, out, merged)
                    continue
            if value_node.__class__ is scalar_class:
                text = value_node.value
                if value_node.tag == _STR or (
                    value_node.tag == _PLAIN
                    and text
                    and text[0] not in number_start
                    and text not in words
                ):
                    value = text
                else:
                    value = self.scalar(value_node)
            else:
                value = self.build(value_node)
            if key in out:
                if self.strict:
                    self.duplicate(key, value_node)
                    continue
                merged.discard(key)
            out[key] = value
        return out

    def merge(self, node: yaml.Node, out: dict[str, Any], merged: set[str]) -> None:
        # go-yaml merges a list of maps last to first, so earlier maps win
        sources = node.value[::-1] if isinstance(node, yaml.SequenceNode) else [node]
        for source in sources:
            if not isinstance(source, yaml.MappingNode):
                raise DecodeError(
                    "error converting YAML to JSON: yaml: map merge requires map or sequence "
                    "of maps as the value"
                )
            for key_node, value_node in source.value:
                key = self.key(key_node)
                if key is _MERGE:
                    self.merge(value_node, out, merged)
                    continue
                if key in out:
                    if self.strict:
                        self.duplicate(key, value_node)
                        continue
                    if key not in merged:
                        continue  # explicit keys beat merged ones
                out[key] = self.build(value_node)
                merged.add(key)

    def duplicate(self, key: str, value_node: yaml.Node) -> None:
        quoted = '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
        self.duplicates.append(
            f"line {value_node.start_mark.line + 1}: key {quoted} already set in map"
        )


def decode(token: bytes, *, strict: bool = False) -> Any:
    """The first YAML document of a token as JSON-like data (None when empty).

    Raises DecodeError carrying kubeconform's detail text (after "error unmarshalling
    resource: ").
    """
    parser = _Parser(token)
    builder = _Builder(strict, anchors=b"&" in token)
    try:
        node = _first_node(parser)
        if node is None:
            return None
        value = builder.build(node)
    except yaml.MarkedYAMLError as e:
        if nesting_mark(token) is not None:  # libyaml stops past its own, higher limit
            raise DecodeError(f"error converting YAML to JSON: {_NESTING}") from e
        raise DecodeError("error converting YAML to JSON: " + _yaml_problem(e, token)) from e
    except yaml.reader.ReaderError as e:
        raise DecodeError("error converting YAML to JSON: " + _utf8_problem(e)) from e
    except yaml.YAMLError as e:  # pragma: no cover - libyaml raises marked errors
        raise DecodeError(f"error converting YAML to JSON: yaml: {e}") from e
    if builder.duplicates:
        raise DecodeError(
            "error converting YAML to JSON: yaml: unmarshal errors:\n  "
            + "\n  ".join(builder.duplicates)
        )
    if builder.unsupported is not None:
        raise DecodeError(
            f"error converting YAML to JSON: json: unsupported value: {builder.unsupported.text}"
        )
    return value


def _first_node(loader: _Parser) -> yaml.Node | None:
    # kubeconform's decoder reads only the first document of a token; parse no further, so
    # a broken second document after `...` does not matter
    if not loader.check_node():
        return None
    node: yaml.Node | None = loader.get_node()
    return node


def _yaml_problem(e: yaml.MarkedYAMLError, token: bytes) -> str:
    problem = e.problem or "unknown problem parsing YAML content"
    mark = e.problem_mark
    if isinstance(e, yaml.composer.ComposerError) and problem.startswith("found undefined alias"):
        name = _alias_at(token, mark)
        return f"yaml: unknown anchor '{name}' referenced"
    if isinstance(e, yaml.constructor.ConstructorError):
        return f"yaml: {problem}"
    # go-yaml: scanner errors report the 1-based line; parser errors the 0-based line of the
    # problem (falling back to the context), and no line at all when both are 0
    line = 0
    if mark is not None and mark.line:
        line = mark.line + (1 if isinstance(e, yaml.scanner.ScannerError) else 0)
    elif e.context_mark is not None and e.context_mark.line:
        line = e.context_mark.line
    return f"yaml: line {line}: {problem}" if line else f"yaml: {problem}"


def _alias_at(token: bytes, mark: Any) -> str:
    if mark is None:  # pragma: no cover
        return ""
    lines = token.decode("utf-8", "replace").split("\n")
    text = lines[mark.line][mark.column :] if mark.line < len(lines) else ""
    match = re.match(r"\*([^\s,\[\]{}]+)", text)
    return match.group(1) if match else text.strip()


def _utf8_problem(e: yaml.reader.ReaderError) -> str:
    # libyaml and go-yaml (its port) word reader problems identically
    return f"yaml: {e.reason}"


def identity(value: Any) -> tuple[str, str, str, str]:
    """(kind, apiVersion, name, namespace) as kubeconform's lenient signature decode reads
    them: top-level keys match case-insensitively, scalars become strings."""
    if not isinstance(value, dict):
        return ("", "", "", "")
    kind, api_version, meta = value.get("kind"), value.get("apiVersion"), value.get("metadata")
    if kind.__class__ is str and api_version.__class__ is str and meta.__class__ is dict:
        name, namespace = meta.get("name", ""), meta.get("namespace", "")
        if name.__class__ is str and namespace.__class__ is str and "generateName" not in meta:
            return (kind, api_version, name, namespace)  # the common, well-formed case
    kind = _field(value, "kind")
    api_version = _field(value, "apiVersion")
    meta = raw_field(value, "metadata")
    name = namespace = ""
    if isinstance(meta, dict):
        name = _field(meta, "name")
        namespace = _field(meta, "namespace")
        generate = _field(meta, "generateName")
        if generate:
            name = generate + "{{ generateName }}"
    return (kind, api_version, name, namespace)


def raw_field(mapping: dict[str, Any], field: str) -> Any:
    if field in mapping:
        return mapping[field]
    lowered = field.lower()
    found = None
    for key, value in mapping.items():
        if key.lower() == lowered:
            found = value
    return found


def _field(mapping: dict[str, Any], field: str) -> str:
    value = raw_field(mapping, field)
    if value is None or isinstance(value, dict | list):
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, _Unsupported):  # pragma: no cover - rejected before identity
        return value.text
    return str(value)


def describe_json_type(value: Any) -> str:
    """The word Go's encoding/json uses for a non-object document."""
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is True or value is False:
        return "bool"
    return "number"
