"""What a traced overlay step records: the objects it changed and the fields, judged by value
(equal values in another spelling are no change), whatever types the body holds."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

import pytest

from generator.kinds import Scopes
from generator.model import Manifest, Origin
from generator.overlays.resources import Resource
from generator.overlays.trace import FieldPath, step, tracing
from generator.policies.rule import Cluster, Subject


class Tagged(str):
    """A str subclass, as some loaders make: marshal cannot hold it."""


def _body() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"a": "1", "b": "2"}},
        "spec": {"replicas": 1, "paused": True, "ports": [80, 443], "when": Tagged("x")},
    }


def _traced(
    edit: Callable[[dict[str, Any]], None], body: dict[str, Any]
) -> list[tuple[FieldPath, ...]]:
    """The fields of each change the step recorded: [] when it recorded none."""
    resource = Resource(body, Origin(PurePosixPath("base.yaml")))
    where = PurePosixPath("kustomization.yaml")
    with tracing() as trace, step([resource], where, "patch", lambda: Origin.NOWHERE):
        edit(resource.body)
    return [change.fields for change in trace.of(resource)]


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(body: dict[str, Any]) -> None:
        node = body
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return edit


def _reorder_labels(body: dict[str, Any]) -> None:
    labels = body["metadata"]["labels"]
    body["metadata"]["labels"] = dict(reversed(labels.items()))


@pytest.mark.parametrize(
    ("edit", "fields"),
    [
        (_set(("spec", "replicas"), 3), [(("spec", "replicas"),)]),
        (_set(("spec", "replicas"), 1.0), []),  # equal value, other type
        (_set(("spec", "paused"), 1), []),
        (_reorder_labels, []),  # equal mapping, other key order
        (_set(("metadata", "labels", "c"), "3"), [(("metadata", "labels", "c"),)]),
        (_set(("spec", "ports"), [80, 8443]), [(("spec", "ports", 1),)]),
        (_set(("spec", "when"), Tagged("y")), [(("spec", "when"),)]),
        (_set(("spec", "when"), "x"), []),  # equal to the subclass's value
        (_set(("spec", "since"), datetime.date(2024, 1, 1)), [(("spec", "since"),)]),
    ],
)
def test_a_step_records_the_fields_it_changed_by_value(
    edit: Callable[[dict[str, Any]], None], fields: list[tuple[FieldPath, ...]]
) -> None:
    assert _traced(edit, _body()) == fields


def test_a_step_over_a_body_marshal_cannot_hold_still_sees_changes() -> None:
    body = _body()
    body["spec"]["since"] = datetime.date(2024, 1, 1)  # no snapshot in bytes: a copy instead
    assert _traced(_set(("spec", "replicas"), 2), body) == [(("spec", "replicas"),)]
    assert _traced(_set(("spec", "replicas"), 1), _body() | {"x": datetime.date(2024, 1, 1)}) == []


def test_a_subject_finds_what_checks_share_once() -> None:
    subject = Subject(
        Manifest({"kind": "Pod"}, Origin.NOWHERE), None, None, Cluster({}, {}, Scopes({}))
    )
    calls: list[Subject] = []

    def find(s: Subject) -> int:
        calls.append(s)
        return len(calls)

    assert subject.memo("n", find) == 1
    assert subject.memo("n", find) == 1
    assert calls == [subject]
    assert subject.memo("m", find) == 2  # another name is found on its own
