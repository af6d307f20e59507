"""(Schema, invalid instance) → kubeconform's error text and validationErrors, by walking the
schema the way santhosh-tekuri/jsonschema v6 does. Only runs for documents that the
compiled jsonschema-rs validator already rejected, so speed does not matter here."""

from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from generator.validate.schemas import Schema, is_valid_duration


@dataclass(slots=True)
class Cause:
    location: tuple[str, ...]
    message: str
    causes: list[Cause] = field(default_factory=list)
    reference: bool = False  # a $ref wrapper, hidden in text when it has one cause
    group: bool = False  # several errors of one subschema


@dataclass(frozen=True, slots=True)
class Explanation:
    text: str  # kubeconform's "jsonschema validation failed with …" text, one line
    causes: tuple[tuple[str, str], ...]  # (path, msg) of the top-level causes
    lines: tuple[str, ...]  # the "- at '/path': reason" lines, unindented


def explain(schema: Schema, instance: Any) -> Explanation | None:
    """None when the walk finds nothing (the caller then falls back to jsonschema-rs)."""
    walker = _Walker(schema)
    error = walker.validate(schema.document, instance, (), schema.url, schema.draft)
    if error is None:
        return None
    causes = error.causes if error.group else [error]
    lines = [f"jsonschema validation failed with {quote(schema.url + '#')}"]
    for cause in causes:
        _display(cause, 1, lines)
    top = tuple(("".join("/" + p for p in c.location), c.message) for c in causes)
    return Explanation(" ".join(lines), top, tuple(line.strip() for line in lines[1:]))


def _display(cause: Cause, indent: int, lines: list[str]) -> None:
    if cause.reference and len(cause.causes) == 1:
        _display(cause.causes[0], indent, lines)
        return
    pointer = "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in cause.location)
    lines.append("  " * (indent - 1) + f"- at {quote(pointer)}: {cause.message}")
    for child in cause.causes:
        _display(child, indent + 1, lines)


_GO_ESCAPES = {
    "\\": "\\\\", "'": "\\'", "\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n",
    "\r": "\\r", "\t": "\\t", "\v": "\\v",
}  # fmt: skip


def quote(text: str) -> str:
    """Go's %q, then single quotes (jsonschema v6's quote())."""
    out = []
    for ch in text:
        escaped = _GO_ESCAPES.get(ch)
        if escaped is not None:
            out.append(escaped)
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "'" + "".join(out) + "'"


def type_of(value: Any) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


_TYPE_ORDER = ("null", "boolean", "number", "integer", "string", "array", "object")


def _display_value(value: Any) -> str:
    # lists and maps never get here: const and enum name them "const failed", "enum failed"
    if isinstance(value, str):
        return quote(value)
    if value is None:
        return "<nil>"
    if value is True or value is False:
        return "true" if value else "false"
    return _go_number(value)


def _go_number(value: float) -> str:
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
        number = int(value)
        return str(number) if abs(number) < 10**21 else repr(float(number))
    return repr(value)  # Python's shortest repr switches to exponents where Go's %v does


def _equal(a: Any, b: Any) -> bool:
    if type_of(a) != type_of(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@dataclass(slots=True)
class _Scope:
    """One schema applied to one value: where it is, the base URL and draft in force, and
    the errors found so far."""

    location: tuple[str, ...]
    base: str
    draft: int
    errors: list[Cause] = field(default_factory=list)

    def add(self, message: str, causes: list[Cause] | None = None) -> None:
        self.errors.append(Cause(self.location, message, causes or []))

    def keep(self, error: Cause | None) -> None:
        if error is not None:
            self.errors.append(error)

    def bounds(self, schema: dict[str, Any], size: int, low: str, high: str) -> None:
        """minItems/maxItems and their siblings for properties and string length."""
        if isinstance(schema.get(low), int) and size < schema[low]:
            self.add(f"{low}: got {size}, want {schema[low]}")
        if isinstance(schema.get(high), int) and size > schema[high]:
            self.add(f"{high}: got {size}, want {schema[high]}")


class _Walker:
    def __init__(self, schema: Schema):
        self.documents = schema.documents

    def validate(
        self, schema: Any, value: Any, location: tuple[str, ...], base: str, draft: int
    ) -> Cause | None:
        if schema is True or schema is None:
            return None
        if schema is False:
            return Cause(location, "false schema")
        if not isinstance(schema, dict):
            return None
        if isinstance(schema.get("$id"), str) and draft >= 6:
            base = urllib.parse.urljoin(base, schema["$id"])
        ref = schema.get("$ref")
        if isinstance(ref, str) and draft < 2019:
            return self._ref(ref, value, location, base, draft)  # siblings of $ref are ignored
        failure = _first_failure(schema, value, draft)
        if failure:
            return Cause(location, failure)
        scope = _Scope(location, base, draft)
        if isinstance(ref, str):
            scope.keep(self._ref(ref, value, location, base, draft))
        if isinstance(value, dict):
            self._object(schema, value, scope)
        elif isinstance(value, list):
            self._array(schema, value, scope)
        elif isinstance(value, str):
            self._string(schema, value, scope)
        elif type_of(value) == "number":
            self._number(schema, value, scope)
        self._conditions(schema, value, scope)
        if len(scope.errors) <= 1:
            return scope.errors[0] if scope.errors else None
        return Cause(location, "validation failed", scope.errors, group=True)

    def _below(self, schema: Any, value: Any, scope: _Scope, token: str) -> Cause | None:
        return self.validate(schema, value, (*scope.location, token), scope.base, scope.draft)

    def _ref(
        self, ref: str, value: Any, location: tuple[str, ...], base: str, draft: int
    ) -> Cause | None:
        target, target_base = self._resolve(ref, base)
        if target is None:
            return None
        error = self.validate(target, value, location, target_base, draft)
        if error is None:
            return None
        causes = error.causes if error.group else [error]
        return Cause(location, "validation failed", causes, reference=True)

    def _resolve(self, ref: str, base: str) -> tuple[Any, str]:
        url = urllib.parse.urljoin(base, ref)
        document_url, _, fragment = url.partition("#")
        document = self.documents.get(document_url)
        if document is None:
            return None, url
        node = document
        for token in fragment.split("/")[1:] if fragment else []:
            token = urllib.parse.unquote(token).replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None, url
        return node, document_url

    def _object(self, schema: dict[str, Any], value: dict[str, Any], scope: _Scope) -> None:
        scope.bounds(schema, len(value), "minProperties", "maxProperties")
        required = schema.get("required")
        if isinstance(required, list):
            missing = [name for name in required if name not in value]
            if len(missing) == 1:
                scope.add(f"missing property {quote(missing[0])}")
            elif missing:
                scope.add("missing properties " + ", ".join(quote(m) for m in missing))
        found = schema.get("properties")
        properties: dict[str, Any] = found if isinstance(found, dict) else {}
        found = schema.get("patternProperties")
        patterns: dict[str, Any] = found if isinstance(found, dict) else {}
        additional = schema.get("additionalProperties")
        extra = []
        for name, item in value.items():
            evaluated = name in properties
            if evaluated:
                scope.keep(self._below(properties[name], item, scope, name))
            for pattern, subschema in patterns.items():
                if re.search(pattern, name):
                    evaluated = True
                    scope.keep(self._below(subschema, item, scope, name))
            if evaluated or additional is None:
                continue
            if additional is False:
                extra.append(name)
            elif isinstance(additional, dict):
                scope.keep(self._below(additional, item, scope, name))
        if extra:
            scope.add(
                "additional properties " + ", ".join(quote(e) for e in extra) + " not allowed"
            )

    def _array(self, schema: dict[str, Any], value: list[Any], scope: _Scope) -> None:
        scope.bounds(schema, len(value), "minItems", "maxItems")
        if schema.get("uniqueItems") is True:
            for j in range(len(value)):
                twin = next((i for i in range(j) if _equal(value[i], value[j])), None)
                if twin is not None:
                    scope.add(f"items at {twin} and {j} are equal")
                    break
        items = schema.get("items")
        prefix = schema.get("prefixItems") if scope.draft >= 2020 else None
        if isinstance(items, list) and scope.draft < 2020:
            prefix, items = items, schema.get("additionalItems")
        start = 0
        if isinstance(prefix, list):
            start = min(len(prefix), len(value))
            for i in range(start):
                scope.keep(self._below(prefix[i], value[i], scope, str(i)))
        if items is False and start < len(value):
            scope.add(f"last {len(value) - start} additionalItem(s) not allowed")
        elif isinstance(items, dict):
            for i in range(start, len(value)):
                scope.keep(self._below(items, value[i], scope, str(i)))

    def _string(self, schema: dict[str, Any], value: str, scope: _Scope) -> None:
        scope.bounds(schema, len(value), "minLength", "maxLength")
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            try:
                matched = re.search(pattern, value) is not None
            except re.error:  # syntax Python's re lacks (\p{L}): ask the schema's own engine
                matched = jsonschema_rs.is_valid({"pattern": pattern}, value)
            if not matched:
                scope.add(f"{quote(value)} does not match pattern {quote(pattern)}")

    def _number(self, schema: dict[str, Any], value: float, scope: _Scope) -> None:
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        low, high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        if scope.draft == 4:  # draft-04's boolean exclusive flags turn the bound exclusive
            low, minimum = (minimum, None) if low is True else (None, minimum)
            high, maximum = (maximum, None) if high is True else (None, maximum)
        got = _go_number(value)
        checks: tuple[tuple[str, Any, Any], ...] = (
            ("minimum", minimum, lambda b: value < b),
            ("maximum", maximum, lambda b: value > b),
            ("exclusiveMinimum", low, lambda b: value <= b),
            ("exclusiveMaximum", high, lambda b: value >= b),
        )
        for keyword, bound, failed in checks:
            if _is_number(bound) and failed(bound):
                scope.add(f"{keyword}: got {got}, want {_go_number(bound)}")
        step = schema.get("multipleOf")
        if _is_number(step) and step and not _is_integer(value / step):
            scope.add(f"multipleOf: got {got}, want {_go_number(step)}")

    def _conditions(self, schema: dict[str, Any], value: Any, scope: _Scope) -> None:
        def check(subschema: Any) -> Cause | None:
            return self.validate(subschema, value, scope.location, scope.base, scope.draft)

        if "not" in schema and check(schema["not"]) is None:
            scope.add("not failed")
        if isinstance(schema.get("allOf"), list):
            failed = [e for e in map(check, schema["allOf"]) if e is not None]
            if failed:
                scope.add("allOf failed", failed)
        if isinstance(schema.get("anyOf"), list):
            failures = []
            for subschema in schema["anyOf"]:
                error = check(subschema)
                if error is None:
                    break
                failures.append(error)
            else:
                scope.add("anyOf failed", failures)
        if isinstance(schema.get("oneOf"), list):
            matched: int | None = None
            failures = []
            for i, subschema in enumerate(schema["oneOf"]):
                error = check(subschema)
                if error is not None:
                    if matched is None:
                        failures.append(error)
                elif matched is None:
                    matched = i
                else:
                    scope.add(f"oneOf failed, subschemas {matched}, {i} matched")
                    break
            if matched is None:
                scope.add("oneOf failed, none matched", failures)
        if "if" in schema and scope.draft >= 7:
            branch = "then" if check(schema["if"]) is None else "else"
            if branch in schema:
                scope.keep(check(schema[branch]))


def _first_failure(schema: dict[str, Any], value: Any, draft: int) -> str:
    """type, const, enum and format end the walk of a schema at their first failure."""
    types = schema.get("type")
    if types is not None:
        wanted = [types] if isinstance(types, str) else list(types)
        kind = type_of(value)
        if kind not in wanted and not (
            "integer" in wanted and kind == "number" and _is_integer(value)
        ):
            order = sorted(wanted, key=lambda t: _TYPE_ORDER.index(t) if t in _TYPE_ORDER else 9)
            return f"got {kind}, want {' or '.join(order)}"
    if "const" in schema and not _equal(value, schema["const"]):
        want = schema["const"]
        return (
            "const failed"
            if isinstance(want, list | dict)
            else f"value must be {_display_value(want)}"
        )
    options = schema.get("enum")
    if isinstance(options, list) and not any(_equal(value, option) for option in options):
        if any(isinstance(o, list | dict) for o in options):
            return "enum failed"
        if len(options) == 1:
            return f"value must be {_display_value(options[0])}"
        return "value must be one of " + ", ".join(_display_value(o) for o in options)
    if draft < 2019 and isinstance(schema.get("format"), str):
        problem = _format_problem(schema["format"], value)
        if problem:
            return f"{_display_value(value)} is not valid {schema['format']}: {problem}"
    return ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    )


_FORMAT_CHECKS: dict[str, tuple[re.Pattern[str], str]] = {
    "date-time": (
        re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"),
        "cannot parse as RFC 3339 date-time",
    ),
    "date": (re.compile(r"\d{4}-\d{2}-\d{2}"), "cannot parse as RFC 3339 full-date"),
    "ipv4": (
        re.compile(r"((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"),
        "invalid IPv4 address",
    ),
    "email": (re.compile(r"[^@\s]+@[^@\s]+"), "missing @"),
    "uri": (re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*"), "no scheme"),
    "uuid": (
        re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
        "invalid uuid",
    ),
}


def _format_problem(name: str, value: Any) -> str:
    if not isinstance(value, str):
        return ""
    if name == "duration":
        if is_valid_duration(value):
            return ""
        return "must start with P" if not value.startswith("P") else "invalid duration"
    check = _FORMAT_CHECKS.get(name)
    if check is None or check[0].fullmatch(value):
        return ""
    return check[1]
