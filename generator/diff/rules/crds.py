"""Attention rules for CustomResourceDefinitions: deletions (every object of the kind goes
with them) and changes of their served and stored versions or schema."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.compare import Change
from generator.diff.rules.context import Hit, Rule, RuleContext, spec, substantive, verb


def _kind(change: Change) -> str:
    names = spec(change.resource.body).get("names")
    return str(names.get("kind", "")) if isinstance(names, Mapping) else ""


def versions(body: Mapping[str, Any]) -> list[str]:
    """`v1 (served, stored)` per version."""
    found = []
    listed = spec(body).get("versions")
    for version in listed if isinstance(listed, list) else []:
        if not isinstance(version, Mapping):
            continue
        flags = [f for f in ("served", "storage") if version.get(f)]
        shown = ", ".join("stored" if f == "storage" else f for f in flags) or "not served"
        found.append(f"{version.get('name', '?')} ({shown})")
    return found


def removed(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.removed:
        if change.key.kind == "CustomResourceDefinition" and not context.in_removed_cluster(change):
            kind = _kind(change)
            tail = f", and every `{kind}` object with it" if kind else ""
            yield context.hit(change, f"`{change.key.name}` deleted{tail}")


def changed(context: RuleContext) -> Iterator[Hit]:
    added = context.added_components
    for change in context.report.changes:
        if change.key.kind != "CustomResourceDefinition" or change.status == "removed":
            continue
        if change.status == "added" and (change.cluster, change.component) in added:
            continue  # a new operator's CRDs are part of its headline
        if not substantive(change):
            continue
        message = f"`{change.key.name}` {verb(change)}"
        if change.old is not None and change.new is not None:
            before, after = versions(change.old.body), versions(change.new.body)
            message += (
                f": versions {', '.join(before)} → {', '.join(after)}"
                if before != after
                else ": schema changed"
            )
        elif change.new is not None:
            message += f": versions {', '.join(versions(change.new.body))}"
        yield context.hit(change, message)


RULES = (
    Rule(
        "crd-removed",
        "high",
        "CustomResourceDefinitions deleted",
        "Deleting a CRD deletes every custom resource of its kind on the cluster, in every "
        "namespace.",
        removed,
    ),
    Rule(
        "crd-changed",
        "medium",
        "CustomResourceDefinition changes",
        "A new stored version, a version no longer served or a narrower schema can make "
        "existing objects unreadable or rejected; the operator that owns the CRD must be "
        "upgraded in step.",
        changed,
    ),
)
