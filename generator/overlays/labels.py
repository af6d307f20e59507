"""Resources and a kustomization's labels, commonLabels and commonAnnotations → labelled
resources; also Kubernetes label-selector matching for patch targets."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from generator.overlays.fieldspecs import (
    COMMON_ANNOTATIONS,
    COMMON_LABELS,
    METADATA_LABELS,
    TEMPLATE_LABELS,
    apply_map,
    user_specs,
)
from generator.overlays.resources import Resource


def apply_labels(resources: Iterable[Resource], labels: Iterable[Mapping[str, Any]], common: Mapping[str, str]) -> None:
    resources = list(resources)
    for entry in labels:
        pairs = dict(entry.get("pairs") or {})
        if not pairs:
            continue
        if entry.get("includeSelectors"):
            specs = COMMON_LABELS
        else:
            specs = METADATA_LABELS + (TEMPLATE_LABELS if entry.get("includeTemplates") else ())
        apply_map(resources, (*user_specs(entry.get("fields") or []), *specs), pairs)
    if common:
        apply_map(resources, COMMON_LABELS, dict(common))


def apply_annotations(resources: Iterable[Resource], annotations: Mapping[str, str]) -> None:
    if annotations:
        apply_map(resources, COMMON_ANNOTATIONS, dict(annotations))


_REQUIREMENT = re.compile(
    r"\s*(?:(?P<not>!)\s*(?P<nkey>[^\s,=!()]+)"
    r"|(?P<key>[^\s,=!()]+)\s*(?:(?P<op>==|=|!=)\s*(?P<value>[^\s,()]*)"
    r"|\s+(?P<set>in|notin)\s*\((?P<values>[^)]*)\))?)\s*(?:,|$)"
)


class SelectorError(ValueError):
    """A label selector that does not parse."""


def parse_selector(text: str) -> list[Callable[[Mapping[str, Any]], bool]]:
    tests: list[Callable[[Mapping[str, Any]], bool]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _REQUIREMENT.match(text, position)
        if not match or match.end() == position:
            raise SelectorError(f"unable to parse requirement at '{text[position:]}'")
        position = match.end()
        if match["not"]:
            key = match["nkey"]
            tests.append(lambda labels, key=key: key not in labels)
        elif match["op"]:
            key, value, negate = match["key"], match["value"], match["op"] == "!="
            tests.append(
                lambda labels, key=key, value=value, negate=negate: (
                    (labels.get(key) != value) if negate else (key in labels and labels[key] == value)
                )
            )
        elif match["set"]:
            key = match["key"]
            values = {v.strip() for v in match["values"].split(",") if v.strip()}
            inside = match["set"] == "in"
            tests.append(
                lambda labels, key=key, values=values, inside=inside: (
                    (key in labels and labels[key] in values) if inside else (labels.get(key) not in values)
                )
            )
        else:
            key = match["key"]
            tests.append(lambda labels, key=key: key in labels)
    return tests


def selector_matches(text: str, labels: Mapping[str, Any]) -> bool:
    return all(test(labels) for test in parse_selector(text))
