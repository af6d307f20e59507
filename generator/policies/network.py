"""Tenant NetworkPolicies → violations of tenant-network: none opens the namespace to every
source or destination."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from generator.model import Manifest
from generator.policies.rule import (
    WAIVER_PREFIX,
    Check,
    Rule,
    Scope,
    Subject,
    Tenant,
    TenantViolation,
    Violation,
)

_HINT = (
    "name the peers: pods of this namespace, a namespace by its "
    "kubernetes.io/metadata.name label, or a narrower ipBlock; if the opening is "
    f"intended, annotate {WAIVER_PREFIX}tenant-network with the reason"
)


def _network(subject: Subject) -> Iterator[Violation]:
    if subject.manifest.kind != "NetworkPolicy":
        return
    spec = subject.body.get("spec")
    if not isinstance(spec, Mapping):
        return
    hint = _HINT
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


def _union(tenant: Tenant) -> Iterator[TenantViolation]:
    """ipBlocks that only together cover every address (0.0.0.0/1 + 128.0.0.0/1), across
    all of the tenant's NetworkPolicies: policies add up, so the split opens as much as
    0.0.0.0/0. `except` is ignored, as for a single block."""
    for direction, peers_field in (("ingress", "from"), ("egress", "to")):
        blocks: list[tuple[Manifest, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []
        for manifest in tenant.manifests:
            if manifest.kind == "NetworkPolicy":
                blocks += [
                    (manifest, net) for net in _blocks(manifest.body, direction, peers_field)
                ]
        for version in (4, 6):
            nets = [(m, n) for m, n in blocks if n.version == version]
            if any(n.prefixlen == 0 for _, n in nets):
                continue  # reported on the block itself
            merged = list(ipaddress.collapse_addresses(n for _, n in nets))  # type: ignore[type-var]
            if not (len(merged) == 1 and merged[0].prefixlen == 0):
                continue
            names = ", ".join(sorted({f"'{m.name}'" for m, _ in nets}))
            cidrs = ", ".join(f"'{n}'" for _, n in nets)
            yield (
                nets[0][0],
                f"{direction} ipBlocks {cidrs} of NetworkPolicies {names} together allow "
                "every address",
                _HINT,
            )


def _blocks(
    body: Mapping[str, Any], direction: str, peers_field: str
) -> Iterator[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    spec = body.get("spec")
    rules = spec.get(direction) if isinstance(spec, Mapping) else None
    for rule in rules if isinstance(rules, list) else ():
        peers = rule.get(peers_field) if isinstance(rule, Mapping) else None
        for peer in peers if isinstance(peers, list) else ():
            block = peer.get("ipBlock") if isinstance(peer, Mapping) else None
            cidr = block.get("cidr") if isinstance(block, Mapping) else None
            try:
                yield ipaddress.ip_network(str(cidr), strict=False)
            except ValueError:
                continue  # the schema stage reports malformed CIDRs


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
        (Check(Scope.TENANT_NAMESPACE, _network), Check(Scope.TENANT, _union)),
    ),
)
