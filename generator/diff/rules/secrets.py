"""Attention rule for Secrets: which keys are added, changed or removed, by name only; no
value, hash or length of a value is ever part of a message."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.rules.context import Hit, Rule, RuleContext, ref
from generator.secrets import carries_secret, secret_values


def _values(body: Mapping[str, Any] | None) -> dict[str, Any]:
    """Each Secret value the object holds (generator.secrets: any spelling, List items,
    last-applied annotations), by where it sits; only these names reach a message."""
    return {
        found.key if found.key is not None and not found.prefix else found.where: found.value
        for found in secret_values(body)
    }


def secrets(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.changes:
        if not carries_secret(change.resource.body) or context.summed_up(change):
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
