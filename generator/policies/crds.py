"""Custom resources and the operators installing their CRDs → violations of operator-order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from generator.kinds import group_of
from generator.model import Manifest, RenderUnit
from generator.policies.rule import Check, Rule, Scope, Subject, Violation


def crd_orders(
    rendered: Sequence[tuple[RenderUnit, list[Manifest]]],
) -> dict[tuple[str, str], tuple[int, str]]:
    """(group, kind) → (order, operator) of the first operator whose output has the CRD."""
    out: dict[tuple[str, str], tuple[int, str]] = {}
    for unit, manifests in rendered:
        for m in manifests:
            spec = m.body.get("spec")
            if m.kind == "CustomResourceDefinition" and isinstance(spec, Mapping):
                names = spec.get("names")
                kind = str(names.get("kind", "")) if isinstance(names, Mapping) else ""
                key = (str(spec.get("group", "")), kind)
                if key not in out or unit.order < out[key][0]:
                    out[key] = (unit.order, unit.dirname)
    return out


def _order(subject: Subject) -> Iterator[Violation]:
    manifest, unit = subject.manifest, subject.unit
    assert unit is not None  # the scope is a catalog unit's output
    installed = subject.cluster.crd_orders.get((group_of(manifest.api_version), manifest.kind))
    if installed is not None and unit.kind == "operator" and installed[0] > unit.order:
        yield (
            f"{manifest.kind} needs the CRD installed by the later operator '{installed[1]}'",
            f"renumber '{unit.dirname}' to come after '{installed[1]}', or move this object "
            "to an operator numbered after it",
        )


RULES = (
    Rule(
        "operator-order",
        "custom resources come after the operator installing the CRD",
        (Check(Scope.RENDERED_OBJECT, _order),),
    ),
)
