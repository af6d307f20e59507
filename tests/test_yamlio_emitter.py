"""The canonical writer against a plain reference: the emitter keeps key orders and rendered
text from earlier objects, and must still write every object exactly as the straightforward
sort-and-recurse rules do."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from generator import yamlio
from generator.yamlio import KEY_PRIORITY, _emit_scalar, _string, dump_manifest, needs_quotes


def reference_dump(body: Mapping[Any, Any], header: Sequence[str] = ()) -> str:
    """The writer's rules, written plainly: sort each mapping, recurse, no remembered state."""
    out = [f"# {line}" if line else "#" for line in header]
    if body:
        _reference_map(body, 0, out, "")
    else:
        out.append("{}")
    return "\n".join(out) + "\n"


def _is_map(value: Any) -> bool:
    return type(value) is dict or (type(value) is not list and isinstance(value, Mapping))


def _is_seq(value: Any) -> bool:
    return type(value) is list or type(value) is tuple


def _reference_map(mapping: Mapping[Any, Any], indent: int, out: list[str], lead: str) -> None:
    pad = " " * indent
    order = sorted(mapping.items(), key=lambda kv: (KEY_PRIORITY.get(kv[0], 9), str(kv[0])))
    for i, (key, value) in enumerate(order):
        text = str(key)
        start = f"{lead if i == 0 else pad}{yamlio._quoted(text) if needs_quotes(text) else text}:"
        if value and _is_map(value):
            out.append(start)
            _reference_map(value, indent + 2, out, pad + "  ")
        elif value and _is_seq(value):
            out.append(start)
            _reference_seq(value, indent, out, pad)
        else:
            _emit_scalar(start + " ", value, indent + 2, out)


def _reference_seq(items: Sequence[Any], indent: int, out: list[str], lead: str) -> None:
    pad = " " * indent
    for i, item in enumerate(items):
        start = f"{lead if i == 0 else pad}- "
        if item and _is_map(item):
            _reference_map(item, indent + 2, out, start)
        elif item and _is_seq(item):
            _reference_seq(item, indent + 2, out, start)
        else:
            _emit_scalar(start, item, indent + 2, out)


# Few distinct keys, so that key sets repeat across mappings and objects; non-string keys
# (1, 1.0 and True are one dict key) and keys that need quotes among them.
KEYS = st.one_of(
    st.sampled_from([*KEY_PRIORITY, "a", "b", "spec", "labels", "on", "1", "", "a: b", "é"]),
    st.integers(-2, 2),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=False, min_value=-2, max_value=2),
    st.text(max_size=4),
)
SCALARS = st.one_of(
    st.sampled_from(["", "on", "web", "x\n", "a\nb", " lead\n", "a\r\nb", "\ttab\n", "k: v"]),
    st.text(max_size=12),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.none(),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=3).map(tuple),
        st.dictionaries(KEYS, children, max_size=5),
        st.dictionaries(KEYS, children, max_size=3).map(OrderedDict),
        st.dictionaries(KEYS, children, max_size=3).map(MappingProxyType),
    )


DATA = st.recursive(SCALARS, _containers, max_leaves=30)
BODIES = st.dictionaries(KEYS, DATA, max_size=6)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(BODIES, min_size=1, max_size=4), st.lists(st.text(max_size=5), max_size=2))
def test_the_writer_matches_the_plain_rules(
    bodies: list[dict[Any, Any]], header: list[str]
) -> None:
    for body in bodies:  # several objects in a row: what one remembers serves the next
        assert dump_manifest(body, header) == reference_dump(body, header)


def test_equal_non_string_keys_do_not_share_a_remembered_order() -> None:
    # 1, True and 1.0 are one dict key: their key tuples are equal, their texts are not
    bodies: list[dict[Any, str]] = [{1: "a", "2": "b"}, {True: "a", "2": "b"}, {1.0: "a", "2": "b"}]
    assert [dump_manifest(body) for body in bodies] == [
        '"1": a\n"2": b\n',
        '"2": b\n"True": a\n',
        '"1.0": a\n"2": b\n',
    ]


def test_remembered_orders_and_texts_survive_being_forgotten() -> None:
    first = dump_manifest({"kind": "K", "metadata": {"name": "on"}, "data": {"z": 1, "a": 2}})
    yamlio._KEY_LINES.clear()
    yamlio._STRING_TEXT.clear()
    again = dump_manifest({"kind": "K", "metadata": {"name": "on"}, "data": {"z": 1, "a": 2}})
    assert first == again == 'kind: K\nmetadata:\n  name: "on"\ndata:\n  a: 2\n  z: 1\n'


def test_nested_sequences_and_mappings_take_their_parents_dash() -> None:
    body = {"a": [[{"k": "v", "j": [1, {}]}, []], "x\n", {"m": ("t",)}], "b": math.inf}
    assert dump_manifest(body) == reference_dump(body)
    assert dump_manifest(body) == (
        "a:\n- - j:\n    - 1\n    - {}\n    k: v\n  - []\n- |\n  x\n- m:\n  - t\nb: .inf\n"
    )
    assert _string("on") == '"on"'
