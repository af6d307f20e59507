"""Targeted patches of the overlays under overlays/ and the objects they selected, across every
build they take part in → errors for targets that selected nothing anywhere."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from generator.errors import GeneratorError
from generator.overlays.patches import Patch
from generator.overlays.resources import ResMap, Resource


@dataclass(slots=True)
class TargetReport:
    """Targeted patches of the overlays under overlays/ and whether they selected anything,
    across every build they take part in (every cluster of an environment). Kustomize ignores
    a target that selects nothing; the render refuses it unless `options.allowNoMatch`."""

    missed: dict[str, GeneratorError] = field(default_factory=dict)
    hit: set[str] = field(default_factory=set)
    # overlay unit key ("cert-manager", "tenants/a") → the targets that selected its objects
    hits_by_unit: dict[str, set[str]] = field(default_factory=dict)

    def note(self, patch: Patch, selected: list[Resource], resources: ResMap) -> None:
        k, key_path = patch.entry
        key = f"{k.display}:{key_path}:{patch.where}"
        if selected:
            self.hit.add(key)
            for resource in selected:
                self.hits_by_unit.setdefault(resource.unit or "", set()).add(key)
        elif not patch.allow_no_match and key not in self.missed:
            self.missed[key] = _no_match(patch, resources)

    def merge(self, other: TargetReport) -> None:
        """Add another build's report (another cluster, maybe rendered in another process)."""
        self.hit |= other.hit
        for key, error in other.missed.items():
            self.missed.setdefault(key, error)

    def errors(self) -> list[GeneratorError]:
        return [error for key, error in self.missed.items() if key not in self.hit]


def _no_match(patch: Patch, resources: ResMap) -> GeneratorError:
    target = patch.target or {}
    shown = ", ".join(f"{key}: {target[key]}" for key in target if target[key])
    kinds = sorted({r.kind for r in resources})
    kind = target.get("kind")
    if kind and kind not in kinds:
        close = difflib.get_close_matches(str(kind), kinds, n=1)
        guess = f"did you mean kind '{close[0]}'?" if close else (
            f"no object has kind '{kind}' (kinds here: {', '.join(kinds) or 'none'})."
        )
    else:
        same_kind = [r for r in resources if not kind or r.kind == kind]
        names = sorted({r.name for r in same_kind})
        close = (
            difflib.get_close_matches(str(target["name"]), names, n=1)
            if target.get("name")
            else []
        )
        guess = (
            f"did you mean name '{close[0]}'?"
            if close
            else f"objects of that kind here: {', '.join(r.describe() for r in same_kind[:5])}."
            if same_kind
            else "no object of that kind is here."
        )
    return GeneratorError(
        f"the patch target {{{shown}}} selects no object of the units this overlay applies to",
        patch.origin,
        f"{guess} If matching nothing is intended, add options: {{allowNoMatch: true}} to the"
        " patch",
    )
