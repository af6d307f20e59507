"""Resources and a kustomization's `images` and `replicas` → resources with container images
and replica counts rewritten."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import partial
from typing import Any

from generator.overlays.fieldspecs import REPLICA_KINDS, FieldSpec, visit
from generator.overlays.resources import Resource


def split_image(image: str) -> tuple[str, str, str]:
    """'registry:5000/app:1.0@sha256:…' → (name, tag, digest); the registry port is no tag."""
    name, _, digest = image.partition("@")
    slash = name.find("/")
    colon = name.find(":", max(slash, 0))
    if colon < 0:
        return name, "", digest
    return name[:colon], name[colon + 1 :], digest


def _rewrite(image: str, entry: Mapping[str, str]) -> str:
    name, tag, digest = split_image(image)
    if name != entry.get("name"):
        return image
    name = entry.get("newName") or name
    if entry.get("newTag") is not None and "newTag" in entry:
        tag, digest = entry["newTag"], ""
    if entry.get("digest"):
        digest = entry["digest"]
        if "newTag" not in entry:
            tag = ""
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _walk(node: Any, entries: list[Mapping[str, str]]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                for container in value:
                    if isinstance(container, dict) and isinstance(container.get("image"), str):
                        for entry in entries:
                            container["image"] = _rewrite(container["image"], entry)
            _walk(value, entries)
    elif isinstance(node, list):
        for item in node:
            _walk(item, entries)


def set_images(
    resources: Iterable[Resource],
    entries: list[Mapping[str, str]],
    extra: Sequence[FieldSpec] = (),
) -> None:
    """Behaviour 12: exact name match, any containers/initContainers list at any depth, and
    the image fields `configurations` add to the images table."""

    def leaf(parent: dict[str, Any], key: str) -> None:
        if isinstance(parent.get(key), str):
            for entry in entries:
                parent[key] = _rewrite(parent[key], entry)

    if entries:
        for resource in resources:
            _walk(resource.body, entries)
            for fs in extra:
                if fs.selects(resource):
                    visit(resource.body, fs.path, False, leaf)


def set_replicas(
    resources: Iterable[Resource],
    entries: list[Mapping[str, Any]],
    extra: Sequence[FieldSpec] = (),
) -> list[str]:
    """Set spec.replicas on workloads with any matching name (and the replica fields
    `configurations` add for other kinds); returns names matching nothing."""
    resources = list(resources)
    unmatched = []
    for entry in entries:
        found = False
        for resource in resources:
            if not any(n == entry["name"] for _, n in resource.identities()):
                continue
            if resource.kind in REPLICA_KINDS:
                spec = resource.body.get("spec")
                if not isinstance(spec, dict):
                    spec = resource.body["spec"] = {}
                spec["replicas"] = entry["count"]
                found = True
            for fs in extra:
                if fs.selects(resource):
                    visit(resource.body, fs.path, fs.create, partial(_set, entry["count"]))
                    found = True
        if not found:
            unmatched.append(entry["name"])
    return unmatched


def _set(value: Any, parent: dict[str, Any], key: str) -> None:
    parent[key] = value
