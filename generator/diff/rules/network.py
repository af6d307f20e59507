"""Attention rule for NetworkPolicies that open traffic: new peers or ports, ipBlocks, and a
default-deny policy removed or weakened. The tenant library's own policies are not news."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from generator.diff.rules.context import Hit, Rule, RuleContext, fmt, ref, spec
from generator.model import ResourceKey

DIRECTIONS = (("ingress", "from"), ("egress", "to"))


def peer_text(peer: Mapping[str, Any]) -> str:
    block = peer.get("ipBlock")
    if isinstance(block, Mapping):
        text = f"ipBlock {block.get('cidr', '?')}"
        return text + (f" except {fmt(block['except'])}" if block.get("except") else "")
    parts = []
    for selector, label in (("namespaceSelector", "namespaces"), ("podSelector", "pods")):
        value = peer.get(selector)
        if isinstance(value, Mapping):
            labels = value.get("matchLabels") or {}
            expressions = value.get("matchExpressions") or []
            shown = fmt(labels) if labels or not expressions else fmt(expressions)
            parts.append(f"{label} {'all' if shown == '{}' else shown}")
    return " ".join(parts) or fmt(dict(peer))


def openings(body: Mapping[str, Any]) -> set[str]:
    """Every (direction, peer, ports) the policy allows, as text."""
    found: set[str] = set()
    for direction, side in DIRECTIONS:
        rules = spec(body).get(direction)
        for rule in rules if isinstance(rules, list) else []:
            if not isinstance(rule, Mapping):
                continue
            ports = rule.get("ports") or []
            port_text = ", ".join(
                f"{p.get('protocol', 'TCP')}/{p.get('port', '*')}"
                for p in ports
                if isinstance(p, Mapping)
            )
            peers = rule.get(side) or [{"": "anywhere"}]
            for peer in peers if isinstance(peers, list) else []:
                text = "anywhere" if peer == {"": "anywhere"} else peer_text(peer)
                where = f"{direction} {side} {text}"
                found.add(where + (f" on {port_text}" if port_text else ""))
    return found


def denies(body: Mapping[str, Any]) -> set[str]:
    """The directions a policy selecting every pod closes (a default deny)."""
    selector = spec(body).get("podSelector")
    if not isinstance(selector, Mapping) or any(selector.get(k) for k in selector):
        return set()
    types = spec(body).get("policyTypes") or ["Ingress"]
    return {
        str(t).lower() for t in types if not spec(body).get(str(t).lower())
    }  # no rule in that direction: nothing allowed


def is_network(key: ResourceKey) -> bool:
    """Kubernetes' NetworkPolicy and the CNIs' own (CiliumNetworkPolicy, Calico's)."""
    return key.kind.endswith("NetworkPolicy")


def network(context: RuleContext) -> Iterator[Hit]:
    for change in context.report.changes:
        if not is_network(change.key) or context.summed_up(change):
            continue
        if change.new is not None and context.from_tenant_library(change.new):
            continue
        before = change.old.body if change.old else {}
        after = change.new.body if change.new else {}
        found = []
        lost = denies(before) - denies(after)
        if lost:
            found.append(
                ("default deny removed" if change.new is None else "no longer denies")
                + " "
                + ", ".join(sorted(lost))
            )
        new = sorted(openings(after) - openings(before))
        if new:
            found.append("allows " + "; ".join(new))
        if found:
            yield context.hit(change, f"{ref(change)}: " + "; ".join(found))


RULES = (
    Rule(
        "network-opening",
        "high",
        "NetworkPolicies that open traffic",
        "A new peer, port or ipBlock lets traffic in or out that was blocked, and a removed "
        "default-deny opens a whole namespace. Policies that only narrow traffic, and the "
        "tenant library's own policies, are not reported.",
        network,
    ),
)
