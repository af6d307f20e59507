"""One cluster's rendered units → [Finding] for the platform's boundary rules: tenant
confinement, baseline and network isolation, no plaintext Secrets, pinned images with
resources, tenant pod security and RBAC, operator order. An annotation with a reason waives a
waivable rule per object.

Each rule family is one module with a RULES tuple; `registry.py` lists the families and
`run.py` applies every check in the scopes it declares."""

from __future__ import annotations

from generator.policies.registry import RULES
from generator.policies.rule import WAIVER_PREFIX, Rule, Scope
from generator.policies.run import check_manifests, check_policies, check_secrets

__all__ = [
    "RULES",
    "WAIVER_PREFIX",
    "Rule",
    "Scope",
    "check_manifests",
    "check_policies",
    "check_secrets",
]
