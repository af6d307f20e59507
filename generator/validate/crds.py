"""CustomResourceDefinition bodies → JSON schemas per (group, kind, version), converted the
way kubeconform's openapi2jsonschema.py converts them."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

CrdKey = tuple[str, str, str]  # (group, kind, version); kind as spelled in the CRD


def is_crd(body: Any) -> bool:
    return (
        isinstance(body, Mapping)  # checked first: is_crd runs on every rendered object
        and body.get("kind") == "CustomResourceDefinition"
        and str(body.get("apiVersion", "")).startswith("apiextensions.k8s.io/")
    )


def crd_schemas(body: Mapping[str, Any]) -> dict[CrdKey, dict[str, Any]]:
    """Every served version's openAPIV3Schema of one CRD, converted to a JSON schema."""
    spec = body.get("spec")
    if not isinstance(spec, Mapping):
        return {}
    group = str(spec.get("group", ""))
    names = spec.get("names")
    kind = str(names.get("kind", "")) if isinstance(names, Mapping) else ""
    out: dict[CrdKey, dict[str, Any]] = {}
    versions = spec.get("versions")
    if isinstance(versions, list):
        for version in versions:
            if not isinstance(version, Mapping):
                continue
            schema = version.get("schema")
            openapi = schema.get("openAPIV3Schema") if isinstance(schema, Mapping) else None
            if isinstance(openapi, Mapping) and version.get("name"):
                out[(group, kind, str(version["name"]))] = convert(openapi)
    elif isinstance(spec.get("validation"), Mapping):  # apiextensions.k8s.io/v1beta1
        openapi = spec["validation"].get("openAPIV3Schema")
        if isinstance(openapi, Mapping) and spec.get("version"):
            out[(group, kind, str(spec["version"]))] = convert(openapi)
    return out


def convert(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """OpenAPI v3 (structural) schema → draft-04 JSON schema with kubeconform's conversions:
    int-or-string becomes a oneOf, `nullable` adds null, nested objects with properties are
    closed unless they preserve unknown fields; the root stays open."""
    schema = copy.deepcopy(dict(openapi))
    _convert(schema, root=True)
    return schema


def _convert(node: dict[str, Any], *, root: bool) -> None:
    if node.pop("x-kubernetes-int-or-string", False):
        node.pop("type", None)
        node.pop("anyOf", None)
        node["oneOf"] = [{"type": "string"}, {"type": "integer"}]
    if node.pop("nullable", False) and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
    properties = node.get("properties")
    if (
        isinstance(properties, dict)
        and not root
        and not preserve
        and "additionalProperties" not in node
    ):
        node["additionalProperties"] = False
    for key in [k for k in node if k.startswith("x-kubernetes-")]:
        del node[key]
    for child in _children(node):
        _convert(child, root=False)


def _children(node: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    for keyword in ("properties", "patternProperties", "definitions"):
        group = node.get(keyword)
        if isinstance(group, dict):
            yield from (v for v in group.values() if isinstance(v, dict))
    for keyword in ("items", "additionalProperties", "not"):
        child = node.get(keyword)
        if isinstance(child, dict):
            yield child
    for keyword in ("allOf", "anyOf", "oneOf"):
        group = node.get(keyword)
        if isinstance(group, list):
            yield from (v for v in group if isinstance(v, dict))
