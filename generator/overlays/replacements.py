"""Resources and `replacements` entries → resources with values copied from a source field
into target fields (Kustomize v5 replacements)."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.labels import selector_matches
from generator.overlays.resources import Resource, effective_namespace

_ID_KEYS = ("group", "version", "kind", "name", "namespace")


class ReplacementFailure(Exception):
    """A replacement that cannot apply; the caller adds the kustomization position."""


class Step(NamedTuple):
    """One step of a replacement field path: a map key, or in a list `[key=value]`, `*` or an
    index. `bracketed` marks `[a.b/c]`, a map key written in brackets."""

    text: str
    bracketed: bool = False

    @property
    def selector(self) -> tuple[str, str] | None:
        if not self.bracketed or "=" not in self.text:
            return None
        key, _, value = self.text.partition("=")
        return key, value


def parse_field_path(text: str) -> list[Step]:
    """`spec.nodeSelector.topology\\.kubernetes\\.io/zone`, `metadata.annotations.[a.b/c]`,
    `containers.[name=app].image` → their steps: `\\.` is a dot inside a key and nothing
    inside brackets splits, as in kyaml's path splitter."""
    steps: list[Step] = []
    current = ""
    bracketed = False
    depth = 0
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text) and text[i + 1] == "." and depth == 0:
            current += "."
            i += 2
            continue
        if char == "[" and depth == 0 and current == "":
            depth, bracketed = 1, True
        elif char == "]" and depth == 1:
            depth = 0
        elif char == "." and depth == 0:
            steps.append(Step(current, bracketed))
            current, bracketed = "", False
        else:
            current += char
        i += 1
    steps.append(Step(current, bracketed))
    return [s for s in steps if s.text != "" or s.bracketed]


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
    found = list(reach(matches[0].body, parse_field_path(field_path), create=False))
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
            # The value may come from a Secret: count its pieces, never quote it.
            raise ReplacementFailure(
                f"options.index {index} is out of range: the value of '{field_path}' splits "
                f"into {len(pieces)} piece(s) at the delimiter"
            )
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
            places = list(reach(resource.body, parse_field_path(str(field_path)), create=create))
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


def reach(node: Any, steps: list[Step], create: bool) -> Iterator[tuple[Any, Any]]:
    """(parent, key) pairs for every place the path reaches; in lists `*` and [k=v] fan out.
    With create, missing maps and `[k=v]` list items are added on the way."""
    if not steps:
        return
    head, rest = steps[0], steps[1:]
    if isinstance(node, list):
        children = _list_children(node, head, create)
        for i in children:
            if not rest:
                yield node, i
            else:
                yield from reach(node[i], rest, create)
        return
    if not isinstance(node, dict) or (head.text == "*" and not head.bracketed):
        return  # Kustomize fans `*` out over lists only
    if head.selector is not None:
        return  # a [key=value] step needs a list
    key = head.text
    if not rest:
        if key in node or create:
            yield node, key
        return
    if key not in node or node[key] is None:
        if not create:
            return
        following = rest[0]
        in_list = following.selector is not None or (
            following.text.isdigit() and not following.bracketed
        )
        node[key] = [] if in_list else {}
    yield from reach(node[key], rest, create)


def _list_children(node: list[Any], head: Step, create: bool) -> list[int]:
    selector = head.selector
    if selector is not None:
        key, wanted = selector
        if key == "":  # [=value] matches an item of a list of scalars
            return [i for i, item in enumerate(node) if str(item) == wanted]
        found = [
            i
            for i, item in enumerate(node)
            if isinstance(item, dict) and str(item.get(key)) == wanted
        ]
        if not found and create:
            node.append({key: wanted})
            found = [len(node) - 1]
        return found
    if head.text == "*" and not head.bracketed:
        return list(range(len(node)))
    if head.text.isdigit() and not head.bracketed:
        if int(head.text) < len(node):
            return [int(head.text)]
        if create and int(head.text) == len(node):
            node.append({})
            return [len(node) - 1]
    return []


def _describe(selector: dict[str, Any]) -> str:
    return ", ".join(f"{k}={selector[k]}" for k in _ID_KEYS if selector.get(k)) or "(empty)"


def _index(options: Mapping[str, Any]) -> int:
    index = options.get("index", 0)
    if not isinstance(index, int) or isinstance(index, bool):
        # Kustomize: "cannot unmarshal string into Go struct field FieldOptions...index"
        raise ReplacementFailure(f"options.index must be an integer, not '{index}'")
    return index
