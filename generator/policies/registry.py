"""Every policy rule, in the order their checks run on an object: RULES (id → Rule)."""

from __future__ import annotations

from generator.policies import (
    containers,
    crds,
    delegation,
    hosts,
    network,
    pods,
    rbac,
    secrets,
    tenants,
)
from generator.policies.rule import Rule

# A new family is one module with a RULES tuple, listed here.
FAMILIES = (secrets, containers, tenants, delegation, hosts, pods, rbac, network, crds)

RULES: dict[str, Rule] = {rule.id: rule for family in FAMILIES for rule in family.RULES}
