"""catalog/**.yaml + schemas/catalog/ → Catalog: read, check every file (cerberus), build
records."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from generator.engines import detect_engine
from generator.errors import GeneratorError, GeneratorErrors
from generator.model import (
    Catalog,
    Cluster,
    Component,
    EnabledOn,
    Environment,
    Operator,
    Origin,
    Platform,
    Selection,
    Tenant,
)
from generator.yamlio import Marks, load_with_positions, position_of

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas" / "catalog"
KINDS = {
    "environments": "environment",
    "clusters": "cluster",
    "operators": "operator",
    "tenants": "tenant",
}
OPERATOR_FILE = re.compile(r"(\d{3})-([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.ya?ml")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """One parsed catalog file: its plain data and where each key path was written."""

    path: PurePosixPath
    data: Mapping[str, Any]
    marks: Marks

    def at(self, *key_path: str | int, value: bool = False) -> Origin:
        return position_of(self.marks, key_path, self.path, value)


def load_catalog(repo: Path) -> Catalog:
    """Read and check the whole catalog; every problem of the run is reported together."""
    problems: list[GeneratorError] = []
    files = _read_files(repo, problems)
    platform_file = files.pop(PurePosixPath("catalog/platform.yaml"), None)
    if platform_file is None and not any(
        p.origin and p.origin.path == PurePosixPath("catalog/platform.yaml") for p in problems
    ):
        problems.append(
            GeneratorError(
                "missing catalog/platform.yaml",
                Origin(PurePosixPath("catalog")),
                "create it with at least name, domain and gitops.repoURL (see docs/catalog.md)",
            )
        )
    by_kind: dict[str, list[CatalogFile]] = {kind: [] for kind in KINDS.values()}
    for path, catalog_file in sorted(files.items()):
        by_kind[KINDS[path.parts[1]]].append(catalog_file)
    checked = [
        f for f in ([platform_file] if platform_file else []) if _check(f, "platform", problems)
    ]
    for kind, kind_files in by_kind.items():
        by_kind[kind] = [f for f in kind_files if _check(f, kind, problems)]
    if problems or platform_file is None or not checked:
        raise GeneratorErrors(problems)

    platform = _platform(platform_file)
    environments = tuple(_environment(f, problems) for f in by_kind["environment"])
    clusters = tuple(_cluster(f, problems) for f in by_kind["cluster"])
    operators = tuple(o for f in by_kind["operator"] if (o := _operator(f, problems)))
    tenants = tuple(_tenant(f, problems) for f in by_kind["tenant"])
    located = {f.path: f for f in (platform_file, *files.values())}

    def at(origin: Origin, *key_path: str | int, value: bool = False) -> Origin:
        return located[origin.path].at(*key_path, value=value)

    components = _components(repo, operators, tenants, problems, at)
    catalog = Catalog(platform, environments, clusters, operators, tenants, components)
    _check_references(catalog, problems, at)
    if problems:
        raise GeneratorErrors(problems)
    return catalog


# ---------------------------------------------------------------- reading files


def _read_files(repo: Path, problems: list[GeneratorError]) -> dict[PurePosixPath, CatalogFile]:
    root = repo / "catalog"
    if not root.is_dir():
        raise GeneratorError(
            f"no catalog/ folder in '{repo}'",
            hint="run from the repository root or pass --repo; see docs/catalog.md for the layout",
        )
    files: dict[PurePosixPath, CatalogFile] = {}
    for path in sorted(root.rglob("*")):
        rel = PurePosixPath(path.relative_to(repo).as_posix())
        if path.is_dir() or path.name.startswith("."):
            continue
        if not _expected_place(rel):
            problems.append(
                GeneratorError(
                    f"unexpected file '{rel}' in the catalog",
                    Origin(rel),
                    "catalog files live in catalog/platform.yaml or catalog/{environments,clusters,"
                    "operators,tenants}/<name>.yaml; move or delete this file",
                )
            )
            continue
        try:
            files[rel] = _read_one(path, rel)
        except GeneratorError as e:
            problems.append(e)
    return files


def _expected_place(rel: PurePosixPath) -> bool:
    if rel == PurePosixPath("catalog/platform.yaml"):
        return True
    return len(rel.parts) == 3 and rel.parts[1] in KINDS and rel.suffix in YAML_SUFFIXES


def _read_one(path: Path, rel: PurePosixPath) -> CatalogFile:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        column = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise GeneratorError(
            f"file is not valid UTF-8 (byte 0x{raw[e.start]:02x})",
            Origin(rel, line, column),
            "save the file as UTF-8",
        ) from e
    documents = [d for d in load_with_positions(text, rel) if d.data is not None]
    if len(documents) != 1 or not isinstance(documents[0].data, Mapping):
        found = "no document" if not documents else f"{len(documents)} documents"
        if len(documents) == 1:
            found = {list: "a list"}.get(type(documents[0].data), "a single value")
        raise GeneratorError(
            f"expected one YAML mapping, found {found}",
            Origin(rel, 1, 1),
            "write the file as a single mapping of keys (see docs/catalog.md)",
        )
    return CatalogFile(rel, documents[0].data, documents[0].marks)


# ---------------------------------------------------------------- schema checking


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


def _check(catalog_file: CatalogFile, kind: str, problems: list[GeneratorError]) -> bool:
    from cerberus import Validator

    schema = _schemas()[kind]
    validator = Validator(schema, allow_unknown=False)
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
        return GeneratorError(
            f"{dotted}: must be {_article(wanted)}, got {got} {_show(error.value)}",
            origin,
            f"write {dotted} as {_article(wanted)}",
        )
    if code == cerberus_errors.UNALLOWED_VALUE.code:
        allowed = ", ".join(str(a) for a in error.constraint)
        return GeneratorError(
            f"{dotted}: {_show(error.value)} is not allowed", origin, f"use one of: {allowed}"
        )
    if code == cerberus_errors.REGEX_MISMATCH.code:
        return GeneratorError(
            f"{dotted}: {_show(error.value)} does not match the pattern '{error.constraint}'",
            origin,
            "use lower-case letters, digits and '-' (names), or the form the pattern shows",
        )
    message = cerberus_errors.BasicErrorHandler.messages.get(code, "is invalid")
    message = message.format(
        *error.info, constraint=error.constraint, field=dotted, value=error.value
    )
    return GeneratorError(f"{dotted}: {message}", origin, "see docs/catalog.md for this key")


def _schema_at(schema: Mapping[str, Any], path: tuple[Any, ...]) -> Mapping[str, Any]:
    node: Mapping[str, Any] = schema
    for key in path:
        if isinstance(key, int):
            node = node.get("schema", {}).get("schema", {}) if "schema" in node else {}
            continue
        rule = node.get(key, {})
        node = rule.get("schema", {}) if isinstance(rule, Mapping) else {}
    return node


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
    if isinstance(value, (Mapping, list)):
        return ""
    return f"'{value}'"


# ---------------------------------------------------------------- records


def _origins(catalog_file: CatalogFile) -> dict[tuple[str, ...], Origin]:
    """Position of every key path under `values`, for messages about merged values."""
    return {
        tuple(str(k) for k in key_path[1:]): Origin(catalog_file.path, line, column)
        for key_path, (line, column, _, _) in catalog_file.marks.items()
        if len(key_path) > 1 and key_path[0] == "values"
    }


def _name(catalog_file: CatalogFile, problems: list[GeneratorError]) -> str:
    stem = catalog_file.path.stem
    name = str(catalog_file.data.get("name", stem))
    if name != stem:
        problems.append(
            GeneratorError(
                f"name: '{name}' does not match the file name '{catalog_file.path.name}'",
                catalog_file.at("name"),
                f"rename the file to '{name}{catalog_file.path.suffix}' or set name: {stem}",
            )
        )
    return name


def _platform(f: CatalogFile) -> Platform:
    d = f.data
    gitops = d["gitops"]
    return Platform(
        name=d["name"],
        domain=d["domain"],
        repo_url=gitops["repoURL"],
        revision=gitops.get("revision", "main"),
        rendered_path=gitops.get("renderedPath", "rendered"),
        jsonnet_engine=d.get("jsonnet", {}).get("engine", "rjsonnet"),
        storage_classes=d.get("storageClasses", {}),
        ingress_classes=d.get("ingressClasses", {}),
        values=d.get("values", {}),
        origin=Origin(f.path, 1, 1),
        value_origins=_origins(f),
    )


def _environment(f: CatalogFile, problems: list[GeneratorError]) -> Environment:
    d = f.data
    sync = {"automated": True, "prune": True, "selfHeal": True, **d.get("sync", {})}
    return Environment(
        _name(f, problems), d["order"], sync, d.get("values", {}), Origin(f.path, 1, 1), _origins(f)
    )


def _selection(d: Mapping[str, Any] | None) -> Selection:
    d = d or {}
    return Selection(
        include=tuple(d.get("include", ["*"])),
        exclude=tuple(d.get("exclude", [])),
        include_labels=d.get("includeLabels", {}),
        exclude_labels=d.get("excludeLabels", {}),
    )


def _enabled_on(d: Mapping[str, Any] | None) -> EnabledOn:
    d = d or {}
    return EnabledOn(
        tuple(d.get("environments", [])),
        tuple(d.get("providers", [])),
        tuple(d.get("clusters", [])),
    )


def _cluster(f: CatalogFile, problems: list[GeneratorError]) -> Cluster:
    d = f.data
    return Cluster(
        name=_name(f, problems),
        environment=d["environment"],
        provider=d["provider"],
        kubernetes_version=d["kubernetesVersion"],
        api_server=d["apiServer"],
        gitops=d["gitops"],
        managed_by=d.get("managedBy", ""),
        operators=_selection(d.get("operators")),
        tenants=_selection(d.get("tenants")),
        labels=d.get("labels", {}),
        values=d.get("values", {}),
        origin=Origin(f.path, 1, 1),
        value_origins=_origins(f),
    )


def _operator(f: CatalogFile, problems: list[GeneratorError]) -> Operator | None:
    d = f.data
    match = OPERATOR_FILE.fullmatch(f.path.name)
    if not match:
        problems.append(
            GeneratorError(
                f"operator file name '{f.path.name}' is not NNN-<name>.yaml",
                Origin(f.path),
                "name it with a three-digit install order and a lower-case name, "
                "e.g. 010-cert-manager.yaml",
            )
        )
        return None
    order, name = int(match.group(1)), match.group(2)
    return Operator(
        name=name,
        order=order,
        namespace=d.get("namespace", name),
        source=d.get("source", name),
        enabled=_enabled_on(d.get("enabledOn")),
        labels=d.get("labels", {}),
        gitops=d.get("gitops", {}),
        values=d.get("values", {}),
        origin=Origin(f.path, 1, 1),
        value_origins=_origins(f),
    )


def _tenant(f: CatalogFile, problems: list[GeneratorError]) -> Tenant:
    d = f.data
    name = _name(f, problems)
    return Tenant(
        name=name,
        namespace=d.get("namespace", f"ns-{name}"),
        owners=tuple(d["owners"]),
        readers=tuple(d.get("readers", [])),
        quotas=d.get("quotas", {}),
        exposure={"exposed": False, "hosts": [], **d.get("exposure", {})},
        storage=d.get("storage", "standard"),
        pod_security=d.get("podSecurity", "restricted"),
        allow=tuple(d.get("allow", [])),
        enabled=_enabled_on(d.get("enabledOn")),
        labels=d.get("labels", {}),
        values=d.get("values", {}),
        origin=Origin(f.path, 1, 1),
        value_origins=_origins(f),
    )


Locate = Callable[..., Origin]


def _components(
    repo: Path,
    operators: tuple[Operator, ...],
    tenants: tuple[Tenant, ...],
    problems: list[GeneratorError],
    at: Locate,
) -> dict[str, Component]:
    charts = (repo / "charts").resolve()
    components: dict[str, Component] = {}
    for operator in operators:
        origin = at(operator.origin, "source", value=True)
        folder = (charts / operator.source).resolve()
        if (
            PurePosixPath(operator.source).is_absolute()
            or not folder.is_relative_to(charts)
            or folder == charts
        ):
            problems.append(
                GeneratorError(
                    f"source: '{operator.source}' points outside charts/",
                    origin,
                    "name a folder directly under charts/",
                )
            )
            continue
        if not folder.is_dir():
            close = difflib.get_close_matches(
                operator.source,
                [p.name for p in charts.iterdir() if p.is_dir()] if charts.is_dir() else [],
                n=1,
            )
            problems.append(
                GeneratorError(
                    f"source: component 'charts/{operator.source}' does not exist",
                    origin,
                    f"did you mean '{close[0]}'?"
                    if close
                    else f"create charts/{operator.source}/ or fix source",
                )
            )
            continue
        path = PurePosixPath("charts", operator.source)
        components[operator.source] = Component(
            operator.source, detect_engine(folder), path, origin
        )
    if tenants:
        custom = repo / "charts" / "tenant" / "main.jsonnet"
        path = (
            PurePosixPath("charts/tenant") if custom.is_file() else PurePosixPath("builtin/tenant")
        )
        components["tenant"] = Component("tenant", "jsonnet", path, tenants[0].origin)
    return components


def _check_references(catalog: Catalog, problems: list[GeneratorError], at: Locate) -> None:
    environments = {e.name for e in catalog.environments}
    clusters = {c.name for c in catalog.clusters}
    operators: dict[str, Operator] = {}
    for operator in catalog.operators:
        if operator.name in operators:
            first = operators[operator.name]
            problems.append(
                GeneratorError(
                    f"operator '{operator.name}' is defined twice (also in {first.origin.path})",
                    operator.origin,
                    "give each operator a unique name; "
                    "operators sharing an install number form one wave",
                )
            )
        operators[operator.name] = operator
    orders: dict[int, str] = {}
    for environment in catalog.environments:
        if environment.order in orders:
            problems.append(
                GeneratorError(
                    f"order: {environment.order} is also the order of environment "
                    f"'{orders[environment.order]}'",
                    at(environment.origin, "order"),
                    "give each environment its own promotion order (dev lowest, prod highest)",
                )
            )
        orders[environment.order] = environment.name
    for cluster in catalog.clusters:
        if cluster.environment not in environments:
            problems.append(
                _unknown(
                    "environment",
                    cluster.environment,
                    environments,
                    at(cluster.origin, "environment"),
                    "environment",
                )
            )
        if cluster.managed_by and cluster.managed_by not in clusters:
            problems.append(
                _unknown(
                    "managedBy",
                    cluster.managed_by,
                    clusters,
                    at(cluster.origin, "managedBy"),
                    "cluster",
                )
            )
        for key, selection, known in (
            ("operators", cluster.operators, set(operators)),
            ("tenants", cluster.tenants, {t.name for t in catalog.tenants}),
        ):
            for field, patterns in (("include", selection.include), ("exclude", selection.exclude)):
                for index, pattern in enumerate(patterns):
                    if not any(c in pattern for c in "*?[") and pattern not in known:
                        where = at(cluster.origin, key, field, index)
                        problems.append(_unknown(f"{key}.{field}", pattern, known, where, key[:-1]))
    records: tuple[Operator | Tenant, ...] = (*catalog.operators, *catalog.tenants)
    for record in records:
        for field, names, what in (
            ("environments", environments, "environment"),
            ("clusters", clusters, "cluster"),
        ):
            for index, name in enumerate(getattr(record.enabled, field)):
                if name not in names:
                    where = at(record.origin, "enabledOn", field, index)
                    problems.append(_unknown(f"enabledOn.{field}", name, names, where, what))
    namespaces: dict[str, str] = {}
    for tenant in catalog.tenants:
        if tenant.namespace in namespaces:
            problems.append(
                GeneratorError(
                    f"namespace: '{tenant.namespace}' is also the namespace of tenant "
                    f"'{namespaces[tenant.namespace]}'",
                    at(tenant.origin, "namespace"),
                    "give every tenant its own namespace",
                )
            )
        namespaces[tenant.namespace] = tenant.name
        if tenant.namespace in {o.namespace for o in catalog.operators}:
            problems.append(
                GeneratorError(
                    f"namespace: '{tenant.namespace}' belongs to an operator",
                    at(tenant.origin, "namespace"),
                    "tenants get their own namespace (default ns-<tenant>)",
                )
            )


def _unknown(key: str, value: str, known: set[str], origin: Origin, what: str) -> GeneratorError:
    close = difflib.get_close_matches(value, sorted(known), n=1)
    hint = (
        f"did you mean '{close[0]}'?"
        if close
        else f"known {what}s: {', '.join(sorted(known)) or 'none'}"
    )
    return GeneratorError(f"{key}: unknown {what} '{value}'", origin, hint)
