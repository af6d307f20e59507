"""Rendered manifests + live client → DriftReport (missing, changed, orphaned) → text/JSON/Markdown.

Requests run concurrently under the client's bound. Objects carrying our managed-by label
come from one labelled list per resource type; only the others are fetched one by one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.live import MANAGED_BY_LABEL, MANAGED_BY_VALUE
from generator.live.client import (
    ApiResource,
    LiveClient,
    NotServed,
    gather,
    identity,
    key_of,
)
from generator.live.compare import ABSENT, FieldDiff, differences
from generator.model import Manifest, Origin, ResourceKey

# Objects the API server or controllers derive from ours, copying our labels.
_DERIVED_KINDS = frozenset({"Endpoints", "EndpointSlice", "Event", "ControllerRevision"})
_STATE_ORDER = {"missing": 0, "changed": 1, "orphaned": 2}
_SHOWN_CHARS = 80


@dataclass(frozen=True, slots=True)
class ObjectDrift:
    key: ResourceKey
    state: Literal["missing", "changed", "orphaned"]
    origin: Origin | None  # the rendered file; None for an orphan
    fields: tuple[FieldDiff, ...] = ()
    note: str = ""  # why an object is missing when the reason is known


@dataclass(frozen=True, slots=True)
class DriftReport:
    cluster: str
    context: str
    checked: int  # rendered objects compared
    drifts: tuple[ObjectDrift, ...]
    folders: tuple[str, ...] = ()  # the rendered/ folders compared; () means rendered/<cluster>/
    note: str = ""  # what was left out, and where it is compared instead

    @property
    def in_sync(self) -> bool:
        return not self.drifts


async def detect_drift(
    client: LiveClient, manifests: Sequence[Manifest], cluster: str
) -> DriftReport:
    """Compare every rendered object with its live twin and look for orphans."""
    resources = await gather(*(_served(client, m) for m in manifests))
    listable = [r for r in await client.listable_resources() if r.kind not in _DERIVED_KINDS]
    selector = f"{MANAGED_BY_LABEL}={MANAGED_BY_VALUE}"
    labelled: dict[tuple[str, str, str, str], Any] = {}
    for items in await gather(*(client.list(r, selector) for r in listable)):
        for item in items:
            # Objects a controller owns (ReplicaSets of our Deployments) are not ours to judge.
            if not (item.get("metadata") or {}).get("ownerReferences"):
                labelled[identity(item)] = item

    async def check(manifest: Manifest, resource: ApiResource | None) -> ObjectDrift | None:
        if resource is None:
            key = ResourceKey(
                manifest.api_version, manifest.kind, manifest.namespace, manifest.name
            )
            note = f"the cluster does not serve {manifest.kind} in '{manifest.api_version}'"
            return ObjectDrift(key, "missing", manifest.origin, note=note)
        namespace = manifest.namespace or client.context.namespace
        namespace = namespace if resource.namespaced else ""
        ident = (resource.group, manifest.kind, namespace, manifest.name)
        live = labelled.get(ident)
        if live is None or live.get("apiVersion") != manifest.api_version:
            live = await client.get(resource, namespace, manifest.name)
        key = ResourceKey(manifest.api_version, manifest.kind, namespace, manifest.name)
        if live is None:
            return ObjectDrift(key, "missing", manifest.origin)
        changed = differences(manifest.body, live, kind=manifest.kind)
        return ObjectDrift(key, "changed", manifest.origin, tuple(changed)) if changed else None

    results = await gather(*map(check, manifests, resources))
    rendered = {
        (r.group, m.kind, (m.namespace or client.context.namespace) if r.namespaced else "", m.name)
        for m, r in zip(manifests, resources, strict=True)
        if r is not None
    }
    orphans = [
        ObjectDrift(key_of(live), "orphaned", None)
        for ident, live in labelled.items()
        if ident not in rendered
    ]
    drifts = sorted(
        [d for d in results if d is not None] + orphans,
        key=lambda d: (_STATE_ORDER[d.state], d.key),
    )
    return DriftReport(cluster, client.context.name, len(manifests), tuple(drifts))


async def _served(client: LiveClient, manifest: Manifest) -> ApiResource | None:
    """The resource type, or None when the cluster lacks it (its CRD is not installed yet)."""
    try:
        return await client.resource_for(manifest.api_version, manifest.kind)
    except NotServed:
        return None


# ---------------------------------------------------------------- reports


def format_report(report: DriftReport, style: Literal["text", "json", "markdown"]) -> str:
    if style == "json":
        return _json(report)
    if style == "markdown":
        return _markdown(report)
    return _text(report)


def _folders(report: DriftReport) -> str:
    folders = report.folders or (f"rendered/{report.cluster}/",)
    return ", ".join(folders[:-1]) + " and " + folders[-1] if len(folders) > 1 else folders[0]


def _text(report: DriftReport) -> str:
    where = f"cluster '{report.cluster}' (context '{report.context}')"
    notes = [f"note: {report.note}"] if report.note else []
    if report.in_sync:
        return "\n".join(
            [f"in sync: {report.checked} object(s) on {where} match {_folders(report)}", *notes]
        )
    lines = [f"drift on {where}: {_summary(report)}", *notes]
    for drift in report.drifts:
        source = f"  ({drift.origin.path})" if drift.origin else "  (live only, no longer rendered)"
        note = f": {drift.note}" if drift.note else ""
        lines.append(f"  {drift.state:<9} {drift.key}{source}{note}")
        lines += [
            f"      {d.path}: rendered {_show(d.wanted, d)}, live {_show(d.live, d)}"
            for d in drift.fields
        ]
    return "\n".join(lines)


def _markdown(report: DriftReport) -> str:
    if report.in_sync:
        return (
            f"### No drift on `{report.cluster}`\n\n"
            f"All {report.checked} rendered objects match the live cluster."
            + (f"\n\n{report.note}" if report.note else "")
        )
    lines = [
        f"### Drift on `{report.cluster}`: {_summary(report)}",
        "",
        *([report.note, ""] if report.note else []),
        "| State | Object | Rendered file | Differences |",
        "| --- | --- | --- | --- |",
    ]
    for drift in report.drifts:
        fields = "<br>".join(
            f"`{d.path}`: rendered {_md(_show(d.wanted, d))}, live {_md(_show(d.live, d))}"
            for d in drift.fields
        )
        fields = fields or drift.note
        origin = f"`{drift.origin.path}`" if drift.origin else "(no longer rendered)"
        lines.append(f"| {drift.state} | `{drift.key}` | {origin} | {fields} |")
    return "\n".join(lines)


def _json(report: DriftReport) -> str:
    data = {
        "cluster": report.cluster,
        "context": report.context,
        "checked": report.checked,
        "folders": list(report.folders or (f"rendered/{report.cluster}/",)),
        "note": report.note,
        "inSync": report.in_sync,
        "drift": [
            {
                "state": d.state,
                "apiVersion": d.key.api_version,
                "kind": d.key.kind,
                "namespace": d.key.namespace,
                "name": d.key.name,
                "file": str(d.origin.path) if d.origin else None,
                "note": d.note,
                "fields": [
                    {
                        "path": f.path,
                        "rendered": _json_value(f.wanted, f),
                        "live": _json_value(f.live, f),
                    }
                    for f in d.fields
                ],
            }
            for d in report.drifts
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True)


def _summary(report: DriftReport) -> str:
    counts = {state: sum(d.state == state for d in report.drifts) for state in _STATE_ORDER}
    parts = [f"{n} {state}" for state, n in counts.items() if n]
    return f"{', '.join(parts)} (of {report.checked} rendered object(s))"


def _show(value: Any, diff: FieldDiff) -> str:
    if value is ABSENT:
        return "(absent)"
    if diff.secret:
        return "(hidden)"
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _json_value(value: Any, diff: FieldDiff) -> Any:
    if value is ABSENT:
        return None
    return "(hidden)" if diff.secret else value


def _md(text: str) -> str:
    return text.replace("|", "\\|")
