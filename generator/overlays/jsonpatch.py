"""A body and a JSON 6902 patch (add, remove, replace, move, copy, test) → the patched body."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

OPERATIONS = ("add", "remove", "replace", "move", "copy", "test")


class PatchFailure(Exception):
    """An operation that cannot apply; the caller turns it into a GeneratorError."""


def apply(body: Any, operations: Sequence[Any]) -> Any:
    for index, op in enumerate(operations):
        if not isinstance(op, dict) or op.get("op") not in OPERATIONS:
            raise PatchFailure(
                f"operation {index} has no valid 'op' (one of {', '.join(OPERATIONS)})"
            )
        body = _apply_one(body, op, index)
    return body


def _apply_one(body: Any, op: dict[str, Any], index: int) -> Any:
    kind = op["op"]
    if "path" not in op or not isinstance(op["path"], str):
        raise PatchFailure(f"operation {index} ('{kind}') has no 'path'")
    path = _pointer(op["path"], index)
    if kind in ("add", "replace", "test") and "value" not in op:
        raise PatchFailure(f"operation {index} ('{kind}') has no 'value'")
    if kind == "add":
        return _add(body, path, copy.deepcopy(op["value"]), op["path"])
    if kind == "remove":
        _remove(body, path, op["path"])
        return body
    if kind == "replace":
        if not path:
            return copy.deepcopy(op["value"])
        parent, last = _parent(body, path, op["path"])
        if isinstance(parent, list):
            position = _index(last, len(parent) - 1, op["path"])
            parent[position] = copy.deepcopy(op["value"])
        else:  # Kustomize's JSON patch library adds a missing key on replace
            parent[last] = copy.deepcopy(op["value"])
        return body
    if kind == "test":
        if _get(body, path, op["path"]) != op["value"]:
            raise PatchFailure(f"testing value {op['path']} failed: test failed")
        return body
    if "from" not in op or not isinstance(op["from"], str):
        raise PatchFailure(f"operation {index} ('{kind}') has no 'from'")
    source = _pointer(op["from"], index)
    value = copy.deepcopy(_get(body, source, op["from"]))
    if kind == "move":
        _remove(body, source, op["from"])
    return _add(body, path, value, op["path"])


def _pointer(text: str, index: int) -> list[str]:
    if text == "":
        return []
    if not text.startswith("/"):
        raise PatchFailure(f"operation {index}: path '{text}' must start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in text[1:].split("/")]


def _index(token: str, highest: int, text: str) -> int:
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchFailure(f"invalid list index '{token}' in {text}")
    position = int(token)
    if position > highest:
        raise PatchFailure(f"index {position} is out of range in {text}")
    return position


def _walk(body: Any, parts: list[str], text: str) -> Any:
    node = body
    for part in parts:
        if isinstance(node, dict):
            if part not in node:
                raise PatchFailure(f"doc is missing path: {text}")
            node = node[part]
        elif isinstance(node, list):
            node = node[_index(part, len(node) - 1, text)]
        else:
            raise PatchFailure(f"doc is missing path: {text}")
    return node


def _parent(body: Any, path: list[str], text: str) -> tuple[Any, str]:
    parent = _walk(body, path[:-1], text)
    if not isinstance(parent, dict | list):
        raise PatchFailure(f"doc is missing path: {text}")
    return parent, path[-1]


def _get(body: Any, path: list[str], text: str) -> Any:
    return _walk(body, path, text)


def _add(body: Any, path: list[str], value: Any, text: str) -> Any:
    if not path:
        return value
    parent, last = _parent(body, path, text)
    if isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            parent.insert(_index(last, len(parent), text), value)
    else:
        parent[last] = value
    return body


def _remove(body: Any, path: list[str], text: str) -> None:
    if not path:
        raise PatchFailure("cannot remove the whole document")
    parent, last = _parent(body, path, text)
    if isinstance(parent, list):
        del parent[_index(last, len(parent) - 1, text)]
    elif last in parent:
        del parent[last]
    else:
        raise PatchFailure(f"remove operation does not apply: doc is missing path: {text}")
