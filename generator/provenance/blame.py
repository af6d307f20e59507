"""One cluster's overlay trace → the overlays named in rendered file headers, and policy
findings moved from the template to the overlay step when the overlay introduced them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from generator.model import Cluster, Finding, Manifest, RenderUnit, ResourceKey
from generator.overlays.scopes import unit_key
from generator.overlays.trace import OverlayChange

Units = list[tuple[RenderUnit, list[Manifest]]]


@dataclass
class OverlayTrace:
    """What the overlays of one cluster changed, and the objects as the engines made them."""

    changes: dict[tuple[str, ResourceKey], list[OverlayChange]] = field(default_factory=dict)
    # the engines' output with common labels, before any overlay: for `blame_overlays`
    before: Callable[[], Units] = list
    _index: tuple[int, dict[str, dict[ResourceKey, list[OverlayChange]]]] | None = field(
        default=None, repr=False, compare=False
    )

    def of(self, unit: RenderUnit, key: ResourceKey) -> list[OverlayChange]:
        return self.changes.get((unit_key(unit), key), [])

    def headers(self, unit: RenderUnit) -> dict[ResourceKey, tuple[str, ...]]:
        """`<file> (<step>, <step>)` for the overlay files that changed an object of the unit,
        in the order they ran."""
        out = {}
        for key, changes in self._by_unit().get(unit_key(unit), {}).items():
            steps: dict[str, list[str]] = {}
            for c in changes:
                steps.setdefault(str(c.file), []).append(c.what)
            out[key] = tuple(f"{f} ({', '.join(dict.fromkeys(w))})" for f, w in steps.items())
        return out

    def _by_unit(self) -> dict[str, dict[ResourceKey, list[OverlayChange]]]:
        """The changes by unit, indexed once per set of changes (not once per unit)."""
        if self._index is None or self._index[0] != len(self.changes):
            index: dict[str, dict[ResourceKey, list[OverlayChange]]] = {}
            for (owner, key), changes in self.changes.items():
                index.setdefault(owner, {})[key] = changes
            self._index = (len(self.changes), index)
        return self._index[1]


def blame_overlays(
    cluster: Cluster,
    findings: Sequence[Finding],
    rendered: Units,
    trace: OverlayTrace,
    check: Callable[[Cluster, Units], list[Finding]],
) -> list[Finding]:
    """A policy finding on an object an overlay changed, which the engine's object did not
    have, points at the overlay step (the last one that changed the object)."""
    if not any(f.rule and f.rule != "schema" for f in findings):
        return list(findings)  # only policy findings can be an overlay's
    changed: dict[ResourceKey, list[OverlayChange]] = {}
    for unit, manifests in rendered:
        owner = unit_key(unit)
        for m in manifests:
            changes = trace.changes.get((owner, m.key))
            if changes:
                changed[m.key] = changes
    suspects = [f for f in findings if f.rule and f.rule != "schema" and f.key in changed]
    if not suspects:
        return list(findings)
    before = {(f.key, f.rule, f.message) for f in check(cluster, trace.before())}
    out = []
    for finding in findings:
        key = finding.key
        if (
            key in changed
            and finding in suspects
            and (key, finding.rule, finding.message) not in before
        ):
            step = changed[key][-1]
            finding = replace(
                finding,
                origin=step.origin,
                hint=(finding.hint + "; " if finding.hint else "")
                + f"the overlay's {step.what} introduced it (the object comes from "
                f"{finding.origin})",
            )
        out.append(finding)
    return out
