"""Catalog + what each unit's engine read → warnings for environment and cluster values that no
template reads (a misplaced `grafana: {version: …}` changes nothing, and should say so)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from generator.engines.value_reads import covers
from generator.merge import REFERENCE, Layer, deep_merge, helm_scoped, split_layers, value_layers
from generator.model import (
    Catalog,
    Cluster,
    Environment,
    Operator,
    Origin,
    Reads,
    RenderUnit,
    Tenant,
)

Path_ = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unused:
    origin: Origin
    message: str
    hint: str

    def __str__(self) -> str:
        return f"warning: {self.origin}: {self.message}\n  hint: {self.hint}"


def leaves(values: Mapping[str, object], prefix: Path_ = ()) -> Iterator[Path_]:
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping) and value:
            yield from leaves(value, path)
        else:
            yield path


class UnitReads(NamedTuple):
    """What reached a unit's templates: paths of its own values (what `operators.<name>.values`
    entries set) and of the hierarchy (what environment and cluster `values` set). They differ
    only for a Helm operator, whose chart sees its own block alone (docs/helm.md)."""

    own: set[Path_]
    shared: set[Path_]


def unit_reads(catalog: Catalog, unit: RenderUnit, reads: Reads) -> UnitReads:
    """The value paths a unit's templates read, plus every value a read one references through
    `${values.…}` (the reference is how it reached the template)."""
    found = {r[1:] for r in reads.values if r[:1] == ("values",)}
    record = _record(catalog, unit)
    layers = value_layers(catalog, unit.cluster, record)
    shared, own = split_layers(layers) if helm_scoped(catalog, record) else (layers, [])
    if isinstance(record, Tenant):  # tenant fields (exposure.hosts, ...) may reference values
        fields = {"exposure": record.exposure, "quotas": record.quotas}
        found.update(t for _, targets in _references(fields) for t in targets)
    chart = set(found)
    if own:  # the chart reads its block; the block's references reach the hierarchy
        block = _merged(own)
        found = {t for h, targets in _references(block) if covers(chart, h) for t in targets}
    references = dict(_references(_merged(shared)))
    pending = list(found)
    while pending:
        path = pending.pop()
        for holder, targets in references.items():
            if covers((path,), holder):
                for target in targets - found:
                    found.add(target)
                    pending.append(target)
    return UnitReads(chart if own else found, found)


def _merged(layers: Sequence[Layer]) -> dict[str, object]:
    raw: dict[str, object] = {}
    for layer in layers:
        raw = deep_merge(raw, layer.values)
    return raw


def _record(catalog: Catalog, unit: RenderUnit) -> Operator | Tenant:
    records: tuple[Operator | Tenant, ...] = (
        catalog.operators if unit.kind == "operator" else catalog.tenants
    )
    return next(r for r in records if r.name == unit.name)


def _references(
    values: Mapping[str, object], prefix: Path_ = ()
) -> Iterator[tuple[Path_, set[Path_]]]:
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            yield from _references(value, path)
        elif isinstance(value, str) and "${" in value:
            targets = {
                tuple(m.group(2).strip().split(".")[1:])
                for m in REFERENCE.finditer(value)
                if not m.group(1) and m.group(2).strip().startswith("values.")
            }
            if targets:
                yield path, targets


def unused_values(
    catalog: Catalog,
    units: Sequence[RenderUnit],
    reads: Mapping[tuple[str, str], Reads],
) -> list[Unused]:
    """Each environment or cluster value (general, or in an operator's or tenant's entry) that
    no unit on the clusters it applies to reads."""
    read_by = {
        (u.cluster.name, u.kind, u.name): unit_reads(
            catalog, u, reads.get((u.cluster.name, u.dirname), Reads())
        )
        for u in units
    }
    found: list[Unused] = []
    holders: tuple[Environment | Cluster, ...] = (*catalog.environments, *catalog.clusters)
    for holder in holders:
        if isinstance(holder, Environment):
            clusters = [c.name for c in catalog.clusters if c.environment == holder.name]
            scope = f"the clusters of {holder.name}"
        else:
            clusters, scope = [holder.name], holder.name
        mine = {k: v for k, v in read_by.items() if k[0] in clusters}
        everyone = [r.shared for r in mine.values()]
        for path in leaves(holder.values):
            if not any(covers(r, path) for r in everyone):
                found.append(
                    Unused(
                        holder.value_origins.get(path, holder.origin),
                        f"values.{'.'.join(path)}: nothing on {scope} reads it",
                        "check the key against what the templates read, move it under "
                        "operators.<name>.values for one operator, or remove it",
                    )
                )
        for kind, overrides in (
            ("operator", holder.operator_overrides),
            ("tenant", holder.tenant_overrides),
        ):
            for name, entry in overrides.items():
                theirs = [v.own for k, v in mine.items() if k[1:] == (kind, name)]
                key = f"{kind}s.{name}.values"
                if not theirs:
                    if entry.values:
                        found.append(
                            Unused(
                                entry.origin,
                                f"{kind}s.{name}: '{name}' runs on none of {scope}, so nothing "
                                "reads its values",
                                f"remove the entry, or enable the {kind} there",
                            )
                        )
                    continue
                for path in leaves(entry.values):
                    if not any(covers(r, path) for r in theirs):
                        found.append(
                            Unused(
                                entry.value_origins.get(path, entry.origin),
                                f"{key}.{'.'.join(path)}: no template of '{name}' reads "
                                f"values.{'.'.join(path)}",
                                f"check the key against what charts of '{name}' read, or remove it",
                            )
                        )
    return sorted(found, key=lambda u: u.origin.sort_key)
