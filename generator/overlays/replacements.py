"""Resources and `replacements` entries → resources with values copied from a source field
into target fields (Kustomize v5 replacements)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.labels import selector_matches
from generator.overlays.resources import Resource, effective_namespace

_ID_KEYS = ("group", "version", "kind", "name", "namespace")


class ReplacementFailure(Exception):
    """A replacement that cannot apply; the caller adds the kustomization position."""


def parse_field_path(text: str) -> list[str]:
    """`spec.template.spec.containers.[name=app].image` → its segments; dots inside [...] stay."""
    parts: list[str] = []
    current = ""
    depth = 0
    for char in text:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p != ""]


def _ids_match(resource: Resource, selector: dict[str, Any]) -> bool:
    if selector.get("kind") and selector["kind"] != resource.kind:
        return False
    if selector.get("group") and selector["group"] != resource.group:
        return False
    if selector.get("version") and selector["version"] != resource.version:
        return False
    name = selector.get("name")
    namespace = selector.get("namespace")
    for ns, n in resource.identities():
        if name and name != n:
            continue
        if namespace and effective_namespace(namespace) != effective_namespace(ns):
            continue
        return True
    return False


def _selected(resource: Resource, selector: dict[str, Any]) -> bool:
    if not _ids_match(resource, selector):
        return False
    if selector.get("labelSelector") and not selector_matches(
        str(selector["labelSelector"]), resource.labels()
    ):
        return False
    return not (
        selector.get("annotationSelector")
        and not selector_matches(str(selector["annotationSelector"]), resource.annotations())
    )


def apply_replacements(
    resources: Sequence[Resource], entries: Sequence[tuple[dict[str, Any], Callable[[], Origin]]]
) -> None:
    for entry, origin in entries:
        try:
            _apply(resources, entry)
        except ReplacementFailure as e:
            raise GeneratorError(
                f"replacement failed: {e}",
                origin(),
                "check the source and target selectors and field paths of this replacement",
            ) from None


def _apply(resources: Sequence[Resource], entry: dict[str, Any]) -> None:
    source = entry.get("source")
    if not isinstance(source, dict):
        raise ReplacementFailure("a replacement needs a 'source'")
    matches = [r for r in resources if _ids_match(r, source)]
    if not matches:
        raise ReplacementFailure(f"nothing selected by source {_describe(source)}")
    if len(matches) > 1:
        raise ReplacementFailure(f"more than one object matches source {_describe(source)}")
    field_path = str(source.get("fieldPath") or "metadata.name")
    found = list(_reach(matches[0].body, parse_field_path(field_path), create=False))
    if not found:
        raise ReplacementFailure(
            f"fieldPath '{field_path}' is missing in the source {matches[0].describe()}"
        )
    parent, key = found[0]
    value = parent[key]
    options = source.get("options") or {}
    if options.get("delimiter"):
        pieces = str(value).split(str(options["delimiter"]))
        index = _index(options)
        if not 0 <= index < len(pieces):
            raise ReplacementFailure(f"options.index {index} is out of range for '{value}'")
        value = pieces[index]
    for target in entry.get("targets") or []:
        _write(resources, target, value)


def _write(resources: Sequence[Resource], target: dict[str, Any], value: Any) -> None:
    select = target.get("select") or {}
    rejects = target.get("reject") or []
    options = target.get("options") or {}
    create = bool(options.get("create"))
    for resource in resources:
        if not _selected(resource, select) or any(_selected(resource, r) for r in rejects):
            continue
        for field_path in target.get("fieldPaths") or ["metadata.name"]:
            places = list(_reach(resource.body, parse_field_path(str(field_path)), create=create))
            if not places and not create:
                raise ReplacementFailure(
                    f"unable to find field '{field_path}' in replacement target"
                    f" {resource.describe()}"
                )
            for parent, key in places:
                if options.get("delimiter"):
                    current = str(parent.get(key, "") if isinstance(parent, dict) else parent[key])
                    pieces = current.split(str(options["delimiter"]))
                    index = _index(options)
                    if index < 0:
                        pieces.insert(0, str(value))
                    elif index >= len(pieces):
                        pieces.append(str(value))
                    else:
                        pieces[index] = str(value)
                    parent[key] = str(options["delimiter"]).join(pieces)
                else:
                    parent[key] = copy.deepcopy(value)


def _reach(node: Any, parts: list[str], create: bool) -> Iterator[tuple[Any, Any]]:
    """(parent, key) pairs for every place the path reaches; in lists `*` and [k=v] fan out."""
    if not parts:
        return
    head, rest = parts[0], parts[1:]
    if isinstance(node, list):
        if head == "*":
            children = list(range(len(node)))
        elif head.startswith("[") and head.endswith("]") and "=" in head:
            key, _, wanted = head[1:-1].partition("=")
            children = [
                i
                for i, item in enumerate(node)
                if isinstance(item, dict) and str(item.get(key)) == wanted
            ]
        elif head.isdigit() and int(head) < len(node):
            children = [int(head)]
        else:
            children = []
        for i in children:
            if not rest:
                yield node, i
            else:
                yield from _reach(node[i], rest, create)
        return
    if not isinstance(node, dict) or head == "*":  # Kustomize fans `*` out over lists only
        return
    if not rest:
        if head in node or create:
            yield node, head
        return
    if head not in node or node[head] is None:
        if not create:
            return
        node[head] = [] if rest[0].startswith("[") else {}
    yield from _reach(node[head], rest, create)


def _describe(selector: dict[str, Any]) -> str:
    return ", ".join(f"{k}={selector[k]}" for k in _ID_KEYS if selector.get(k)) or "(empty)"


def _index(options: Mapping[str, Any]) -> int:
    index = options.get("index", 0)
    if not isinstance(index, int) or isinstance(index, bool):
        # Kustomize: "cannot unmarshal string into Go struct field FieldOptions...index"
        raise ReplacementFailure(f"options.index must be an integer, not '{index}'")
    return index
