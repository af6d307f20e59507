"""(kind, apiVersion) → compiled JSON schema: kubeconform's location templates tried in
order (built-in kubernetes-validate data, local folders, HTTP with an on-disk cache), then
schemas converted from CRDs, then extra folders such as schemas/crds/."""

from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema_rs

from generator.model import Origin
from generator.paths import inside, is_api_version, is_kind, outside_error
from generator.validate.crds import CrdKey

DEFAULT_LOCATION = "default"
STANDALONE_SUFFIX = (
    "/{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}"
    "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
)
CRD_TEMPLATE = "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
TEMPLATE_FIELDS = (
    "NormalizedKubernetesVersion",
    "StrictSuffix",
    "ResourceKind",
    "ResourceAPIVersion",
    "Group",
    "KindSuffix",
)
_FIELD = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}")
_VERSION = re.compile(r"master|\d+\.\d+\.\d+")
_DRAFTS = {
    "http://json-schema.org/draft-04/schema": 4,
    "http://json-schema.org/draft-06/schema": 6,
    "http://json-schema.org/draft-07/schema": 7,
    "https://json-schema.org/draft/2019-09/schema": 2019,
    "https://json-schema.org/draft/2020-12/schema": 2020,
}
_VALIDATORS: dict[int, Any] = {
    4: jsonschema_rs.Draft4Validator,
    6: jsonschema_rs.Draft6Validator,
    7: jsonschema_rs.Draft7Validator,
    2019: jsonschema_rs.Draft201909Validator,
    2020: jsonschema_rs.Draft202012Validator,
}


class SchemaError(Exception):
    """A schema lookup failure other than "not found"; str() is kubeconform's message."""


class LocationError(Exception):
    """A schema location that cannot be used at all (kubeconform exits 1 at startup)."""


def builtin_root() -> Path:
    import kubernetes_validate

    return Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def builtin_versions() -> list[tuple[int, int]]:
    found = set()
    for child in builtin_root().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.0-local", child.name)
        if match:
            found.add((int(match[1]), int(match[2])))
    return sorted(found)


def builtin_version(kubernetes_version: str) -> str:
    """The bundled directory version for a requested one: x.y.z → vx.y.0, master → newest."""
    if kubernetes_version == "master":
        major, minor = builtin_versions()[-1]
        return f"v{major}.{minor}.0"
    parts = kubernetes_version.split(".")
    return f"v{int(parts[0])}.{int(parts[1])}.0"


def check_version(kubernetes_version: str) -> None:
    if not _VERSION.fullmatch(kubernetes_version):
        raise LocationError(
            f'invalid value "{kubernetes_version}" for flag -kubernetes-version: '
            f'{kubernetes_version} is not a valid version. Valid values are "master" '
            '(default) or full version x.y.z (e.g. "1.27.2")'
        )


def template_values(
    kind: str, api_version: str, kubernetes_version: str, strict: bool
) -> dict[str, str]:
    group = api_version.split("/", 1)[0]
    suffix = "-" + group.split(".", 1)[0].lower()
    if "/" in api_version:
        suffix += "-" + api_version.split("/")[1].lower()
    return {
        "NormalizedKubernetesVersion": (
            "master" if kubernetes_version == "master" else "v" + kubernetes_version
        ),
        "StrictSuffix": "-strict" if strict else "",
        "ResourceKind": kind.lower(),
        "ResourceAPIVersion": api_version.rsplit("/", 1)[-1],
        "Group": group,
        "KindSuffix": suffix,
    }


def render_template(template: str, values: Mapping[str, str]) -> str:
    """A Go text/template restricted to `{{ .Field }}`, as kubeconform's locations use it."""

    def field_value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if not re.fullmatch(r"\.\w+", expression):
            raise LocationError(
                f"failed initialising schema location registry: template: {template}: "
                f"unsupported template action '{{{{{expression}}}}}'"
            )
        name = expression[1:]
        if name not in values:
            raise LocationError(
                f"failed initialising schema location registry: template: {template}: "
                f'executing "{template}" at <.{name}>: can\'t evaluate field {name} in type '
                "struct { NormalizedKubernetesVersion string; StrictSuffix string; "
                "ResourceKind string; ResourceAPIVersion string; Group string; "
                "KindSuffix string }"
            )
        return values[name]

    return _FIELD.sub(field_value, template)


def is_valid_duration(value: Any) -> bool:
    """kubeconform's custom `duration` format: a Go duration or an ISO 8601 duration."""
    if not isinstance(value, str):
        return True
    return bool(_GO_DURATION.fullmatch(value) or _ISO_DURATION.fullmatch(value))


_GO_DURATION = re.compile(r"[-+]?(0|((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+)")
_ISO_DURATION = re.compile(
    r"P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?"
)


@dataclass(slots=True)
class Schema:
    """A compiled schema plus what the error explainer needs to walk it."""

    url: str  # where it was found: file:///…, https://…, or crd:…
    document: Any
    draft: int
    validator: Any  # jsonschema_rs validator
    documents: dict[str, Any] = field(default_factory=dict)  # URL → document, for $ref


class Location:
    """One entry of the lookup order: find(kind, apiVersion) → Schema | None."""

    def find(self, kind: str, api_version: str) -> Schema | None:  # pragma: no cover
        raise NotImplementedError


class TemplateLocation(Location):
    """A kubeconform -schema-location: a local path template or an HTTP URL template."""

    def __init__(
        self,
        template: str,
        kubernetes_version: str,
        strict: bool,
        fetch: Callable[[str], bytes | None],
        builtin: bool = False,
        confine: Path | None = None,
    ):
        if not template.endswith("json"):
            template = template.rstrip("/") + STANDALONE_SUFFIX
        self.template = template
        self.kubernetes_version = kubernetes_version
        self.strict = strict
        self.fetch = fetch
        self.builtin = builtin
        self.confine = confine  # files must resolve inside this folder (a repository)
        # kubeconform renders every location once at startup to reject bad templates
        render_template(template, template_values("Kind", "group/v1", "1.0.0", False))

    def url_for(self, kind: str, api_version: str) -> str:
        values = template_values(kind, api_version, self.kubernetes_version, self.strict)
        if self.builtin:
            values["NormalizedKubernetesVersion"] = builtin_version(self.kubernetes_version)
        return render_template(self.template, values)

    def find(self, kind: str, api_version: str) -> Schema | None:
        if not (is_kind(kind) and is_api_version(api_version)):
            # Both become part of a file name or URL: `kind: ../../x` must not pick a file.
            # No type has such a name, so there is no schema for it (kubeconform's answer).
            return None
        where = self.url_for(kind, api_version)
        if where.startswith("http"):
            return self._http(where)
        path = Path(where.removeprefix("file://"))
        if self.builtin and where in _BUILTIN_COMPILED:
            return _BUILTIN_COMPILED[where]
        if self.confine is not None and path.exists() and not inside(path, self.confine):
            shown = path.relative_to(self.confine).as_posix()
            raise outside_error(
                "schema file",
                shown,
                path,
                Origin(PurePosixPath(shown)),
                "keep schemas/crds/ inside the repository: copy the schema files in instead of "
                "linking to them (or pass -schema-location to `generator validate`)",
            )
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as e:
            raise SchemaError(_json_problem(e)) from e
        url = path.resolve().as_uri()
        documents = {url: document}
        registry = None
        if self.builtin:
            registry, definitions = self._builtin_registry(path.parent)
            documents[_DEFINITIONS_URL] = definitions
        compiled = compile_schema(document, url, documents, self.fetch, registry)
        if self.builtin:
            _BUILTIN_COMPILED[where] = compiled
        return compiled

    def _http(self, url: str) -> Schema | None:
        raw = self.fetch(url)
        if raw is None:
            return None
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return None  # kubeconform: a 200 with a non-JSON body counts as not found
        return compile_schema(document, url, {url: document}, self.fetch, None)

    def _builtin_registry(self, folder: Path) -> tuple[jsonschema_rs.Registry, Any]:
        # the wheel's kind schemas $ref one _definitions.json per version and mode; strict and
        # non-strict share its $id, so each folder gets its own registry
        definitions = _load_definitions(folder)
        if folder not in _REGISTRIES:
            _REGISTRIES[folder] = jsonschema_rs.Registry([(_DEFINITIONS_URL, definitions)])
        return _REGISTRIES[folder], definitions


_DEFINITIONS_URL = "https://kubernetes.io/api/_definitions.json"
_DEFINITIONS: dict[Path, Any] = {}
_REGISTRIES: dict[Path, jsonschema_rs.Registry] = {}
# The bundled schemas never change while we run: compile each once per process.
_BUILTIN_COMPILED: dict[str, Schema | None] = {}


def _load_definitions(folder: Path) -> Any:
    if folder not in _DEFINITIONS:
        _DEFINITIONS[folder] = json.loads((folder / "_definitions.json").read_bytes())
    return _DEFINITIONS[folder]


class CrdLocation(Location):
    """Schemas converted from CustomResourceDefinitions, by (group, kind, version)."""

    def __init__(self, schemas: Mapping[CrdKey, tuple[Any, str]]):
        self.schemas = dict(schemas)

    def find(self, kind: str, api_version: str) -> Schema | None:
        group, _, version = api_version.rpartition("/")
        found = self.schemas.get((group, kind, version))
        if found is None:
            return None
        document, url = found
        return compile_schema(document, url, {url: document}, _no_fetch, None)


def _no_fetch(url: str) -> bytes | None:
    return None


def compile_schema(
    document: Any,
    url: str,
    documents: dict[str, Any],
    fetch: Callable[[str], bytes | None],
    registry: jsonschema_rs.Registry | None,
) -> Schema | None:
    """A compiled schema, or None when it does not compile (kubeconform: "not found")."""
    if not isinstance(document, dict | bool):
        return None
    draft = detect_draft(document)

    def retrieve(uri: str) -> Any:
        raw = fetch(uri) if uri.startswith("http") else _read_file_uri(uri)
        if raw is None:
            raise ValueError(f"cannot load {uri}")
        loaded = json.loads(raw)
        documents[uri] = loaded
        return loaded

    if isinstance(document, dict) and isinstance(document.get("$id"), str):
        documents.setdefault(urllib.parse.urljoin(url, document["$id"]), document)
    try:
        validator = _VALIDATORS[draft](
            document,
            formats={"duration": is_valid_duration},
            validate_formats=draft < 2019,
            registry=registry,
            retriever=retrieve,
            base_uri=url,
        )
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError):
        return None
    return Schema(url, document, draft, validator, documents)


def _read_file_uri(uri: str) -> bytes | None:
    if not uri.startswith("file://"):
        return None
    try:
        return Path(urllib.parse.unquote(urllib.parse.urlparse(uri).path)).read_bytes()
    except OSError:
        return None


def detect_draft(document: Any) -> int:
    """kubeconform compiles a schema without `$schema` as draft-04; an unknown URL such as
    http://json-schema.org/schema# means the latest draft."""
    if not isinstance(document, dict) or "$schema" not in document:
        return 4
    return _DRAFTS.get(str(document["$schema"]).rstrip("#"), 2020)


def _json_problem(error: Exception) -> str:
    """Go's encoding/json wording for a syntax error in a schema file."""
    if not isinstance(error, json.JSONDecodeError):
        return str(error)
    from generator.validate.explain import quote  # Go's quoteChar is %q in single quotes

    text, pos, msg = error.doc, error.pos, error.msg
    if pos >= len(text) or msg.startswith("Unterminated string"):
        return "unexpected end of JSON input"
    where = {
        "Expecting value": "looking for beginning of value",
        "Expecting ':' delimiter": "after object key",
        "Extra data": "after top-level value",
    }.get(msg)
    if msg.startswith("Expecting property name"):
        where = "looking for beginning of object key string"
    elif msg.startswith("Invalid control character"):
        where = "in string literal"
    elif msg == "Expecting ',' delimiter":
        where = (
            "after array element" if _innermost(text, pos) == "[" else "after object key:value pair"
        )
    return f"invalid character {quote(text[pos])} {where or msg.lower()}"


def _innermost(text: str, pos: int) -> str:
    """The bracket ('[' or '{') open at pos, strings skipped."""
    stack: list[str] = []
    in_string = escaped = False
    for ch in text[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            stack.append(ch)
        elif ch in "]}" and stack:
            stack.pop()
    return stack[-1] if stack else ""


class HttpFetcher:
    """GET with kubeconform's retry rule and an on-disk cache named by the URL's SHA-256."""

    def __init__(self, cache_dir: Path | None, *, insecure: bool = False, timeout: float = 30):
        self.cache_dir = cache_dir
        self.insecure = insecure
        self.timeout = timeout

    def __call__(self, url: str) -> bytes | None:
        cached = self._cache_path(url)
        if cached is not None and cached.is_file():
            return cached.read_bytes()
        body = self._download(url)
        if body is not None and cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            tmp = cached.with_suffix(".tmp")
            tmp.write_bytes(body)
            tmp.replace(cached)
        return body

    def _cache_path(self, url: str) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()

    def _download(self, url: str) -> bytes | None:
        # imported here: only runs that name an HTTP location pay for ssl and urllib.request
        import ssl
        import urllib.error
        import urllib.request

        context = ssl._create_unverified_context() if self.insecure else None
        last: Exception | None = None
        for attempt in range(3):  # retryablehttp: two retries on 5xx and connection errors
            try:
                with urllib.request.urlopen(url, timeout=self.timeout, context=context) as reply:
                    body: bytes = reply.read()
                    return body
            except urllib.error.HTTPError as e:
                e.close()  # the error holds the open response; keep no socket behind
                if e.code == 404:
                    return None
                if e.code < 500:
                    raise SchemaError(
                        f"error while downloading schema at {url} - received HTTP status {e.code}"
                    ) from e
                last = e
            except (urllib.error.URLError, OSError) as e:
                last = e
            if attempt < 2:
                time.sleep(0.2 * (attempt + 1))
        if isinstance(last, urllib.error.HTTPError):
            raise SchemaError(
                f"error while downloading schema at {url} - received HTTP status {last.code}"
            )
        reason = getattr(last, "reason", last)
        raise SchemaError(f"failed downloading schema at {url}: {reason}")


class Registry:
    """Schema lookup in kubeconform's order; compiled schemas are reused per (kind,
    apiVersion) for the life of the registry (one Kubernetes version and mode)."""

    def __init__(self, locations: Sequence[Location]):
        self.locations = list(locations)
        self._compiled: dict[tuple[str, str], Schema | None] = {}
        # a failed lookup (an unreachable server, a broken file) is remembered too, so an
        # offline run fails fast instead of retrying the download for every resource
        self._failed: dict[tuple[str, str], SchemaError] = {}

    def find(self, kind: str, api_version: str) -> Schema | None:
        key = (kind, api_version)
        if key in self._compiled:
            return self._compiled[key]
        if key in self._failed:
            raise self._failed[key]
        found = None
        try:
            for location in self.locations:
                found = location.find(kind, api_version)
                if found is not None:
                    break
        except SchemaError as e:
            self._failed[key] = e
            raise
        self._compiled[key] = found
        return found


def build_locations(
    templates: Sequence[str],
    kubernetes_version: str,
    strict: bool,
    fetch: Callable[[str], bytes | None],
) -> list[Location]:
    """kubeconform's -schema-location list (empty means `default`)."""
    check_version(kubernetes_version)
    out: list[Location] = []
    for template in templates or [DEFAULT_LOCATION]:
        if template == DEFAULT_LOCATION:
            builtin = (
                str(builtin_root())
                + "/{{ .NormalizedKubernetesVersion }}-local{{ .StrictSuffix }}"
                + "/{{ .ResourceKind }}{{ .KindSuffix }}.json"
            )
            out.append(TemplateLocation(builtin, kubernetes_version, strict, fetch, builtin=True))
        else:
            out.append(TemplateLocation(template, kubernetes_version, strict, fetch))
    return out


def crd_folder_location(folder: Path, kubernetes_version: str, strict: bool) -> TemplateLocation:
    """A folder of extra schemas in kubeconform's CRD naming: {group}/{kind}_{version}.json.

    The folder is schemas/crds/ of a repository: a schema that resolves outside that
    repository (through a symlinked group folder or file) is refused, not read."""
    return TemplateLocation(
        str(folder) + "/" + CRD_TEMPLATE,
        kubernetes_version,
        strict,
        _no_fetch,
        confine=folder.parent.parent,
    )
