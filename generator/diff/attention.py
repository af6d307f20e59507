"""RuleContext → [Attention]: every rule of the registry run over the change, each finding
once with every cluster it happens in and the input files that caused it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.diff.rules import BY_ID, RULES, RuleContext, Severity


@dataclass(frozen=True, slots=True)
class Attention:
    """One finding for reviewers, shared by every cluster where the same thing happens."""

    rule: str  # a rule id of generator.diff.rules.RULES
    severity: Severity
    message: str  # markdown-free text with `code` spans for names
    clusters: tuple[str, ...]
    sources: tuple[str, ...]  # catalog (chart, overlay) files that caused it

    @property
    def title(self) -> str:
        return BY_ID[self.rule].title


def attention(context: RuleContext) -> list[Attention]:
    """Findings grouped by rule and message, so one operator bump reads once with its
    clusters; rules in registry order, messages sorted within a rule."""
    found: list[Attention] = []
    for rule in RULES:
        clusters: dict[str, list[str]] = {}
        sources: dict[str, list[str]] = {}
        for hit in rule.check(context):
            clusters.setdefault(hit.message, [])
            if hit.cluster not in clusters[hit.message]:
                clusters[hit.message].append(hit.cluster)
            sources.setdefault(hit.message, [])
            sources[hit.message] += [s for s in hit.sources if s not in sources[hit.message]]
        found += [
            Attention(
                rule.id, rule.severity, message, tuple(sorted(names)), tuple(sources[message])
            )
            for message, names in sorted(clusters.items())
        ]
    return found


def by_rule(items: Sequence[Attention]) -> dict[str, list[Attention]]:
    grouped: dict[str, list[Attention]] = {}
    for item in items:
        grouped.setdefault(item.rule, []).append(item)
    return grouped
