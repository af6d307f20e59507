"""Attention rules for capacity in production: ResourceQuota, LimitRange and
PodDisruptionBudget changes, and replica counts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.rules.context import Hit, Rule, RuleContext, fmt, ref, spec, substantive, verb

REPLICA_FIELDS = ("replicas", "minReplicas", "maxReplicas")
CAPACITY_KINDS = frozenset({"ResourceQuota", "LimitRange", "PodDisruptionBudget"})
_QUANTITY = re.compile(r"^([0-9.]+)([a-zA-Z]*)$")
_SUFFIXES = {
    "": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
    "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50,
}  # fmt: skip


def quantity(value: Any) -> float | None:
    """A Kubernetes quantity (`500m`, `8Gi`, `16`) as a number, None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    match = _QUANTITY.match(str(value))
    if not match or match.group(2) not in _SUFFIXES:
        return None
    try:
        return float(match.group(1)) * _SUFFIXES[match.group(2)]
    except ValueError:
        return None


def change_text(old: Any, new: Any) -> str:
    """`8 → 32 (4x)`: the factor when both sides are quantities."""
    text = f"{fmt(old)} → {fmt(new)}"
    before, after = quantity(old), quantity(new)
    if before and after is not None and after != before:
        factor = after / before
        text += f" ({factor:g}x)" if factor >= 1 else f" (1/{1 / factor:g})"
    return text


def flatten(node: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a mapping by dotted path; lists of mappings by their `type` or position."""
    found: dict[str, Any] = {}
    if isinstance(node, Mapping):
        for name, value in node.items():
            found.update(flatten(value, f"{prefix}{name}."))
    elif isinstance(node, list) and all(isinstance(i, Mapping) for i in node) and node:
        for position, item in enumerate(node):
            label = item.get("type", position)
            rest = {k: v for k, v in item.items() if k != "type"}
            found.update(flatten(rest, f"{prefix}{label}."))
    else:
        found[prefix.rstrip(".")] = node
    return found


def _short(name: str) -> str:
    """`limits.cpu` for a quota's `hard.limits.cpu`, `Container.max.cpu` for a LimitRange's
    `limits.Container.max.cpu`."""
    for prefix in ("hard.", "limits."):
        if name.startswith(prefix):
            return name.removeprefix(prefix)
    return name


def field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before, after = flatten(old), flatten(new)
    return [
        f"{_short(name)} {change_text(before.get(name), after.get(name))}"
        for name in sorted(set(before) | set(after))
        if before.get(name) != after.get(name)
    ]


def capacity(context: RuleContext) -> Iterator[Hit]:
    added = context.added_components
    for change in context.report.changes:
        if change.key.kind not in CAPACITY_KINDS or not context.production(change.cluster):
            continue
        if context.in_removed_cluster(change) or not substantive(change):
            continue
        if context.in_removed_component(change):
            continue
        if change.status == "added" and (change.cluster, change.component) in added:
            continue  # a new tenant's quota is in the headline
        if change.old is not None and change.new is not None:
            fields = field_changes(spec(change.old.body), spec(change.new.body))
            yield context.hit(change, f"{ref(change)}: " + "; ".join(fields))
        else:
            yield context.hit(change, f"{ref(change)} {verb(change)}")


def replicas(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.changes:
        if not context.production(change.cluster) or change.old is None or change.new is None:
            continue
        for field in REPLICA_FIELDS:
            old_value = spec(change.old.body).get(field)
            new_value = spec(change.new.body).get(field)
            if old_value != new_value:
                yield context.hit(change, f"`{change.key}` {field} {old_value} → {new_value}")


RULES = (
    Rule(
        "production-capacity",
        "high",
        "Quotas, limits and disruption budgets in production",
        "A ResourceQuota, LimitRange or PodDisruptionBudget in a production environment "
        "decides how much a team may consume and how many pods an upgrade may take down at "
        "once: a raised quota is capacity someone pays for, a lowered one can stop "
        "deployments.",
        capacity,
    ),
    Rule(
        "production-replicas",
        "medium",
        "Replica changes in production",
        "spec.replicas, minReplicas and maxReplicas in production change capacity and "
        "availability.",
        replicas,
    ),
)
