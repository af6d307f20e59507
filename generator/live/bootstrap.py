"""Bootstrap manifests + a live client → BootstrapPlan (server dry run) → objects applied.

The plan asks the API server for a server-side-apply dry run of every object and compares
the answer with the live object, so it shows exactly what a real apply would create or
change. Applying the plan sends only the objects that would change: a second run is a no-op.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from generator.live.client import LiveClient, gather, key_of
from generator.live.compare import differences
from generator.model import Manifest, Origin, ResourceKey

# Applied first, as kubectl and helm do: later objects need their types and namespaces, an
# Application its AppProject, a Flux Kustomization its source.
_FIRST = {
    "CustomResourceDefinition": 0,
    "Namespace": 1,
    "AppProject": 2,
    "GitRepository": 2,
    "OCIRepository": 2,
}


@dataclass(frozen=True, slots=True)
class PlannedChange:
    key: ResourceKey
    origin: Origin
    action: Literal["create", "change", "unchanged"]
    fields: tuple[str, ...] = ()  # the field paths a "change" touches


@dataclass(frozen=True, slots=True)
class BootstrapPlan:
    changes: tuple[PlannedChange, ...]

    @property
    def pending(self) -> tuple[PlannedChange, ...]:
        return tuple(c for c in self.changes if c.action != "unchanged")


def ordered(manifests: Sequence[Manifest]) -> list[Manifest]:
    return sorted(manifests, key=lambda m: _FIRST.get(m.kind, 3))


async def plan_bootstrap(client: LiveClient, manifests: Sequence[Manifest]) -> BootstrapPlan:
    """What applying would do, decided by the API server's own dry run."""

    async def plan_one(manifest: Manifest) -> PlannedChange:
        resource = await client.resource_for(manifest.api_version, manifest.kind)
        namespace = manifest.namespace or (client.context.namespace if resource.namespaced else "")
        live, dry = await gather(
            client.get(resource, namespace, manifest.name),
            client.apply(resource, manifest.body, dry_run=True),
        )
        key = key_of(dry)
        if live is None:
            return PlannedChange(key, manifest.origin, "create")
        changed = differences(_comparable(dry), _comparable(live), kind=manifest.kind, exact=True)
        if not changed:
            return PlannedChange(key, manifest.origin, "unchanged")
        return PlannedChange(key, manifest.origin, "change", tuple(d.path for d in changed))

    return BootstrapPlan(tuple(await gather(*map(plan_one, ordered(manifests)))))


async def apply_bootstrap(
    client: LiveClient,
    manifests: Sequence[Manifest],
    plan: BootstrapPlan,
    on_applied: Callable[[PlannedChange], None] = lambda change: None,
) -> None:
    """Server-side apply of the objects the plan would create or change, one after another.

    One at a time and in order, because an AppProject must exist before the Application
    that names it, and a Ctrl-C then leaves a clear line between applied and not applied.
    """
    pending = {(c.origin, c.key.kind, c.key.name): c for c in plan.pending}
    for manifest in ordered(manifests):
        change = pending.get((manifest.origin, manifest.kind, manifest.name))
        if change is None:
            continue
        resource = await client.resource_for(manifest.api_version, manifest.kind)
        await client.apply(resource, manifest.body)
        on_applied(change)


def _comparable(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object without what the server alone maintains."""
    meta = {
        k: v
        for k, v in (body.get("metadata") or {}).items()
        if k not in ("managedFields", "resourceVersion", "generation", "uid", "creationTimestamp")
    }
    return {k: v for k, v in body.items() if k != "status"} | {"metadata": meta}
