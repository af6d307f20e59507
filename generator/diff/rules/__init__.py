"""The attention rules, one module per family; RULES lists them in the order the report shows
them (highest severity first, then as listed here)."""

from __future__ import annotations

from generator.diff.rules import (
    capacity,
    crds,
    gitops,
    images,
    network,
    ordering,
    rbac,
    removals,
    secrets,
)
from generator.diff.rules.context import Hit, Rule, RuleContext, Severity

SEVERITIES: tuple[Severity, ...] = ("high", "medium")

RULES: tuple[Rule, ...] = tuple(
    sorted(
        (
            *removals.RULES,
            *crds.RULES,
            *rbac.RULES,
            *network.RULES,
            *capacity.RULES,
            *gitops.RULES,
            *images.RULES,
            *ordering.RULES,
            *secrets.RULES,
        ),
        key=lambda rule: SEVERITIES.index(rule.severity),
    )
)
BY_ID = {rule.id: rule for rule in RULES}

__all__ = ["BY_ID", "RULES", "SEVERITIES", "Hit", "Rule", "RuleContext", "Severity"]
