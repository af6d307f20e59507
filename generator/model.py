"""Records passed between pipeline stages; no I/O and no imports from other stages."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, ClassVar, Literal, NamedTuple, Protocol

Values = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Origin:
    """Where something came from: a repo-relative path, 1-based line and column (0 = unknown)."""

    path: PurePosixPath
    line: int = 0
    column: int = 0

    NOWHERE: ClassVar[Origin]

    def __str__(self) -> str:
        text = str(self.path)
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text

    @property
    def sort_key(self) -> tuple[str, int, int]:
        return (str(self.path), self.line, self.column)


Origin.NOWHERE = Origin(PurePosixPath("."))


class ResourceKey(NamedTuple):
    """Identity of a Kubernetes object: sort order, file name and diff key."""

    api_version: str
    kind: str
    namespace: str
    name: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    def __str__(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"


@dataclass(frozen=True, slots=True)
class Manifest:
    """One Kubernetes object as rendered, with the file that produced it."""

    body: Mapping[str, Any]
    origin: Origin
    # The source text, for objects that must reach rendered/ byte for byte: a SOPS-encrypted
    # file's MAC covers its values in order, so re-serialising it would break decryption.
    verbatim: str = ""

    # Every stage asks these of every object, many times over: each reads the body once,
    # and a plain dict (what loaders make) skips the slower abstract Mapping check.

    @property
    def api_version(self) -> str:
        return str(self.body.get("apiVersion", ""))

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def metadata(self) -> Mapping[str, Any]:
        meta = self.body.get("metadata")
        return meta if type(meta) is dict or isinstance(meta, Mapping) else {}

    @property
    def name(self) -> str:
        meta = self.body.get("metadata")
        if type(meta) is not dict:
            meta = self.metadata
        return str(meta.get("name", ""))

    @property
    def namespace(self) -> str:
        meta = self.body.get("metadata")
        if type(meta) is not dict:
            meta = self.metadata
        return str(meta.get("namespace") or "")

    @property
    def key(self) -> ResourceKey:
        body = self.body
        meta = body.get("metadata")
        if type(meta) is not dict:
            meta = self.metadata
        return ResourceKey(
            str(body.get("apiVersion", "")),
            str(body.get("kind", "")),
            str(meta.get("namespace") or ""),
            str(meta.get("name", "")),
        )


@dataclass(frozen=True, slots=True)
class Selection:
    """Which operators or tenants a cluster runs: names or labels to include, then exclude."""

    include: tuple[str, ...] = ("*",)
    exclude: tuple[str, ...] = ()
    include_labels: Mapping[str, str] = field(default_factory=dict)
    exclude_labels: Mapping[str, str] = field(default_factory=dict)

    def selects(self, name: str, labels: Mapping[str, str]) -> bool:
        from fnmatch import fnmatchcase

        def by_name(patterns: tuple[str, ...]) -> bool:
            return any(fnmatchcase(name, p) for p in patterns)

        def by_labels(wanted: Mapping[str, str]) -> bool:
            return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())

        included = by_name(self.include) or by_labels(self.include_labels)
        excluded = by_name(self.exclude) or by_labels(self.exclude_labels)
        return included and not excluded


@dataclass(frozen=True, slots=True)
class EnabledOn:
    """Where an operator or tenant may run; empty tuples mean everywhere."""

    environments: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()

    def allows(self, cluster: Cluster) -> bool:
        return (
            (not self.environments or cluster.environment in self.environments)
            and (not self.providers or cluster.provider in self.providers)
            and (not self.clusters or cluster.name in self.clusters)
        )


@dataclass(frozen=True, slots=True)
class Override:
    """What an environment or cluster file changes for one operator or tenant, by name."""

    name: str
    values: Values
    origin: Origin  # where the name was written
    value_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)
    quotas: Mapping[str, Any] = field(default_factory=dict)  # tenants only
    quota_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    domain: str
    repo_url: str
    revision: str
    rendered_path: str  # where rendered/ lives inside repo_url, for GitOps sources
    jsonnet_engine: Literal["rjsonnet", "jsonnet"]
    storage_classes: Mapping[str, Mapping[str, str]]  # provider → abstract class → concrete
    ingress_classes: Mapping[str, str]  # provider → ingress class
    values: Values
    origin: Origin
    # where each key path under values was written, for messages about merged values
    value_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)
    strict_promotion: bool = False  # promotion.strict: no stage runs what the one before has not
    helm_strict: bool = False  # a Helm template reading an unset value fails (docs/helm.md)


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    order: int  # promotion order: dev (lowest) → prod
    sync: Mapping[str, Any]  # GitOps sync policy: automated, prune, selfHeal
    values: Values
    origin: Origin
    # where each key path under values was written, for messages about merged values
    value_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)
    # per-operator and per-tenant overrides, by name
    operator_overrides: Mapping[str, Override] = field(default_factory=dict)
    tenant_overrides: Mapping[str, Override] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Cluster:
    name: str
    environment: str
    provider: str
    kubernetes_version: str  # x.y.z
    api_server: str
    gitops: Literal["argocd", "flux"]
    managed_by: str  # name of the management cluster whose Argo CD deploys here, or ""
    operators: Selection
    tenants: Selection
    labels: Mapping[str, str]
    values: Values
    origin: Origin
    # where each key path under values was written, for messages about merged values
    value_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)
    # per-operator and per-tenant overrides, by name, beside the selection keys
    operator_overrides: Mapping[str, Override] = field(default_factory=dict)
    tenant_overrides: Mapping[str, Override] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Component:
    """A folder under charts/ and the engine that renders it."""

    name: str
    engine: Literal["plain", "jinja", "jsonnet", "helm"]
    path: PurePosixPath  # repo-relative folder
    origin: Origin


@dataclass(frozen=True, slots=True)
class Operator:
    name: str  # "cert-manager"
    order: int  # 10 for 010-cert-manager; equal numbers form one wave
    namespace: str
    source: str  # component name under charts/
    enabled: EnabledOn
    labels: Mapping[str, str]
    gitops: Mapping[str, Any]  # per-operator GitOps options (serverSideApply, ignoreDifferences)
    values: Values
    origin: Origin
    # where each key path under values was written, for messages about merged values
    value_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)

    @property
    def dirname(self) -> str:
        return f"{self.order:03d}-{self.name}"


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    namespace: str  # ns-<tenant> unless overridden
    owners: tuple[str, ...]  # groups bound to admin
    readers: tuple[str, ...]  # groups bound to view
    quotas: Mapping[str, Any]
    exposure: Mapping[str, Any]  # {"exposed": bool, "hosts": [...]}
    storage: str  # abstract storage class: fast | standard | bulk
    pod_security: str  # restricted | baseline | privileged
    allow: tuple[Mapping[str, Any], ...]  # egress allowances to shared platform services
    enabled: EnabledOn
    labels: Mapping[str, str]
    values: Values
    origin: Origin
    # where each key path under values was written, for messages about merged values
    value_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)
    # where the tenant's own keys (exposure.hosts, ...) were written, for interpolation messages
    field_origins: Mapping[tuple[str, ...], Origin] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Catalog:
    platform: Platform
    environments: tuple[Environment, ...]
    clusters: tuple[Cluster, ...]
    operators: tuple[Operator, ...]
    tenants: tuple[Tenant, ...]
    components: Mapping[str, Component]  # by name, for every folder under charts/ in use

    def environment(self, name: str) -> Environment:
        return next(e for e in self.environments if e.name == name)


@dataclass(frozen=True, slots=True)
class RenderUnit:
    """One cluster and one of its operators or tenants, with merged and interpolated values."""

    cluster: Cluster
    environment: Environment
    kind: Literal["operator", "tenant"]
    name: str
    order: int  # operator order; tenants render after every operator
    dirname: str  # output folder under rendered/<cluster>/: "010-cert-manager", "tenants/a"
    namespace: str
    component: Component
    # merged platform → environment → cluster → operator/tenant; for a Helm operator only its
    # own block (chart values), with the hierarchy it references in context["values"]
    values: Values
    context: Values  # what templates see: platform, environment, cluster, component, values
    sources: tuple[PurePosixPath, ...]  # catalog files this unit came from
    origin: Origin

    @property
    def label(self) -> str:
        """`<cluster>/<operator or tenant>`: how every engine's messages name the unit."""
        return f"{self.cluster.name}/{self.name}"


@dataclass(frozen=True, slots=True)
class Finding:
    """A problem with a rendered object; collected, never raised."""

    origin: Origin
    key: ResourceKey | None
    message: str
    hint: str = ""
    rule: str = ""  # policy id or "schema"
    clusters: tuple[str, ...] = ()  # where the render found it
    catalog: str = ""  # the catalog file of the operator or tenant that rendered it

    def __str__(self) -> str:
        subject = f"{self.key}: " if self.key else ""
        rule = f" [{self.rule}]" if self.rule else ""
        text = f"{self.origin}: {subject}{self.message}{rule}"
        text += f"\n  hint: {self.hint}" if self.hint else ""
        text += f"\n  catalog: {self.catalog}" if self.catalog else ""
        return text + (f"\n  clusters: {', '.join(self.clusters)}" if self.clusters else "")


def text_digest(text: str) -> str:
    """What rendered/'s digest index (tree_digests) keeps of a file's text."""
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


class TextSource(Protocol):
    """Where the texts of files a cache holds are read, by position, when first asked for."""

    def text(self, index: int) -> str: ...


class RenderedFile:
    """A file of rendered/: its path there and its text. A file from the cache of finished
    units may come as the digest of its text and where to read it: a render of 50,000 files
    mostly compares digests and writes a few, so the text is read only when asked for."""

    __slots__ = ("_digest", "_relpath", "_source", "_text", "path")

    def __init__(
        self,
        relpath: PurePosixPath | str,
        text: str | None = None,
        *,
        digest: str = "",
        source: tuple[TextSource, int] | None = None,
    ) -> None:
        if text is None and (source is None or not digest):
            raise TypeError("a RenderedFile needs its text, or its digest and a source")
        self.path = str(relpath)  # relative to rendered/, as written
        self._relpath = relpath if isinstance(relpath, PurePosixPath) else None
        self._text = text
        self._digest = digest
        self._source = source

    @property
    def relpath(self) -> PurePosixPath:
        if self._relpath is None:
            self._relpath = PurePosixPath(self.path)
        return self._relpath

    @property
    def text(self) -> str:
        if self._text is None:
            assert self._source is not None  # __init__ requires one without a text
            source, index = self._source
            self._text = source.text(index)
        return self._text

    @property
    def digest(self) -> str:
        if not self._digest:
            self._digest = text_digest(self.text)
        return self._digest

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RenderedFile):
            return NotImplemented
        return self.path == other.path and self.text == other.text

    def __hash__(self) -> int:
        return hash((self.path, self.text))

    def __repr__(self) -> str:
        return f"RenderedFile({self.relpath!r}, {self.text!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return RenderedFile, (self.path, self.text)


@dataclass(frozen=True, slots=True)
class Reads:
    """What rendering a unit looked at, as its engine (or an overlay scope) reports it: the
    inputs a cached result depends on. Paths are repo-relative; files of the generator itself
    (its shipped Jsonnet libraries) are covered by the tool's version and are not listed."""

    # files read, or looked for and absent (creating one would change what is found)
    files: frozenset[PurePosixPath] = frozenset()
    # folders read as a whole: every file's name and bytes below them counts
    folders: frozenset[PurePosixPath] = frozenset()
    # value paths the templates read, ("values", "replicas"); empty when the engine cannot tell
    values: frozenset[tuple[str, ...]] = frozenset()

    def __or__(self, other: Reads) -> Reads:
        return Reads(
            self.files | other.files, self.folders | other.folders, self.values | other.values
        )


@dataclass(frozen=True, slots=True)
class Rendered:
    """One unit's engine output and everything the engine read to produce it."""

    manifests: tuple[Manifest, ...]
    reads: Reads
