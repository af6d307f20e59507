"""`generator explain CLUSTER/UNIT KIND/NAME [FIELD]` → for each field of one rendered object:
the template that emitted it, the catalog values the engine read that hold its value (layer,
file:line, `${…}` chains to their origin) and every overlay step that changed it afterwards."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError
from generator.merge import REFERENCE, helm_scoped, split_layers, value_layers
from generator.model import Catalog, Manifest, Operator, Origin, RenderUnit, Tenant
from generator.overlays.trace import FieldPath, OverlayChange

MAX_CHAIN = 20  # a ${…} chain longer than this is a cycle, which merge refuses anyway


@dataclass(frozen=True, slots=True)
class Source:
    """A catalog value: where it was written, and what its `${…}` references resolved from."""

    path: str  # "values.controller.replicas", "tenant.quotas.cpu", "cluster.name"
    value: Any
    layer: str  # "platform", "operator", "environment tenants.payments", "derived", ...
    origin: Origin | None
    written: Any  # as written in the file: "${values.replicas}" for a reference
    via: tuple[Source, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    path: FieldPath
    value: Any
    engine_value: Any  # what the engine produced, before overlays
    emitted: Origin
    sources: tuple[Source, ...]
    overlays: tuple[OverlayChange, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    unit: str
    manifest: Manifest
    engine: str
    fields: tuple[Field, ...]


def explain(repo: Path, target: str, obj: str, field: str | None) -> Explanation:
    from generator.catalog import load_catalog
    from generator.merge import resolve_units

    cluster_name, _, unit_name = target.partition("/")
    catalog = load_catalog(repo)
    units = resolve_units(catalog, [cluster_name])
    unit = _one(
        [u for u in units if u.name == unit_name],
        unit_name,
        [u.name for u in units],
        "unit",
        f"name an operator or tenant that runs on {cluster_name}",
    )
    before, after, changes, reads = _render(repo, catalog, unit, units)
    manifest = _find(after, obj, unit)
    engine = _engine_object(before, after, manifest)
    candidates = list(_candidates(catalog, unit, reads))
    leaves = list(_leaves(manifest.body))
    if field is not None:
        wanted = _parse_field(field)
        chosen = [(p, v) for p, v in leaves if p[: len(wanted)] == wanted]
        if not chosen:  # `spec.hard.requests.cpu` for the key "requests.cpu"
            chosen = [
                (p, v)
                for p, v in leaves
                if _plain(p).startswith(field)
                and (_plain(p) == field or _plain(p)[len(field)] in ".[")
            ]
        if not chosen:
            known = sorted({_dotted(p) for p, _ in leaves})
            close = difflib.get_close_matches(field, known, n=1)
            raise GeneratorError(
                f"{manifest.kind}/{manifest.name} has no field '{field}'",
                hint=f"did you mean '{close[0]}'?"
                if close
                else "name a field path such as "
                "spec.replicas or spec.template.spec.containers[0].image",
            )
        leaves = chosen
    origin_lines = _emitted_lines(repo, engine, unit)
    # a plain file's document line is its own; Jinja's is an output line, Helm's always 1
    fallback = engine.origin if unit.component.engine == "plain" else Origin(engine.origin.path)
    explained = []
    for path, value in leaves:
        engine_value = _get(engine.body, path, value)
        explained.append(
            Field(
                path,
                value,
                engine_value,
                origin_lines.get(path, fallback),
                tuple(_matching(candidates, engine_value)),
                tuple(c for c in changes.get(manifest.key, []) if c.touches(path)),
            )
        )
    return Explanation(unit.label, manifest, unit.component.engine, tuple(explained))


def _engine_object(
    before: Sequence[Manifest], after: Sequence[Manifest], manifest: Manifest
) -> Manifest:
    """The object as its engine made it: the one with the same key, or, when an overlay renamed
    or moved it, the one in the same place among the objects of its kind that overlays changed
    the identity of (overlays keep the engine's order)."""
    for m in before:
        if m.key == manifest.key:
            return m
    kept = {m.key for m in after}
    kind = manifest.key[:2]
    gone = [m for m in before if m.key[:2] == kind and m.key not in kept]
    moved = [m for m in after if m.key[:2] == kind and m.key not in {b.key for b in before}]
    index = next(i for i, m in enumerate(moved) if m is manifest)
    return gone[index] if index < len(gone) else manifest


def _one(found: list[Any], name: str, known: Sequence[str], what: str, hint: str) -> Any:
    if found:
        return found[0]
    close = difflib.get_close_matches(name, sorted(known), n=1)
    raise GeneratorError(
        f"unknown {what} '{name}'", hint=f"did you mean '{close[0]}'?" if close else hint
    )


def _render(
    repo: Path, catalog: Catalog, unit: RenderUnit, units: Sequence[RenderUnit]
) -> tuple[list[Manifest], list[Manifest], dict[Any, list[OverlayChange]], frozenset[Any]]:
    """The unit's objects before and after overlays, the overlay steps per object, and the
    value paths its engine read. Only the unit renders, unless a cluster-wide overlay renames
    objects or copies fields between them: then every unit of the cluster does."""
    from generator.pipeline import trace_cluster
    from generator.provenance.blame import OverlayTrace

    trace = OverlayTrace()
    alone = not _crosses_units(repo, unit)
    rendered, reads = trace_cluster(repo, catalog, unit.cluster, [unit] if alone else units, trace)
    after = next(ms for u, ms in rendered if u is unit)
    before = next(ms for u, ms in trace.before() if u is unit)
    read = next(r for u, r in reads if u is unit)
    changes = {key: trace.of(unit, key) for key in {m.key for m in after}}
    return before, after, changes, read.values


def _crosses_units(repo: Path, unit: RenderUnit) -> bool:
    for scope in (
        repo / "overlays" / "environments" / unit.cluster.environment,
        repo / "overlays" / "clusters" / unit.cluster.name,
    ):
        for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            path = scope / name
            if path.is_file() and re.search(
                r"^(replacements|namePrefix|nameSuffix|vars):", path.read_text("utf-8"), re.M
            ):
                return True
    return False


def _find(manifests: Sequence[Manifest], obj: str, unit: RenderUnit) -> Manifest:
    parts = obj.split("/")
    if len(parts) not in (2, 3):
        raise GeneratorError(
            f"'{obj}' is not KIND/NAME", hint="write the object as KIND/NAME or KIND/NAMESPACE/NAME"
        )
    kind, name = parts[0].lower(), parts[-1]
    namespace = parts[1] if len(parts) == 3 else None
    for m in manifests:
        if m.kind.lower() == kind and m.name == name and namespace in (None, m.namespace):
            return m
    known = [f"{m.kind}/{m.name}" for m in manifests]
    close = difflib.get_close_matches(obj, known, n=1)
    raise GeneratorError(
        f"{unit.label} renders no {obj}",
        hint=f"did you mean '{close[0]}'?" if close else f"it renders: {', '.join(known)}",
    )


def _parse_field(text: str) -> FieldPath:
    """`spec.template.spec.containers[0].image` or `…containers.0.image`; a key holding a dot
    is written in brackets: `metadata.labels["app.kubernetes.io/name"]`."""
    path: list[str | int] = []
    for token in re.finditer(r'\["([^"]*)"\]|\[(\d+)\]|([^.\[\]]+)', text):
        quoted, index, word = token.groups()
        if quoted is not None:
            path.append(quoted)
        elif index is not None or (word is not None and word.isdigit()):
            path.append(int(index if index is not None else word))
        else:
            path.append(word)
    return tuple(path)


def _plain(path: FieldPath) -> str:
    return ".".join(str(p) for p in path)


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part or "/" in part:
            out += f'["{part}"]'
        else:
            out += ("." if out else "") + part
    return out


def _leaves(node: Any, path: FieldPath = ()) -> Iterator[tuple[FieldPath, Any]]:
    if isinstance(node, Mapping) and node:
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(node, list) and node:
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, i))
    else:
        yield path, node


def _get(body: Any, path: FieldPath, default: Any) -> Any:
    node = body
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None if default is not None else default
    return node


def _emitted_lines(repo: Path, manifest: Manifest, unit: RenderUnit) -> dict[FieldPath, Origin]:
    """The source line of each field where the engine can tell: a plain YAML file's own lines;
    for a Jinja template, the template line that wrote the field's value. Jsonnet and Helm
    name their file only (neither binding maps output back to source lines)."""
    from generator.yamlio import load_with_positions

    rel = manifest.origin.path
    if unit.component.engine not in ("plain", "jinja") or rel.suffix not in (
        ".j2",
        ".yaml",
        ".yml",
    ):
        return {}
    try:
        if rel.suffix == ".j2":
            from generator.engines.jinja import template_lines

            text, lines = template_lines(unit, repo, rel)
        else:
            text = (repo / str(rel)).read_text("utf-8")
            lines = list(range(text.count("\n") + 2))
        documents = load_with_positions(text, rel)
    except (OSError, GeneratorError):
        return {}
    for document in documents:
        data = document.data
        if (
            isinstance(data, Mapping)
            and data.get("kind") == manifest.kind
            and (data.get("metadata") or {}).get("name") == manifest.name
        ):
            return {
                tuple(k): Origin(rel, lines[value_line - 1] if value_line <= len(lines) else 0)
                for k, (_, _, value_line, _) in document.marks.items()
            }
    return {}


# ---------------------------------------------------------------- catalog values


def _candidates(
    catalog: Catalog, unit: RenderUnit, reads: frozenset[tuple[str, ...]]
) -> Iterator[Source]:
    """Every catalog value the engine read (a read mapping: each value under it), and for a
    tenant every field of the tenant, with its provenance."""
    record = _record(catalog, unit)
    chains = _Chains(catalog, unit, record)
    if isinstance(record, Tenant):  # the tenant's own fields win over values in the library
        for sub, _ in _leaves(unit.context.get("tenant", {})):
            yield chains.tenant(tuple(str(s) for s in sub))
    seen: set[tuple[str, ...]] = set()
    for read in sorted(reads):
        if read[:1] != ("values",):
            continue
        node = _at(unit.values, read[1:])
        for sub, _ in _leaves(node) if node is not _MISSING else ():
            path = (*read[1:], *(str(s) for s in sub))
            if path not in seen:
                seen.add(path)
                yield chains.value(path)


_MISSING = object()


def _at(node: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def _record(catalog: Catalog, unit: RenderUnit) -> Operator | Tenant:
    records: tuple[Operator | Tenant, ...] = (
        catalog.operators if unit.kind == "operator" else catalog.tenants
    )
    return next(r for r in records if r.name == unit.name)


class _Chains:
    """Provenance of values and tenant fields, following `${…}` to where each was written."""

    def __init__(self, catalog: Catalog, unit: RenderUnit, record: Operator | Tenant) -> None:
        self.catalog = catalog
        self.unit = unit
        self.record = record
        layers = value_layers(catalog, unit.cluster, record)
        # A Helm chart reads its own block (unit.values); references lead into the hierarchy.
        self.shared, self.own = (
            split_layers(layers) if helm_scoped(catalog, record) else (layers, [])
        )

    def value(self, path: tuple[str, ...], depth: int = 0) -> Source:
        block = bool(self.own) and depth == 0
        resolved = _at(self.unit.values if block else self.unit.context["values"], path)
        name = "values." + ".".join(path)
        for layer in reversed(self.own if block else self.shared):
            if path in layer.origins:
                written = _at(layer.values, path)
                via = self._via(written, depth)
                return Source(name, resolved, layer.name, layer.origins[path], written, via)
            for cut in range(len(path) - 1, 0, -1):
                if path[:cut] not in layer.origins:
                    continue
                written = _at(layer.values, path[:cut])
                whole = REFERENCE.fullmatch(written) if isinstance(written, str) else None
                if whole is None or whole.group(1):
                    break  # a mapping written here without this key: an earlier layer's
                # `resources: ${values.resources.medium}` copies a mapping: follow into it
                target = (*whole.group(2).strip().split("."), *path[cut:])
                via = self._follow(target, depth)
                origin = layer.origins[path[:cut]]
                return Source(name, resolved, layer.name, origin, written, via)
        return Source(name, resolved, "derived", None, resolved)

    def _follow(self, parts: tuple[str, ...], depth: int) -> tuple[Source, ...]:
        if depth > MAX_CHAIN:
            return ()
        if parts[0] == "values":
            return (self.value(parts[1:], depth + 1),)
        if parts[0] == "tenant" and isinstance(self.record, Tenant):
            return (self.tenant(parts[1:], depth + 1),)
        return (self._context(parts),)

    def tenant(self, path: tuple[str, ...], depth: int = 0) -> Source:
        tenant = self.record
        assert isinstance(tenant, Tenant)
        resolved = _at(self.unit.context.get("tenant", {}), path)
        name = "tenant." + ".".join(path)
        if path[:1] == ("quotas",) and len(path) == 2:
            environment = self.catalog.environment(self.unit.cluster.environment)
            for scope, holder in (("cluster", self.unit.cluster), ("environment", environment)):
                entry = holder.tenant_overrides.get(tenant.name)
                if entry is not None and path[1:] in entry.quota_origins:
                    layer = f"{scope} tenants.{tenant.name}"
                    written = entry.quotas.get(path[1])
                    return Source(name, resolved, layer, entry.quota_origins[path[1:]], written)
        for cut in range(len(path), 0, -1):
            if path[:cut] in tenant.field_origins:
                written = _at(_tenant_fields(tenant), path)
                origin = tenant.field_origins[path[:cut]]
                return Source(name, resolved, "tenant", origin, written, self._via(written, depth))
        return Source(name, resolved, "default", None, resolved)

    def _via(self, written: Any, depth: int) -> tuple[Source, ...]:
        if not isinstance(written, str) or "${" not in written or depth > MAX_CHAIN:
            return ()
        out: list[Source] = []
        for match in REFERENCE.finditer(written):
            if match.group(1):
                continue
            out.extend(self._follow(tuple(match.group(2).strip().split(".")), depth))
        return tuple(out)

    def _context(self, parts: tuple[str, ...]) -> Source:
        """`${cluster.name}`, `${environment.name}`, ...: the catalog file that defines it."""
        holder = {
            "cluster": self.unit.cluster.origin,
            "environment": self.unit.environment.origin,
            "platform": self.catalog.platform.origin,
            "component": self.record.origin,
        }.get(parts[0])
        value = _at(self.unit.context, parts)
        return Source(".".join(parts), value, parts[0], holder, value)


def _tenant_fields(tenant: Tenant) -> dict[str, Any]:
    return {
        "name": tenant.name,
        "namespace": tenant.namespace,
        "owners": list(tenant.owners),
        "readers": list(tenant.readers),
        "quotas": dict(tenant.quotas),
        "exposure": dict(tenant.exposure),
        "storage": tenant.storage,
        "podSecurity": tenant.pod_security,
        "labels": dict(tenant.labels),
    }


def _matching(candidates: Sequence[Source], value: Any) -> Iterator[Source]:
    """The candidates holding the field's value (equal as text), then those whose text the
    field's value contains (an image tag inside an image reference)."""
    if value is None or isinstance(value, Mapping | list):
        return
    text = _text(value)
    equal = [c for c in candidates if _text(c.value) == text and c.value is not None]
    inside = [
        c
        for c in candidates
        if isinstance(c.value, str)
        and len(c.value) >= 3
        and not c.value.isdigit()
        and c.value != text
        and c.value in text
    ]
    yield from equal
    yield from inside


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------- report


def render_explanation(explanation: Explanation, output_format: str) -> str:
    if output_format == "json":
        import json

        return json.dumps(_json(explanation), indent=2, ensure_ascii=False, default=str)
    m = explanation.manifest
    where = f"{m.namespace}/" if m.namespace else ""
    lines = [
        f"{explanation.unit}: {m.kind} {where}{m.name} ({explanation.engine}: {m.origin.path})"
    ]
    for f in explanation.fields:
        lines.append(f"{_dotted(f.path)} = {_show(f.value)}")
        lines.append(
            f"  emitted by {f.emitted}"
            + (f" as {_show(f.engine_value)}" if f.overlays and f.engine_value != f.value else "")
        )
        for source in f.sources:
            lines.extend(_source_lines(source))
        for change in f.overlays:
            lines.append(f"  changed by {change.origin} ({change.what})")
    return "\n".join(lines)


def _source_lines(source: Source, depth: int = 0) -> list[str]:
    where = str(source.origin) if source.origin else "derived from the catalog"
    written = (
        f" written {_show(source.written)}"
        if isinstance(source.written, str) and "${" in source.written
        else ""
    )
    lead = "  from " if not depth else "  " + "    " * depth + "← "
    out = [f"{lead}{source.path} = {_show(source.value)} ({source.layer}, {where}){written}"]
    for via in source.via:
        out.extend(_source_lines(via, depth + 1))
    return out


def _show(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else _text(value)


def _json(explanation: Explanation) -> dict[str, Any]:
    m = explanation.manifest
    return {
        "unit": explanation.unit,
        "object": {
            "apiVersion": m.api_version,
            "kind": m.kind,
            "namespace": m.namespace,
            "name": m.name,
            "source": str(m.origin.path),
            "engine": explanation.engine,
        },
        "fields": [
            {
                "path": _dotted(f.path),
                "value": f.value,
                "engineValue": f.engine_value,
                "emitted": str(f.emitted),
                "values": [_source_json(s) for s in f.sources],
                "overlays": [
                    {"origin": str(c.origin), "file": str(c.file), "step": c.what}
                    for c in f.overlays
                ],
            }
            for f in explanation.fields
        ],
    }


def _source_json(source: Source) -> dict[str, Any]:
    return {
        "path": source.path,
        "value": source.value,
        "layer": source.layer,
        "origin": str(source.origin) if source.origin else None,
        "written": source.written,
        "via": [_source_json(v) for v in source.via],
    }
