"""Tenant NetworkPolicies → violations of tenant-network: none opens the namespace to every
source or destination."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from generator.policies.rule import WAIVER_PREFIX, Check, Rule, Scope, Subject, Violation


def _network(subject: Subject) -> Iterator[Violation]:
    if subject.manifest.kind != "NetworkPolicy":
        return
    spec = subject.body.get("spec")
    if not isinstance(spec, Mapping):
        return
    hint = (
        "name the peers: pods of this namespace, a namespace by its "
        "kubernetes.io/metadata.name label, or a narrower ipBlock; if the opening is "
        f"intended, annotate {WAIVER_PREFIX}tenant-network with the reason"
    )
    for direction, peers_field, noun in (
        ("ingress", "from", "source"),
        ("egress", "to", "destination"),
    ):
        for index, rule in enumerate(spec.get(direction) or (), 1):
            if not isinstance(rule, Mapping):
                continue
            peers = rule.get(peers_field)
            if not peers:
                yield (
                    f"{direction} rule {index} has no '{peers_field}': it allows every {noun}",
                    hint,
                )
                continue
            for peer in peers:
                if not isinstance(peer, Mapping):
                    continue
                if "namespaceSelector" in peer and _selects_all(peer["namespaceSelector"]):
                    yield (f"{direction} rule {index} selects every namespace", hint)
                block = peer.get("ipBlock")
                cidr = block.get("cidr") if isinstance(block, Mapping) else None
                if cidr is not None and _whole_range(str(cidr)):
                    yield (f"{direction} rule {index} allows ipBlock '{cidr}'", hint)


def _selects_all(selector: Any) -> bool:
    if selector is None:
        return True
    if not isinstance(selector, Mapping):
        return False
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def _whole_range(cidr: str) -> bool:
    try:
        return bool(ipaddress.ip_network(cidr, strict=False).prefixlen == 0)
    except ValueError:
        return False  # the schema stage reports malformed CIDRs


RULES = (
    Rule(
        "tenant-network",
        "tenant NetworkPolicies keep the namespace isolated",
        (Check(Scope.TENANT_NAMESPACE, _network),),
    ),
)
