"""Resources and a kustomization's labels, commonLabels and commonAnnotations → labelled
resources; also Kubernetes label-selector matching for patch targets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from generator.overlays.fieldspecs import (
    COMMON_ANNOTATIONS,
    COMMON_LABELS,
    METADATA_LABELS,
    TEMPLATE_LABELS,
    FieldSpec,
    apply_map,
    user_specs,
)
from generator.overlays.resources import Resource


def apply_labels(
    resources: Iterable[Resource],
    labels: Iterable[Mapping[str, Any]],
    common: Mapping[str, str],
    extra: tuple[FieldSpec, ...] = (),
    extra_templates: tuple[FieldSpec, ...] = (),
) -> None:
    """`extra` and `extra_templates` are the fields `configurations` add to the commonLabels
    and templateLabels tables."""
    resources = list(resources)
    for entry in labels:
        pairs = dict(entry.get("pairs") or {})
        if not pairs:
            continue
        if entry.get("includeSelectors"):
            specs = COMMON_LABELS + extra
        else:
            templates = TEMPLATE_LABELS + extra_templates
            specs = METADATA_LABELS + (templates if entry.get("includeTemplates") else ())
        apply_map(resources, (*user_specs(entry.get("fields") or []), *specs), pairs)
    if common:
        apply_map(resources, COMMON_LABELS + extra, dict(common))


def apply_annotations(
    resources: Iterable[Resource],
    annotations: Mapping[str, str],
    extra: tuple[FieldSpec, ...] = (),
) -> None:
    if annotations:
        apply_map(resources, COMMON_ANNOTATIONS + extra, dict(annotations))


_REQUIREMENT = re.compile(
    r"\s*(?:(?P<not>!)\s*(?P<nkey>[^\s,=!()]+)"
    r"|(?P<key>[^\s,=!()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s,()]*)"
    r"|\s+(?P<set>in|notin)\s*\((?P<values>[^)]*)\))?)\s*(?:,|$)"
)


class SelectorError(ValueError):
    """A label selector that does not parse."""


class Requirement(NamedTuple):
    """One comma-separated term of a label selector."""

    key: str
    op: str  # exists, !exists, =, !=, in, notin
    values: frozenset[str]

    def matches(self, labels: Mapping[str, Any]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op == "=":
            return present and value in self.values
        if self.op == "in":
            return present and value in self.values
        return value not in self.values  # != and notin also match objects without the key


def parse_selector(text: str) -> list[Requirement]:
    requirements: list[Requirement] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _REQUIREMENT.match(text, position)
        if not match or match.end() == position:
            raise SelectorError(f"unable to parse requirement at '{text[position:]}'")
        position = match.end()
        if match["not"]:
            requirements.append(Requirement(match["nkey"], "!exists", frozenset()))
        elif match["op"]:
            op = "!=" if match["op"] == "!=" else "="
            requirements.append(Requirement(match["key"], op, frozenset([match["value"]])))
        elif match["set"]:
            values = frozenset(v.strip() for v in match["values"].split(",") if v.strip())
            requirements.append(Requirement(match["key"], match["set"], values))
        else:
            requirements.append(Requirement(match["key"], "exists", frozenset()))
    return requirements


def selector_matches(text: str, labels: Mapping[str, Any]) -> bool:
    return all(requirement.matches(labels) for requirement in parse_selector(text))
