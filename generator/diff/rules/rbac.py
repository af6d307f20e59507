"""Attention rule for RBAC beyond what the tenant library generates: Roles, ClusterRoles and
their bindings added, changed or deleted, with what they grant."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from generator.diff.compare import Change
from generator.diff.rules.context import Hit, Rule, RuleContext, fmt, ref, substantive, verb
from generator.model import ResourceKey

RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})


def is_rbac(key: ResourceKey) -> bool:
    return key.group == RBAC_GROUP and key.kind in RBAC_KINDS


def _role_ref(body: Mapping[str, Any]) -> str:
    role = body.get("roleRef")
    if not isinstance(role, Mapping):
        return "none"
    return f"{role.get('kind', '?')} {role.get('name', '?')}"


def _subjects(body: Mapping[str, Any]) -> list[str]:
    subjects = body.get("subjects")
    return [
        f"{s.get('kind', '?')} {str(s['namespace']) + '/' if s.get('namespace') else ''}"
        f"{s.get('name', '?')}"
        for s in (subjects if isinstance(subjects, list) else [])
        if isinstance(s, Mapping)
    ]


def _rules(body: Mapping[str, Any]) -> list[str]:
    rules = body.get("rules")
    return [
        f"{fmt(r.get('verbs'))} on {fmt(r.get('resources') or r.get('nonResourceURLs'))}"
        for r in (rules if isinstance(rules, list) else [])
        if isinstance(r, Mapping)
    ]


def _grant(body: Mapping[str, Any]) -> str:
    if "roleRef" in body:
        subjects = ", ".join(_subjects(body)) or "no subject"
        return f"{_role_ref(body)} to {subjects}"
    return "; ".join(_rules(body)) or "no rules"


def _new(before: Sequence[str], after: Sequence[str]) -> list[str]:
    return [item for item in after if item not in before]


def describe(change: Change) -> str:
    """What the object grants (added), or what the change grants beyond the old side."""
    if change.new is None:
        return f"{ref(change)} deleted"
    if change.old is None:
        return f"{ref(change)} added: {_grant(change.new.body)}"
    old, new = change.old.body, change.new.body
    parts = []
    if _role_ref(old) != _role_ref(new):
        parts.append(f"roleRef {_role_ref(old)} → {_role_ref(new)}")
    if added := _new(_subjects(old), _subjects(new)):
        parts.append("new subjects " + ", ".join(added))
    if gone := _new(_subjects(new), _subjects(old)):
        parts.append("subjects removed " + ", ".join(gone))
    if added := _new(_rules(old), _rules(new)):
        parts.append("new rules " + "; ".join(added))
    if gone := _new(_rules(new), _rules(old)):
        parts.append("rules removed " + "; ".join(gone))
    return f"{ref(change)} {verb(change)}" + (": " + ", ".join(parts) if parts else "")


def rbac(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.changes:
        if not is_rbac(change.key) or context.summed_up(change):
            continue
        if change.status in ("changed", "moved") and not substantive(change):
            continue
        if change.new is not None and context.from_tenant_library(change.new):
            continue  # what the platform gives every tenant: the baseline, not news
        yield context.hit(change, describe(change))


RULES = (
    Rule(
        "rbac",
        "high",
        "RBAC beyond the tenant baseline",
        "Roles and bindings decide who may do what. The tenant library's own bindings (owners "
        "→ admin, readers → view, deployer → edit, in the tenant namespace) are the generated "
        "baseline and not reported; anything else is: an operator's ClusterRole, a binding an "
        "overlay widens, a Role a tenant adds.",
        rbac,
    ),
)
