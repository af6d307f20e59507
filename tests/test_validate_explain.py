"""kubeconform's error text for every JSON Schema keyword: the message and path of each cause,
worded like santhosh-tekuri/jsonschema v6 (which kubeconform v0.7 prints), from a local schema."""

from __future__ import annotations

import json

import pytest

from generator.validate.core import Options, Status, Validator
from generator.validate.explain import quote

GIZMO: dict[str, object] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "definitions": {
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "a/b": {"const": {"x": 1}},
    },
    "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object", "maxProperties": 2},
        "spec": {
            "type": "object",
            "minProperties": 1,
            "patternProperties": {"^x-": {"type": "string", "minLength": 2, "maxLength": 5}},
            "additionalProperties": {"type": ["integer", "null"]},
            "properties": {
                "tags": {"type": "array", "uniqueItems": True, "maxItems": 3},
                "pair": {
                    "type": "array",
                    "items": [{"type": "string"}, {"type": "integer"}],
                    "additionalItems": False,
                },
                "color": {"type": "string", "pattern": "^#[0-9a-f]{6}$"},
                "ratio": {"type": "number", "multipleOf": 0.5, "exclusiveMaximum": 10},
                "port": {"$ref": "#/definitions/port"},
                "shape": {"$ref": "#/definitions/a~1b"},
                "mode": {"enum": ["fast", "slow", 3, None, True]},
                "only": {"enum": ["one"]},
                "complex": {"enum": [{"a": 1}, "x"]},
                "fixed": {"const": "yes"},
                "never": False,
                "notString": {"not": {"type": "string"}},
                "both": {"allOf": [{"type": "string"}, {"minLength": 3}]},
                "either": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]},
                "one": {"oneOf": [{"type": "integer"}, {"minimum": 0}]},
                "cond": {
                    "if": {"type": "string"},
                    "then": {"minLength": 2},
                    "else": {"type": "integer"},
                },
                "when": {"type": "string", "format": "date-time"},
                "day": {"type": "string", "format": "date"},
                "addr": {"type": "string", "format": "ipv4"},
                "mail": {"type": "string", "format": "email"},
                "link": {"type": "string", "format": "uri"},
                "wait": {"type": "string", "format": "duration"},
                "big": {"type": "number", "maximum": 1e21},
                "pick": {"$ref": "#/properties/spec/properties/pair/items/1"},
                "sets": {"uniqueItems": True},
                "stamp": {"format": "date-time", "minimum": 5},
                "short": {"type": "string", "format": "duration", "maxLength": 3},
                "host": {"type": "string", "format": "hostname", "maxLength": 3},
                "either2": {"anyOf": [{"type": "integer"}, {"type": "string"}], "maxLength": 1},
                "letters": {"type": "string", "pattern": "^\\p{L}+$"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    folder = tmp_path_factory.mktemp("schemas")
    (folder / "gizmo_v1.json").write_text(json.dumps(GIZMO), encoding="utf-8")
    template = str(folder / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    return Validator(Options("1.31.0", schema_locations=(template,)))


@pytest.mark.parametrize(
    ("spec", "lines"),
    [
        ("{}", ["- at '/spec': minProperties: got 0, want 1"]),
        ("{tags: [a, b, a]}", ["- at '/spec/tags': items at 0 and 2 are equal"]),
        ("{tags: [a, b, c, d]}", ["- at '/spec/tags': maxItems: got 4, want 3"]),
        ("{pair: [a, 1, 2, 3]}", ["- at '/spec/pair': last 2 additionalItem(s) not allowed"]),
        ("{pair: [1]}", ["- at '/spec/pair/0': got number, want string"]),
        (
            '{color: "red\\a\\b\\x1b\\u00ad"}',
            ["- at '/spec/color': 'red\\a\\b\\x1b\\u00ad' does not match pattern '^#[0-9a-f]{6}$'"],
        ),
        (
            "{ratio: 10.25}",
            [
                "- at '/spec/ratio': exclusiveMaximum: got 10.25, want 10",
                "- at '/spec/ratio': multipleOf: got 10.25, want 0.5",
            ],
        ),
        ("{port: 0}", ["- at '/spec/port': minimum: got 0, want 1"]),
        ("{port: 70000}", ["- at '/spec/port': maximum: got 70000, want 65535"]),
        ("{shape: {x: 2}}", ["- at '/spec/shape': const failed"]),
        (
            "{mode: medium}",
            ["- at '/spec/mode': value must be one of 'fast', 'slow', 3, <nil>, true"],
        ),
        ("{only: two}", ["- at '/spec/only': value must be 'one'"]),
        ("{complex: y}", ["- at '/spec/complex': enum failed"]),
        ("{fixed: 'no'}", ["- at '/spec/fixed': value must be 'yes'"]),
        ("{never: 1}", ["- at '/spec/never': false schema"]),
        ("{notString: s}", ["- at '/spec/notString': not failed"]),
        (
            "{both: ab}",
            ["- at '/spec/both': allOf failed", "  - at '/spec/both': minLength: got 2, want 3"],
        ),
        (
            "{either: s}",
            [
                "- at '/spec/either': anyOf failed",
                "  - at '/spec/either': got string, want integer",
                "  - at '/spec/either': got string, want boolean",
            ],
        ),
        ("{one: 5}", ["- at '/spec/one': oneOf failed, subschemas 0, 1 matched"]),
        (
            "{one: -1.5}",
            [
                "- at '/spec/one': oneOf failed, none matched",
                "  - at '/spec/one': got number, want integer",
                "  - at '/spec/one': minimum: got -1.5, want 0",
            ],
        ),
        ("{cond: a}", ["- at '/spec/cond': minLength: got 1, want 2"]),
        ("{cond: 1.5}", ["- at '/spec/cond': got number, want integer"]),
        (
            "{when: tomorrow}",
            [
                "- at '/spec/when': 'tomorrow' is not valid date-time: cannot parse as RFC 3339 date-time"
            ],
        ),
        (
            "{day: 2024-1-1}",
            ["- at '/spec/day': '2024-1-1' is not valid date: cannot parse as RFC 3339 full-date"],
        ),
        (
            "{addr: 1.2.3.256}",
            ["- at '/spec/addr': '1.2.3.256' is not valid ipv4: invalid IPv4 address"],
        ),
        ("{mail: nobody}", ["- at '/spec/mail': 'nobody' is not valid email: missing @"]),
        ("{link: /path}", ["- at '/spec/link': '/path' is not valid uri: no scheme"]),
        (
            "{wait: 30 days}",
            ["- at '/spec/wait': '30 days' is not valid duration: must start with P"],
        ),
        ("{wait: P5X}", ["- at '/spec/wait': 'P5X' is not valid duration: invalid duration"]),
        ("{big: 1.23456789e21}", ["- at '/spec/big': maximum: got 1.23456789e+21, want 1e+21"]),
        ("{x-a: a}", ["- at '/spec/x-a': minLength: got 1, want 2"]),
        ("{x-b: toolong}", ["- at '/spec/x-b': maxLength: got 7, want 5"]),
        ("{other: s}", ["- at '/spec/other': got string, want null or integer"]),
        ("{pick: x}", ["- at '/spec/pick': got string, want integer"]),
        ("{sets: [{a: [1]}, {a: [1]}]}", ["- at '/spec/sets': items at 0 and 1 are equal"]),
        ("{stamp: 3}", ["- at '/spec/stamp': minimum: got 3, want 5"]),
        ("{short: PT5M}", ["- at '/spec/short': maxLength: got 4, want 3"]),
        ("{host: example.com}", ["- at '/spec/host': maxLength: got 11, want 3"]),
        ("{either2: ab}", ["- at '/spec/either2': maxLength: got 2, want 1"]),
        ("{letters: '123'}", ["- at '/spec/letters': '123' does not match pattern '^\\\\p{L}+$'"]),
    ],
)
def test_each_keyword_fails_with_kubeconforms_wording(
    validator: Validator, spec: str, lines: list[str]
) -> None:
    doc = f"apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {{name: g}}\nspec: {spec}\n"
    result = validator.validate_token(doc.encode(), "g.yaml")[0]
    assert result.status is Status.INVALID
    head, _, causes = result.msg.partition("gizmo_v1.json#' ")
    assert head.startswith("problem validating schema. Check JSON formatting: ")
    assert causes == " ".join(lines)


def test_several_causes_nest_under_the_object_that_holds_them(validator: Validator) -> None:
    doc = (
        b"apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g, a: 1, b: 2}\n"
        b"spec: {color: red, port: 0}\n"
    )
    result = validator.validate_token(doc, "g.yaml")[0]
    assert result.validation_errors == (
        ("/metadata", "maxProperties: got 3, want 2"),
        ("/spec", "validation failed"),
    )
    assert result.msg.partition("gizmo_v1.json#' ")[2] == (
        "- at '/metadata': maxProperties: got 3, want 2 - at '/spec': validation failed"
        "   - at '/spec/color': 'red' does not match pattern '^#[0-9a-f]{6}$'"
        "   - at '/spec/port': minimum: got 0, want 1"
    )


def test_quote_escapes_like_go() -> None:
    assert quote('it\'s \\ "x"\a\b\f\n\r\t\v\x00\x7f\u00ad\U000e0001é') == (
        "'it\\'s \\\\ \"x\"\\a\\b\\f\\n\\r\\t\\v\\x00\\x7f\\u00ad\\U000e0001é'"
    )
