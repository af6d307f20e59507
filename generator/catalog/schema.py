"""CatalogFile + schemas/catalog/*.yaml (cerberus) → problems, one per wrong key, each at the
key's or value's position with a hint (the closest valid key for a typo)."""

from __future__ import annotations

import difflib
import json
import os
import pickle
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from generator.catalog.files import KINDS, CatalogFile
from generator.errors import GeneratorError
from generator.model import Origin

# Package data, so a wheel installed anywhere finds them.
SCHEMA_DIR = Path(str(files("generator") / "schemas" / "catalog"))
# What to write instead, for keys with a pattern; names (DNS labels) get the default.
PATTERN_HINTS = {
    "kubernetesVersion": 'write the full version in quotes, e.g. "1.31.0"',
    "apiServer": "write the API server's URL, e.g. https://10.0.0.1:6443",
    "provider": "use lower-case letters and digits, e.g. aws, kind, onprem",
    "domain": "write a DNS domain in lower case, e.g. acme.example",
    "renderedPath": "write a path relative to the repository, e.g. rendered",
    "labels": "write a Kubernetes label key, e.g. team or example.com/team",
}
NAME_HINT = "use lower-case letters, digits and '-', starting and ending with a letter or digit"


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    common = yaml.safe_load((SCHEMA_DIR / "_common.yaml").read_text(encoding="utf-8"))

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: resolve(v) for k, v in node.items()}
            ref = node.pop("$ref", None)
            return {**resolve(common[ref]), **node} if ref else node
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return {
        kind: resolve(yaml.safe_load((SCHEMA_DIR / f"{kind}.yaml").read_text(encoding="utf-8")))
        for kind in ("platform", *KINDS.values())
    }


@cache
def _validator(kind: str) -> Any:
    """One validator per kind, reused for every file: building one expands its schema, which
    costs more than validating a catalog file."""
    from cerberus import Validator

    return Validator(_schemas()[kind], allow_unknown=False)


class PassedChecks:
    """Digests of catalog documents that passed their schema, kept in .generator-cache/:
    cerberus takes 1-3 ms a document, so a catalog of 150 files where one changed checks that
    one. A digest covers the tool (the schemas are its package data), the kind and the data."""

    def __init__(self, repo: Path | None) -> None:
        """None: check every document, remember nothing."""
        from generator.render_cache import CACHE_DIR, tool_fingerprint

        self.path = repo / Path(CACHE_DIR).parent / "catalog-checked.json" if repo else None
        self.tool = tool_fingerprint() if repo else ""
        self.known: set[str] = set()
        self.passed: set[str] = set()
        try:
            known = json.loads(self.path.read_text(encoding="utf-8")) if self.path else []
            self.known = {str(k) for k in known} if isinstance(known, list) else set()
        except (OSError, ValueError):
            pass

    def check(self, catalog_file: CatalogFile, kind: str, problems: list[GeneratorError]) -> bool:
        from generator.render_cache import digest_of

        if self.path is None:
            return check(catalog_file, kind, problems)
        try:
            key = digest_of((self.tool, kind, catalog_file.data))
        except (pickle.PicklingError, TypeError, ValueError, RecursionError):
            return check(catalog_file, kind, problems)
        if key in self.known or check(catalog_file, kind, problems):
            self.passed.add(key)
            return True
        return False

    def keep(self) -> None:
        """Remember the documents of this run that passed (only a speed-up)."""
        if self.path is None or self.passed == self.known:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(sorted(self.passed)), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            pass


def check(catalog_file: CatalogFile, kind: str, problems: list[GeneratorError]) -> bool:
    schema = _schemas()[kind]
    validator = _validator(kind)
    if validator.validate(dict(catalog_file.data)):
        return True
    for error in _leaf_errors(validator._errors):
        problems.append(_schema_problem(catalog_file, error, schema))
    return False


def _leaf_errors(errors: Any) -> Iterator[Any]:
    for error in errors:
        if error.is_group_error:
            yield from _leaf_errors(error.child_errors)
        else:
            yield error


def _schema_problem(
    catalog_file: CatalogFile, error: Any, schema: Mapping[str, Any]
) -> GeneratorError:
    from cerberus import errors as cerberus_errors

    key_path = [str(k) for k in error.document_path]
    dotted = ".".join(key_path)
    code = error.code
    value_problem = code in (
        cerberus_errors.BAD_TYPE.code,
        cerberus_errors.UNALLOWED_VALUE.code,
        cerberus_errors.REGEX_MISMATCH.code,
    )
    origin = catalog_file.at(*error.document_path, value=value_problem)
    if code == cerberus_errors.UNKNOWN_FIELD.code:
        valid = sorted(_schema_at(schema, error.document_path[:-1]))
        close = difflib.get_close_matches(key_path[-1], valid, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"valid keys here: {', '.join(valid)}"
        return GeneratorError(f"{dotted}: unknown key", origin, hint)
    if code == cerberus_errors.REQUIRED_FIELD.code:
        parent = (
            catalog_file.at(*error.document_path[:-1])
            if len(key_path) > 1
            else Origin(catalog_file.path, 1, 1)
        )
        return GeneratorError(
            f"{dotted}: required key is missing",
            parent,
            f"add '{key_path[-1]}' (see docs/catalog.md)",
        )
    if code == cerberus_errors.BAD_TYPE.code:
        wanted = (
            error.constraint if isinstance(error.constraint, str) else " or ".join(error.constraint)
        )
        got = _type_name(error.value)
        hint = f"write {dotted} as {_article(wanted)}"
        if wanted == "string" and isinstance(error.value, int | float):
            hint = f'put the value in quotes: {key_path[-1]}: "{error.value}"'
            if key_path[-1] == "kubernetesVersion":
                hint += ' (the full version, e.g. "1.31.0")'
        return GeneratorError(
            f"{dotted}: must be {_article(wanted)}, got {got}{_show(error.value)}", origin, hint
        )
    if code == cerberus_errors.UNALLOWED_VALUE.code:
        allowed = ", ".join(str(a) for a in error.constraint)
        return GeneratorError(
            f"{dotted}:{_show(error.value)} is not allowed", origin, f"use one of: {allowed}"
        )
    if code == cerberus_errors.REGEX_MISMATCH.code:
        return GeneratorError(
            f"{dotted}:{_show(error.value)} does not match the pattern '{error.constraint}'",
            origin,
            next((PATTERN_HINTS[k] for k in reversed(key_path) if k in PATTERN_HINTS), NAME_HINT),
        )
    message = cerberus_errors.BasicErrorHandler.messages.get(code, "is invalid")
    message = message.format(
        *error.info, constraint=error.constraint, field=dotted, value=error.value
    )
    return GeneratorError(f"{dotted}: {message}", origin, "see docs/catalog.md for this key")


def _schema_at(schema: Mapping[str, Any], path: tuple[Any, ...]) -> Mapping[str, Any]:
    """The fields allowed at a key path: a dict rule's `schema` holds its fields, a list
    rule's `schema` holds the rule of its items."""
    fields: Mapping[str, Any] = schema
    rule: Mapping[str, Any] = {}
    for key in path:
        if isinstance(key, int):
            rule = rule.get("schema", {})
        elif key in fields:
            rule = fields[key]
        else:  # a name under `operators:` or `tenants:`: the rule every other key follows
            rule = next(
                (r for r in (rule.get("allow_unknown"), rule.get("valuesrules")) if isinstance(r, Mapping)),
                {},
            )
        fields = rule.get("schema", {}) if rule.get("type") == "dict" else {}
    return fields


def _type_name(value: Any) -> str:
    return {
        dict: "a mapping",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }.get(type(value), "null" if value is None else type(value).__name__)


def _article(word: str) -> str:
    return {
        "dict": "a mapping",
        "list": "a list",
        "integer": "an integer",
        "boolean": "a boolean",
    }.get(word, f"a {word}")


def _show(value: Any) -> str:
    """` 'value'` for a scalar, nothing for a mapping or list (too long to quote)."""
    if isinstance(value, (Mapping, list)):
        return ""
    return f" '{value}'"
