"""Documents (bytes or in-memory objects) → kubeconform results: decode, identify, skip or
reject, find the schema, validate; one Result per resource, a broken one never hides its
neighbours."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.validate import decode as yamldecode
from generator.validate.crds import CrdKey, crd_schemas, is_crd
from generator.validate.explain import explain
from generator.validate.schemas import (
    CrdLocation,
    HttpFetcher,
    Location,
    Registry,
    Schema,
    SchemaError,
    build_locations,
    crd_folder_location,
)


class Status(enum.Enum):
    VALID = "statusValid"
    INVALID = "statusInvalid"
    ERROR = "statusError"
    SKIPPED = "statusSkipped"
    EMPTY = ""


@dataclass(frozen=True, slots=True)
class Result:
    """One resource's verdict, with the identity kubeconform reports."""

    filename: str
    kind: str
    name: str
    namespace: str
    version: str  # the full apiVersion
    status: Status
    msg: str = ""
    validation_errors: tuple[tuple[str, str], ...] = ()  # (path, msg) of top-level causes
    line: int = 0  # 1-based line where the document starts in its file (0: unknown)
    policy: bool = False  # a platform policy finding (--policies), not a resource's verdict

    @property
    def failed(self) -> bool:
        return self.status in (Status.INVALID, Status.ERROR)


# A Result without its place (filename, line): what the verdict cache and the worker
# processes store, as plain JSON-friendly values.
Row = tuple[str, str, str, str, str, str, list[list[str]]]


def to_row(result: Result) -> Row:
    errors = [[path, msg] for path, msg in result.validation_errors]
    return (result.kind, result.name, result.namespace, result.version, result.status.value,
            result.msg, errors)  # fmt: skip


def from_row(row: Sequence[Any], filename: str, line: int) -> Result:
    kind, name, namespace, version, status, msg, errors = row
    causes = tuple((path, text) for path, text in errors)
    return Result(filename, kind, name, namespace, version, Status(status), msg, causes, line)


@dataclass(frozen=True, slots=True)
class Options:
    """kubeconform's flags that change verdicts, plus this tool's schema extensions."""

    kubernetes_version: str = "master"
    strict: bool = False
    skip: frozenset[str] = frozenset()
    reject: frozenset[str] = frozenset()
    ignore_missing_schemas: bool = False
    schema_locations: tuple[str, ...] = ()
    schema_cache: Path | None = None  # kubeconform -cache: HTTP downloads
    insecure_skip_tls_verify: bool = False
    input_crds: bool = True  # CRDs among the inputs provide schemas (our extension)
    extra_schema_dirs: tuple[Path, ...] = ()  # e.g. schemas/crds/, after everything else


def parse_kinds(csv: str) -> frozenset[str]:
    """kubeconform's -skip/-reject value: comma-separated, trimmed, empties dropped."""
    return frozenset(part.strip() for part in csv.split(",") if part.strip())


CrdSchemas = Mapping[CrdKey, tuple[Any, str]]  # → (JSON schema, URL shown in messages)


def collect_crds(bodies: Iterable[Any], url: str) -> dict[CrdKey, tuple[Any, str]]:
    out: dict[CrdKey, tuple[Any, str]] = {}
    for body in bodies:
        if (
            isinstance(body, Mapping)
            and body.get("kind") == "CustomResourceDefinition"
            and is_crd(body)
        ):
            for key, schema in crd_schemas(body).items():
                out.setdefault(key, (schema, url))
    return out


@dataclass
class Validator:
    """Validates documents under one set of Options; compiled schemas are kept for reuse."""

    options: Options
    crds: CrdSchemas = field(default_factory=dict)
    registry: Registry = field(init=False)

    def __post_init__(self) -> None:
        fetch = HttpFetcher(
            self.options.schema_cache, insecure=self.options.insecure_skip_tls_verify
        )
        locations: list[Location] = build_locations(
            self.options.schema_locations,
            self.options.kubernetes_version,
            self.options.strict,
            fetch,
        )
        if self.crds:
            locations.append(CrdLocation(self.crds))
        for folder in self.options.extra_schema_dirs:
            locations.append(
                crd_folder_location(folder, self.options.kubernetes_version, self.options.strict)
            )
        self.registry = Registry(locations)

    # ------------------------------------------------------------ bytes (kubeconform's path)

    def validate_token(self, token: bytes, filename: str, line: int = 0) -> list[Result]:
        """Results for one `---`-separated token: none, one, or one per List item."""
        if not token:
            return [Result(filename, "", "", "", "", Status.EMPTY, line=line)]
        strict = self.options.strict
        try:
            value = yamldecode.decode(token, strict=strict)
        except yamldecode.DecodeError as e:
            lenient = None
            if strict:
                try:
                    lenient = yamldecode.decode(token)
                except yamldecode.DecodeError:
                    lenient = None
                kind, version, _, _ = yamldecode.identity(lenient)
                if isinstance(lenient, dict) and _is_list(lenient, kind, version):
                    return self._items(lenient, filename, line)  # Lists decode leniently
            kind, version, name, namespace = yamldecode.identity(lenient)
            return [
                Result(
                    filename,
                    kind,
                    name,
                    namespace,
                    version,
                    Status.ERROR,
                    f"error unmarshalling resource: {e}",
                    line=line,
                )
            ]
        if not isinstance(value, dict):
            return [self.validate_value(value, filename, line)]
        kind, version, name, namespace = yamldecode.identity(value)
        if _is_list(value, kind, version):
            return self._items(value, filename, line)
        return [self._check(value, kind, version, name, namespace, filename, line)]

    def _items(self, wrapper: dict[str, Any], filename: str, line: int) -> list[Result]:
        items = yamldecode.raw_field(wrapper, "items")
        return [self.validate_value(item, filename, line) for item in items or ()]

    def validate_value(self, value: Any, filename: str, line: int = 0) -> Result:
        """Steps 3-9 of kubeconform's pipeline for a decoded document."""
        if value is None:
            return Result(filename, "", "", "", "", Status.EMPTY, line=line)
        if not isinstance(value, dict):
            kind = yamldecode.describe_json_type(value)
            return Result(
                filename,
                "",
                "",
                "",
                "",
                Status.ERROR,
                "error unmarshalling resource: error unmarshaling JSON: while decoding JSON: "
                f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}",
                line=line,
            )
        kind, version, name, namespace = yamldecode.identity(value)
        return self._check(value, kind, version, name, namespace, filename, line)

    def _check(
        self,
        value: Any,
        kind: str,
        version: str,
        name: str,
        namespace: str,
        filename: str,
        line: int,
    ) -> Result:
        def result(
            status: Status, msg: str = "", errors: tuple[tuple[str, str], ...] = ()
        ) -> Result:
            return Result(filename, kind, name, namespace, version, status, msg, errors, line)

        if not kind:
            return result(Status.ERROR, "error while parsing: missing 'kind' key")
        if not version:
            return result(Status.ERROR, "error while parsing: missing 'apiVersion' key")
        gvk = f"{version}/{kind}"
        if kind in self.options.skip or gvk in self.options.skip:
            return result(Status.SKIPPED)
        if kind in self.options.reject or gvk in self.options.reject:
            return result(Status.ERROR, f"prohibited resource kind {kind}")
        try:
            schema = self.registry.find(kind, version)
        except SchemaError as e:
            return result(Status.ERROR, str(e))
        if schema is None:
            if self.options.ignore_missing_schemas:
                return result(Status.SKIPPED)
            return result(Status.ERROR, f"could not find schema for {kind}")
        if schema.validator.is_valid(value):
            return result(Status.VALID)
        text, causes = describe_failure(schema, value)
        return result(
            Status.INVALID, f"problem validating schema. Check JSON formatting: {text}", causes
        )

    # ------------------------------------------------------------ in-memory objects (render)

    def validate_body(self, body: Mapping[str, Any], filename: str = "") -> Result:
        """An object that is already in memory (from an engine): no YAML round trip."""
        kind = body.get("kind")
        version = body.get("apiVersion")
        meta = body.get("metadata")
        if isinstance(kind, str) and isinstance(version, str) and isinstance(meta, dict):
            name = meta.get("name")
            namespace = meta.get("namespace")
            if isinstance(name, str) and "generateName" not in meta:
                namespace = namespace if isinstance(namespace, str) else ""
                try:
                    result = self._check(body, kind, version, name, namespace, filename, 0)
                except ValueError:  # jsonschema-rs refuses non-string keys
                    result = None
                if result is not None and result.status is not Status.INVALID:
                    return result
                # engines may hand over 3.0 for 3 or non-string keys; judge the JSON form
        return self.validate_value(to_json(body), filename)


def describe_failure(schema: Schema, value: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """kubeconform's error text and top-level causes for an instance the schema rejects."""
    explanation = explain(schema, value)
    if explanation is not None:
        return explanation.text, explanation.causes
    # the walk found nothing (e.g. a format the walker does not know): use jsonschema-rs
    lines = [f"jsonschema validation failed with '{schema.url}#'"]
    causes = []
    for error in schema.validator.iter_errors(value):
        path = "".join(f"/{p}" for p in error.instance_path)
        lines.append(f"- at '{path}': {error.message}")
        causes.append((path, error.message))
    return " ".join(lines), tuple(causes)


def to_json(value: Any) -> Any:
    """Engine output as JSON sees it: integral floats become integers, keys strings."""
    if isinstance(value, Mapping):
        return {yamldecode.go_key(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _is_list(value: Any, kind: str, version: str) -> bool:
    if kind.lower() != "list" or not version:
        return False
    return isinstance(yamldecode.raw_field(value, "items"), list | type(None))


def crds_in_tokens(tokens: Sequence[tuple[str, bytes]]) -> dict[CrdKey, tuple[Any, str]]:
    """Schemas from CustomResourceDefinitions among input documents: (filename, token)."""
    out: dict[CrdKey, tuple[Any, str]] = {}
    for filename, token in tokens:
        if b"CustomResourceDefinition" not in token:
            continue
        try:
            body = yamldecode.decode(token)
        except yamldecode.DecodeError:
            continue
        url = Path(filename).resolve().as_uri() if filename != "stdin" else "stdin"
        for key, found in collect_crds([body], url).items():
            out.setdefault(key, found)
    return out
