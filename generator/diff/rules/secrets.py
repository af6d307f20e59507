"""Attention rule for Secrets: which keys are added, changed or removed, by name only; no
value, hash or length of a value is ever part of a message."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.rules.context import Hit, Rule, RuleContext, ref
from generator.model import ResourceKey

# Only the names of these fields' keys are read here; hiding values in diffs is compare.py's.
SECRET_FIELDS = ("data", "stringData")


def is_secret(key: ResourceKey) -> bool:
    return key.kind == "Secret" and key.api_version == "v1"


def _values(body: Mapping[str, Any] | None) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for field in SECRET_FIELDS:
        values = body.get(field) if body is not None else None
        if isinstance(values, Mapping):
            found.update({str(k): v for k, v in values.items()})
    return found


def secrets(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.changes:
        if not is_secret(change.key) or context.summed_up(change):
            continue
        before = _values(change.old.body if change.old else None)
        after = _values(change.new.body if change.new else None)
        parts = []
        for label, names in (
            ("keys added", sorted(set(after) - set(before))),
            ("values changed", sorted(k for k in after if k in before and after[k] != before[k])),
            ("keys removed", sorted(set(before) - set(after))),
        ):
            if names:
                parts.append(f"{label} " + ", ".join(f"`{n}`" for n in names))
        if change.status == "removed":
            yield context.hit(change, f"{ref(change)} deleted")
        elif parts:
            yield context.hit(change, f"{ref(change)}: " + "; ".join(parts))


RULES = (
    Rule(
        "secret",
        "medium",
        "Secrets",
        "A Secret's keys are credentials an application reads: a new or rotated key must exist "
        "in the secret store before the sync, a removed one breaks its readers. Only key names "
        "are shown, never values.",
        secrets,
    ),
)
