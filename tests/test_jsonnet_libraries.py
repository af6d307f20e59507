"""Shipped Jsonnet libraries: identical output under rjsonnet and C++ jsonnet, and a golden."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rjsonnet

from generator.engines import jsonnet
from generator.model import Manifest
from generator.yamlio import dump_stream
from tests.conftest import EXAMPLE, REPO
from tests.test_jsonnet import example_unit, unit_for

SHOWCASE = "tests/jsonnet/showcase"
GOLDEN = Path(__file__).parent / "jsonnet" / "showcase.expected.yaml"
OPERATORS = ("gateway", "external-dns", "karpenter")


def stream(manifests: list[Manifest]) -> str:
    return dump_stream([m.body for m in manifests])


@pytest.fixture(scope="module")
def showcase() -> dict[str, str]:
    return {e: stream(jsonnet.render(unit_for(SHOWCASE), REPO, engine=e)) for e in jsonnet.ENGINES}


def test_every_constructor_renders_identically_under_both_engines(showcase: dict[str, str]) -> None:
    assert showcase["rjsonnet"] == showcase["jsonnet"]


def test_showcase_matches_its_golden(showcase: dict[str, str], update_golden: bool) -> None:
    if update_golden:
        GOLDEN.write_text(showcase["rjsonnet"], encoding="utf-8")
    assert showcase["rjsonnet"] == GOLDEN.read_text(encoding="utf-8")


def test_showcase_calls_every_function_of_the_library() -> None:
    listing = (
        "local k = import 'k8s.libsonnet';"
        "local fns(o) = [f for f in std.objectFieldsAll(o) if std.isFunction(o[f])];"
        "fns(k) + fns(k.networkPolicies)"
    )
    library = rjsonnet.evaluate_snippet("list", listing, jpathdir=[str(REPO / "generator/jsonnet")])
    source = (REPO / SHOWCASE / "main.jsonnet").read_text(encoding="utf-8")
    used = set(re.findall(r"\bk\.(?:networkPolicies\.)?([a-zA-Z0-9]+)\(", source))
    # Reached through other constructors rather than called by name.
    indirect = {
        "meta",
        "selector",
        "env",
        "podSpec",
        "semverCompare",
        "checksum",
        "peerNamespace",
        "ports",
        "toJson",
    }
    assert set(json.loads(library)) - used - indirect == set()


@pytest.mark.parametrize("operator", OPERATORS)
def test_example_operators_render_identically_under_both_engines(operator: str) -> None:
    unit = example_unit("eks-prod", operator)
    outputs = {e: stream(jsonnet.render(unit, EXAMPLE, engine=e)) for e in jsonnet.ENGINES}
    assert outputs["rjsonnet"] == outputs["jsonnet"]


def test_builtin_tenant_renders_identically_under_both_engines() -> None:
    unit = example_unit("eks-prod", "payments")
    assert unit.component.path.as_posix() == "builtin/tenant"
    outputs = {e: jsonnet.render(unit, EXAMPLE, engine=e) for e in jsonnet.ENGINES}
    assert stream(outputs["rjsonnet"]) == stream(outputs["jsonnet"])
    assert {str(m.origin) for m in outputs["rjsonnet"]} == {"generator/jsonnet/tenant/main.jsonnet"}
