"""The canonical writer: key order, quoting, block style; the YAML readers."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
import yaml
from ruamel.yaml import YAML

from generator import yamlio
from generator.errors import GeneratorError
from generator.yamlio import dump_manifest, load_manifests, needs_quotes

AMBIGUOUS = [
    "on",
    "Off",
    "yes",
    "y",
    "N",
    "NO",
    "~",
    "null",
    "0755",
    "1e3",
    "035e2982",
    "0x1F",
    "1_000",
    ".inf",
    "2024-06-30",
    "12:30",
    "",
    "-",
    "true",
    "3.0",
    "+1",
]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_yaml11_booleans_and_numbers_stay_strings(text: str) -> None:
    out = dump_manifest({"data": {"k": text}})
    assert needs_quotes(text)
    assert yaml.safe_load(out) == {"data": {"k": text}}  # YAML 1.1 reader
    assert YAML(typ="safe", pure=True).load(out) == {"data": {"k": text}}  # YAML 1.2 reader


def test_key_order_is_fixed_then_alphabetical() -> None:
    out = dump_manifest(
        {
            "spec": {"b": 1, "name": "x", "a": 2},
            "metadata": {"labels": {}, "name": "web"},
            "kind": "K",
            "apiVersion": "v1",
        }
    )
    assert (
        out
        == "apiVersion: v1\nkind: K\nmetadata:\n  name: web\n  labels: {}\nspec:\n  name: x\n  a: 2\n  b: 1\n"
    )


def test_multiline_strings_use_literal_blocks_and_round_trip() -> None:
    body = {"data": {"one": "a\nb\n", "none": "a\nb", "keep": "a\n\n\n", "lead": " x\ny"}}
    out = dump_manifest(body)
    assert "one: |\n    a\n    b\n" in out
    assert "none: |-\n" in out
    assert "keep: |+\n" in out
    assert 'lead: " x\\ny"' in out
    assert yaml.safe_load(out) == body


def test_lists_are_not_indented_under_keys_like_kustomize() -> None:
    out = dump_manifest(
        {"spec": {"containers": [{"name": "a", "args": ["-v", "--x=1"]}], "m": [[1, 2]]}}
    )
    assert (
        out
        == "spec:\n  containers:\n  - name: a\n    args:\n    - -v\n    - --x=1\n  m:\n  - - 1\n    - 2\n"
    )


def test_header_lines_become_comments() -> None:
    assert dump_manifest({"a": 1}, ["one", "", "two"]) == "# one\n#\n# two\na: 1\n"


def test_manifest_loader_keeps_timestamps_as_strings() -> None:
    (doc,) = load_manifests("a: 2024-01-01\nb: on\n", PurePosixPath("x.yaml"))
    assert doc == {"a": "2024-01-01", "b": True}


def test_manifest_loader_reports_position() -> None:
    with pytest.raises(GeneratorError) as e:
        load_manifests("a: [1\n", PurePosixPath("x.yaml"))
    assert str(e.value).startswith("x.yaml:2:1: malformed YAML:")


TRICKY_STREAMS = [
    "# leading comment\n---\na: 1\n---\n# comment only\n---\nb: [1, 2]\n",
    "a: on\nb: yes\nc: n\nd: 0755\ne: 1e3\nf: 12:30\ng: 1_000\n",
    "base: &b {x: 1}\nmerged:\n  <<: *b\n  y: 2\n",
    "s: !!str 5\nq: '0755'\nu: http://example.com:8080/a\nd: 2024-01-01\n",
    "text: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "",
    "---\n---\n",
    "x: -0755\ny: +12\nz: 0x1F\nw: .inf\nv: ~\n",
    "\ufeffapiVersion: v1\nkind: ConfigMap\n---\n\ufeffdata: {a: b}\n",  # byte-order marks
]


@pytest.mark.parametrize("text", TRICKY_STREAMS)
def test_fast_parser_agrees_with_yaml11_or_steps_aside(text: str) -> None:
    from generator.yamlio import _load_fast, _load_yaml11

    fast = _load_fast(text, PurePosixPath("x.yaml"))
    slow = _load_yaml11(text, PurePosixPath("x.yaml"))
    assert fast is None or fast == slow


def test_a_key_written_twice_is_refused_at_its_position() -> None:
    with pytest.raises(GeneratorError) as e:
        load_manifests("metadata:\n  name: a\ndata:\n  k: '1'\n  k: '2'\n", PurePosixPath("x.yaml"))
    assert str(e.value) == (
        "x.yaml:5:3: malformed YAML: key 'k' appears twice in this mapping\n  hint: remove one of the two"
    )


def test_merge_keys_may_be_overridden() -> None:
    (doc,) = load_manifests(
        "base: &b {a: 1, b: 2}\nm:\n  <<: *b\n  a: 3\n", PurePosixPath("x.yaml")
    )
    assert doc["m"] == {"a": 3, "b": 2}


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\x7f", "\ufffe"])
def test_both_parsers_refuse_a_control_character_at_the_same_place(character: str) -> None:
    """The Rust parser would stop reading at a NUL and return the truncated document."""
    text = f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  x: a{character}b\n"
    path = PurePosixPath("c.yaml")
    errors = []
    for load in (yamlio.load_manifests_with_lines, yamlio._load_yaml11):
        with pytest.raises(GeneratorError) as caught:
            load(text, path)
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert errors[0].startswith("c.yaml:6:7: malformed YAML: control character U+")


SCALARS = [
    *("cl-000", "web-01", "app-01:1.0", "ns-team-05", "v1.2.3", "10.0.0.1", "1.10", "sha256:1e5a"),
    *("0755", "09", "-01", "+01", "00", "0", "-0", "+1", "0o17", "0x1F", "0b101", "0_7", "0.5"),
    *("1e3", "1E3", "1.5e3", "1.5e+3", "1.5e-3", ".5e3", "1_000", "1.0_0", "1__0", "_1", "e3"),
    *("12:30", "1:30.5", "-1:30", "8080:80", "0:1", "a:1", "1:a", "190:20:30", "1:60", "12:3"),
    *(".5", "1.", "+.5", ".inf", "-.Inf", ".NaN", "1.2.3", "2024-01-01", "1e", "+", "-", "."),
    *("y", "Y", "yes", "No", "ON", "off", "~", "null", "Null", "true", "TRUE", "False", "n"),
]
CONTEXTS = ["a: {}", "- {}", "a: [{}, x]", "{{a: {}}}", "a: x-{}", "a: {}-x", "{}: v", "a: '{}'"]


@pytest.mark.parametrize("scalar", SCALARS)
def test_the_fast_parser_is_chosen_only_where_yaml11_and_12_agree(scalar: str) -> None:
    """Every scalar in every context: where the scan lets the fast YAML 1.2 parser read it, the
    result equals libyaml's YAML 1.1 reading; ordinary names take the fast path."""
    from generator.yamlio import _load_fast, _load_yaml11

    for context in CONTEXTS:
        text = context.format(scalar) + "\n"
        try:
            slow = _load_yaml11(text, PurePosixPath("x.yaml"))
        except GeneratorError:
            continue
        fast = _load_fast(text, PurePosixPath("x.yaml"))
        assert fast is None or repr(fast) == repr(slow), text  # repr: nan equals nan


@pytest.mark.parametrize(
    "text",
    [
        "metadata: {name: cl-000, labels: {node: web-01}}\n",
        "image: registry.example/app-01:1.0\nname: ns-team-05\n",
        "args: [--cluster=cl-042, --zone=eu-west-1]\nip: 10.0.0.1\n",
    ],
)
def test_ordinary_names_use_the_fast_parser(text: str) -> None:
    from generator.yamlio import _load_fast

    assert _load_fast(text, PurePosixPath("x.yaml")) is not None
