"""Overlay steps (one patch, one images or replicas entry, a namespace or label transform) →
which fields of which objects each step changed, recorded only while a trace is active."""

from __future__ import annotations

import marshal
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from generator.model import Origin
from generator.overlays.resources import Resource

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class OverlayChange:
    """One overlay step that changed an object: what it was and the fields it changed."""

    file: PurePosixPath  # the kustomization (or patch file) as users see it
    what: str  # "patch", "images entry 'x'", "replicas entry 'x'", "namespace", "labels", ...
    locate: Callable[[], Origin]  # its file:line, parsed only when asked (positions are slow)
    fields: tuple[FieldPath, ...]  # changed leaves; () for a changed name or identity

    @property
    def origin(self) -> Origin:
        return self.locate()

    def touches(self, path: FieldPath) -> bool:
        return any(f[: len(path)] == path or path[: len(f)] == f for f in self.fields)


class Trace:
    """The changes of one overlay run, by working object (they live as long as the run)."""

    def __init__(self) -> None:
        self.changes: dict[int, list[OverlayChange]] = {}
        self.objects: dict[int, Resource] = {}

    def of(self, resource: Resource) -> list[OverlayChange]:
        return self.changes.get(id(resource), [])


_ACTIVE: ContextVar[Trace | None] = ContextVar("overlay_trace", default=None)


@contextmanager
def tracing() -> Iterator[Trace]:
    trace = Trace()
    token = _ACTIVE.set(trace)
    try:
        yield trace
    finally:
        _ACTIVE.reset(token)


@contextmanager
def step(
    resources: Iterable[Resource] | Callable[[], Iterable[Resource]],
    file: PurePosixPath,
    what: str,
    locate: Callable[[], Origin],
    runs: bool = True,
) -> Iterator[None]:
    """Around one transformer step: with a trace active, record every object it changed
    (`runs=False`: the kustomization has nothing for this step, so nothing is copied).
    `resources` may be a function giving the objects the step can change, called only then."""
    trace = _ACTIVE.get()
    if trace is None or not runs:
        yield
        return
    if callable(resources):
        resources = resources()
    before = {id(r): (r, _snapshot(r.body)) for r in resources}
    yield
    for key, (resource, snapshot) in before.items():
        body = _unchanged_or_copy(snapshot, resource.body)
        if body is not None and body != resource.body:
            fields = tuple(changed_fields(body, resource.body))
            trace.objects[key] = resource
            trace.changes.setdefault(key, []).append(OverlayChange(file, what, locate, fields))


def changed_fields(old: Any, new: Any, path: FieldPath = ()) -> list[FieldPath]:
    """The leaf paths where two bodies differ (added, removed or changed)."""
    found: list[FieldPath] = []
    _changed(old, new, path, found)
    return found


def _changed(old: Any, new: Any, path: FieldPath, found: list[FieldPath]) -> None:
    # into a list rather than nested generators: every object a step changes is compared
    if _is_mapping(old) and _is_mapping(new):
        for key in dict.fromkeys([*old, *new]):
            if old.get(key) != new.get(key):
                _changed(old.get(key), new.get(key), (*path, key), found)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            if a != b:
                _changed(a, b, (*path, i), found)
    else:
        found.append(path)


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # plain dicts skip the ABC check


def _snapshot(body: Any) -> bytes | Any:
    """The body before a step: marshal's bytes, a deep copy made (and compared) in C, where
    the body holds only built-in types; a copy otherwise."""
    try:
        return marshal.dumps(body)
    except ValueError:  # an unmarshallable value: a subclass, a date
        return _copy(body)


def _unchanged_or_copy(snapshot: bytes | Any, body: Any) -> Any:
    """None when the body is what the snapshot holds, byte for byte; else the body before.
    Equal values may still marshal apart (1 and 1.0, keys in another order), so the caller
    compares the copy returned."""
    if type(snapshot) is not bytes:
        return snapshot
    try:
        if marshal.dumps(body) == snapshot:
            return None
    except ValueError:
        pass
    return marshal.loads(snapshot)


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
