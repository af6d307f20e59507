"""Attention rule for the order in which the GitOps engine applies things: Argo CD sync waves
and Flux `dependsOn`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.rules.context import Hit, Rule, RuleContext, annotations_of, spec

WAVE = "argocd.argoproj.io/sync-wave"


def _depends_on(body: Mapping[str, Any] | None) -> list[str]:
    listed = spec(body).get("dependsOn")
    return [str(d.get("name", "?")) for d in (listed if isinstance(listed, list) else []) if d]


def ordering(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.changes:
        if change.old is None or change.new is None:
            continue  # new and deleted objects come with their components
        old, new = change.old.body, change.new.body
        parts = []
        wave_before, wave_after = annotations_of(old).get(WAVE), annotations_of(new).get(WAVE)
        if wave_before != wave_after:
            parts.append(f"sync wave {wave_before or 'none'} → {wave_after or 'none'}")
        before, after = _depends_on(old), _depends_on(new)
        if before != after:
            parts.append(f"dependsOn {', '.join(before) or 'none'} → {', '.join(after) or 'none'}")
        if parts:
            yield context.hit(change, f"`{change.key}`: " + "; ".join(parts))


RULES = (
    Rule(
        "ordering",
        "medium",
        "Ordering changes",
        "Sync waves and dependsOn decide what is applied first: an operator whose CRDs or "
        "webhooks another one needs must come before it, or the later one fails to apply.",
        ordering,
    ),
)
