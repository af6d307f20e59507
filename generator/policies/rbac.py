"""Tenant RoleBindings and ClusterRoleBindings → violations of tenant-rbac."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.policies.rule import CONFINEMENT, Check, Rule, Scope, Subject, Violation


def _binding(subject: Subject) -> Iterator[Violation]:
    if subject.manifest.kind not in ("RoleBinding", "ClusterRoleBinding"):
        return
    ref = subject.body.get("roleRef")
    if not isinstance(ref, Mapping) or ref.get("kind") != "ClusterRole":
        return
    role = str(ref.get("name", ""))
    hint = "bind the built-in 'admin', 'edit' or 'view' roles, or a Role without wildcards"
    if role == "cluster-admin":
        yield ("binds the ClusterRole 'cluster-admin'", hint)
    elif role.startswith("system:"):
        # Kubernetes' own roles for its components (nodes, controllers, the scheduler): a
        # tenant subject holding one acts as that component.
        yield (f"binds the built-in ClusterRole '{role}', meant for Kubernetes components", hint)
    elif _has_wildcard(subject.cluster.cluster_roles.get(role)):
        yield (f"binds the ClusterRole '{role}', whose rules use '*'", hint)


def _has_wildcard(role: Any) -> bool:
    if not isinstance(role, Mapping):
        return False
    for rule in role.get("rules") or ():
        if isinstance(rule, Mapping):
            for field in ("apiGroups", "resources", "verbs", "nonResourceURLs"):
                if "*" in (rule.get(field) or ()):
                    return True
    return False


RULES = (
    Rule(
        "tenant-rbac",
        "tenants never bind cluster-admin, system: or wildcard ClusterRoles",
        (Check(Scope.TENANT_NAMESPACE, _binding),),
        CONFINEMENT,
    ),
)
