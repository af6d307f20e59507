"""Checked CatalogFiles → records (Platform, Environment, Cluster, Operator, Tenant) and the
Components their sources name under charts/."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from generator.catalog.files import CatalogFile
from generator.engines import detect_engine
from generator.errors import GeneratorError
from generator.model import (
    Cluster,
    Component,
    EnabledOn,
    Environment,
    Operator,
    Origin,
    Override,
    Platform,
    Selection,
    Tenant,
)

OPERATOR_FILE = re.compile(r"(\d{3})-([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.ya?ml")
# at(origin, *key_path, value=False) → the position of a key in the file that origin names
Locate = Callable[..., Origin]


def _origins(catalog_file: CatalogFile) -> dict[tuple[str, ...], Origin]:
    """Position of every key path under `values`, for messages about merged values."""
    return {
        path[1:]: origin
        for path, origin in _positions(catalog_file)
        if path[0] == "values" and path[1:]
    }


SELECTION_KEYS = frozenset({"include", "exclude", "includeLabels", "excludeLabels"})


def _overrides(catalog_file: CatalogFile, key: str) -> dict[str, Override]:
    """`operators:` or `tenants:` entries by name, each with the positions of its values and
    quotas (a cluster's selection keys sit beside them and are skipped)."""
    entries = catalog_file.data.get(key) or {}
    positions = [(p, o) for p, o in _positions(catalog_file) if len(p) > 3 and p[0] == key]

    def under(name: str, section: str) -> dict[tuple[str, ...], Origin]:
        return {p[3:]: o for p, o in positions if p[1] == name and p[2] == section}

    return {
        name: Override(
            name=name,
            values=entry.get("values") or {},
            origin=catalog_file.at(key, name),
            value_origins=under(name, "values"),
            quotas=entry.get("quotas") or {},
            quota_origins=under(name, "quotas"),
        )
        for name, entry in entries.items()
        if name not in SELECTION_KEYS
    }


def _field_origins(catalog_file: CatalogFile) -> dict[tuple[str, ...], Origin]:
    """Position of every key path outside `values`, for messages about interpolated fields."""
    return {path: origin for path, origin in _positions(catalog_file) if path[0] != "values"}


def _positions(catalog_file: CatalogFile) -> list[tuple[tuple[str, ...], Origin]]:
    return [
        (tuple(str(k) for k in key_path), Origin(catalog_file.path, line, column))
        for key_path, (line, column, _, _) in catalog_file.marks.items()
    ]


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


def platform(f: CatalogFile) -> Platform:
    d = f.data
    gitops = d["gitops"]
    return Platform(
        name=d["name"],
        domain=d["domain"],
        repo_url=gitops["repoURL"],
        revision=gitops.get("revision", "main"),
        rendered_path=gitops.get("renderedPath", "rendered"),
        jsonnet_engine=d.get("jsonnet", {}).get("engine", "rjsonnet"),
        helm_strict=bool(d.get("helm", {}).get("strict", False)),
        storage_classes=d.get("storageClasses", {}),
        ingress_classes=d.get("ingressClasses", {}),
        values=d.get("values", {}),
        origin=Origin(f.path, 1, 1),
        value_origins=_origins(f),
        strict_promotion=bool(d.get("promotion", {}).get("strict", False)),
    )


def environment(f: CatalogFile, problems: list[GeneratorError]) -> Environment:
    d = f.data
    sync = {"automated": True, "prune": True, "selfHeal": True, **d.get("sync", {})}
    return Environment(
        _name(f, problems),
        d["order"],
        sync,
        d.get("values", {}),
        Origin(f.path, 1, 1),
        _origins(f),
        _overrides(f, "operators"),
        _overrides(f, "tenants"),
    )


def _selection(d: Mapping[str, Any] | None) -> Selection:
    d = d or {}
    # Without `include`, everything is included, unless labels say what to include.
    default_include = [] if d.get("includeLabels") else ["*"]
    return Selection(
        include=tuple(d.get("include", default_include)),
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


def cluster(f: CatalogFile, problems: list[GeneratorError]) -> Cluster:
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
        operator_overrides=_overrides(f, "operators"),
        tenant_overrides=_overrides(f, "tenants"),
    )


def operator(f: CatalogFile, problems: list[GeneratorError]) -> Operator | None:
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


def tenant(f: CatalogFile, problems: list[GeneratorError]) -> Tenant:
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
        field_origins=_field_origins(f),
    )


def components(
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
