"""Tenant routes and Ingresses → violations of tenant-hosts: a tenant serves only the host
names its catalog entry lists under `exposure.hosts`, so it cannot take another tenant's (or
the platform's) traffic on the shared gateway."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from generator.kinds import group_of
from generator.policies.rule import CONFINEMENT, Check, Rule, Scope, Subject, Violation

# Gateway API routes name their hosts in spec.hostnames; a route without any matches every
# host name of the listener it attaches to, which is a claim on all of them.
ROUTE_GROUP = "gateway.networking.k8s.io"
ROUTE_KINDS = frozenset({"httproute", "grpcroute", "tlsroute"})


def _hosts(subject: Subject) -> Iterator[Violation]:
    manifest = subject.manifest
    kind, group = manifest.kind.lower(), group_of(manifest.api_version).lower()
    if group == ROUTE_GROUP and kind in ROUTE_KINDS:
        named = _strings(_spec(manifest.body).get("hostnames"))
        where = "spec.hostnames"
    elif group == "networking.k8s.io" and kind == "ingress":
        spec = _spec(manifest.body)
        named = [r.get("host") for r in _strings(spec.get("rules")) if isinstance(r, Mapping)]
        tls = [t for t in _strings(spec.get("tls")) if isinstance(t, Mapping)]
        named += [h for t in tls for h in _strings(t.get("hosts"))]
        where = "spec.rules[].host"
    else:
        return
    allowed = _allowed(subject)
    listed = ", ".join(sorted(allowed)) or "none"
    hint = (
        f"the tenant may serve only the hosts in exposure.hosts of its catalog entry ({listed}); "
        "ask the platform team to add the host there"
    )
    if not named or any(not isinstance(h, str) or not h for h in named):
        yield (
            f"{manifest.kind} '{manifest.name}' names no host in {where}: it would serve every "
            "host name of the shared gateway",
            hint,
        )
        return
    for host in sorted({str(h).lower() for h in named} - allowed):
        yield (f"{manifest.kind} '{manifest.name}' serves host '{host}', not the tenant's", hint)


def _allowed(subject: Subject) -> set[str]:
    tenant = subject.unit.context.get("tenant") if subject.unit is not None else None
    exposure = tenant.get("exposure") if isinstance(tenant, Mapping) else None
    if not isinstance(exposure, Mapping):
        return set()
    return {h.lower() for h in _strings(exposure.get("hosts")) if isinstance(h, str)}


def _spec(body: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = body.get("spec")
    return spec if isinstance(spec, Mapping) else {}


def _strings(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


RULES = (
    Rule(
        "tenant-hosts",
        "a tenant's routes and Ingresses serve only the hosts of its catalog entry",
        (Check(Scope.TENANT_OBJECT, _hosts),),
        unwaivable_because=CONFINEMENT,
    ),
)
