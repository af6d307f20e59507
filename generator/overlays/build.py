"""A kustomization directory (plus optional base objects) → the built resources, following
Kustomize v5's order: resources, components, generators, transformers, hashes, references."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from generator.textfiles import read_utf8
from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.generators import content_hash, generate
from generator.overlays.images import set_images, set_replicas
from generator.overlays.kustomization import Kustomization, find_file, load_kustomization
from generator.overlays.labels import apply_annotations, apply_labels
from generator.overlays.names import add_prefix_suffix, fix_references
from generator.overlays.namespaces import set_namespace
from generator.overlays.order import sort_resources
from generator.overlays.patches import apply_patches, load_patches
from generator.overlays.replacements import apply_replacements
from generator.overlays.resources import (
    ResMap,
    Resource,
    parse_documents,
    relpath,
    resources_from_text,
)
from generator.paths import inside

# Annotations Kustomize uses for its own bookkeeping and removes from every output object.
BOOKKEEPING_ANNOTATIONS = frozenset(
    {
        "config.kubernetes.io/index",
        "config.kubernetes.io/path",
        "config.kubernetes.io/origin",
        "internal.config.kubernetes.io/path",
        "internal.config.kubernetes.io/index",
        "internal.config.kubernetes.io/id",
        "config.k8s.io/id",
    }
)


@dataclass(slots=True)
class Build:
    """State shared across one build: the display root, warnings and the directory stack."""

    root: Path
    warnings: list[str] = field(default_factory=list)
    stack: list[Path] = field(default_factory=list)


def build(
    directory: Path,
    root: Path,
    *,
    base: Sequence[Resource] = (),
    warnings: list[str] | None = None,
    order: bool = True,
    hash_names: bool = True,
) -> list[Resource]:
    """Everything `kustomize build directory` outputs, in its order; `base` objects come first.

    With order=False the output keeps build order (base objects first), as `fifo` does.
    With hash_names=False generated objects keep their unhashed names: a later layer builds
    on them, and the suffix is computed once on the final data (`append_hashes`).
    """
    state = Build(root, warnings if warnings is not None else [])
    k = load_kustomization(directory, root, warnings=state.warnings)
    if k.kind == "Component":
        raise k.error(
            "a Component cannot be built on its own",
            ["kind"],
            "list this directory under 'components' of a Kustomization",
        )
    resmap = ResMap()
    resmap.extend(base)
    _accumulate(k, state, resmap)
    if hash_names:
        append_hashes(resmap.items)
    else:
        fix_references(resmap.items)
    for resource in resmap:
        _strip_bookkeeping(resource)
    return sort_resources(resmap.items, k.get("sortOptions")) if order else resmap.items


def append_hashes(resources: Sequence[Resource]) -> None:
    """Generated objects get their content-hash suffix, after every prefix and suffix, and
    references follow them to the final names (behaviour 10)."""
    for resource in resources:
        if resource.needs_hash:
            resource.remember()
            resource.set_name(f"{resource.name}-{content_hash(resource)}")
            resource.needs_hash = False  # one suffix, however many layers follow
    fix_references(resources)


def _strip_bookkeeping(resource: Resource) -> None:
    meta = resource.meta
    annotations = meta.get("annotations")
    if isinstance(annotations, dict) and not BOOKKEEPING_ANNOTATIONS.isdisjoint(annotations):
        for key in BOOKKEEPING_ANNOTATIONS.intersection(annotations):
            del annotations[key]
    # Kustomize rewrites annotations on every object and drops the map when it is empty.
    if meta.get("annotations") == {}:
        del meta["annotations"]


def _accumulate(k: Kustomization, state: Build, resmap: ResMap) -> None:
    state.stack.append(k.dir.resolve())  # _sub_kustomization refuses what is on it: cycles
    try:
        for key in ("resources", "bases"):
            for i, entry in enumerate(k.get(key) or []):
                resmap.extend(_load_entry(k, key, i, entry, state))
        for i, entry in enumerate(k.get("components") or []):
            component = _sub_kustomization(k, "components", i, entry, state)
            if component.kind != "Component":
                raise k.error(
                    f"'{entry}' is a {component.kind}, not a Component",
                    ["components", i],
                    "set kind: Component (apiVersion kustomize.config.k8s.io/v1alpha1) there,"
                    " or list the directory under 'resources'",
                )
            _accumulate(component, state, resmap)
        _generate(k, state, resmap)
        _transform(k, state, resmap)
    finally:
        state.stack.pop()


def _sub_kustomization(
    k: Kustomization, key: str, i: int, entry: str, state: Build
) -> Kustomization:
    path = k.dir / entry
    if path.is_dir() and path.resolve() in state.stack:
        chain = " -> ".join(str(relpath(p, state.root)) for p in [*state.stack, path.resolve()])
        raise k.error(
            f"cycle in kustomization references: {chain}",
            [key, i],
            "a kustomization may not include itself through resources or components",
        )
    if path.is_dir() and not inside(path, state.root):
        raise k.error(
            f"directory '{entry}' leaves the repository (it resolves to '{path.resolve()}')",
            [key, i],
            "overlays may only build on directories inside the repository: copy the base in"
            " instead of pointing (or linking) to it",
        )
    if not path.is_dir():
        raise k.error(
            f"'{entry}' is not a directory",
            [key, i],
            f"create '{relpath(path, state.root)}' with a kustomization.yaml or fix the path",
        )
    if find_file(path, state.root) is None:
        raise k.error(
            f"'{entry}' has no kustomization file",
            [key, i],
            f"add a kustomization.yaml to '{relpath(path, state.root)}'",
        )
    return load_kustomization(path, state.root, warnings=state.warnings)


def _load_entry(k: Kustomization, key: str, i: int, entry: str, state: Build) -> list[Resource]:
    if "://" in entry or entry.startswith(("github.com/", "git@")):
        raise k.error(
            f"remote resource '{entry}' is not supported",
            [key, i],
            "vendor the files into the repository and list the local path",
        )
    path = k.dir / entry
    if path.is_dir():
        sub = _sub_kustomization(k, key, i, entry, state)
        if sub.kind == "Component":
            raise k.error(
                f"'{entry}' is a Component and cannot be listed under '{key}'",
                [key, i],
                "list it under 'components' instead",
            )
        inner = ResMap()
        _accumulate(sub, state, inner)
        return inner.items
    if not path.is_file():
        raise k.error(
            f"resource '{entry}' does not exist",
            [key, i],
            f"create '{relpath(path, state.root)}' or fix the path (relative to the kustomization)",
        )
    if not path.resolve().is_relative_to(k.dir.resolve()):
        raise k.error(
            f"resource file '{entry}' is outside the kustomization directory",
            [key, i],
            "Kustomize only loads files in or below the kustomization's directory; list a"
            " directory with its own kustomization.yaml instead",
        )
    display = relpath(path, state.root)
    return resources_from_text(read_utf8(path, display), display)


def _generate(k: Kustomization, state: Build, resmap: ResMap) -> None:
    for field_name in ("configMapGenerator", "secretGenerator"):
        for i, entry in enumerate(k.get(field_name) or []):
            made = generate(k, field_name, i, entry, state.root)
            behavior = entry.get("behavior", "create")
            wanted = (made.namespace or "default", made.name)
            matches = [
                r
                for r in resmap
                if r.body.get("kind") == made.kind
                and r.group == ""
                and any((ns or "default", n) == wanted for ns, n in r.identities())
            ]
            if not matches:
                if behavior != "create":
                    raise k.error(
                        f"{made.kind} '{made.name}' does not exist; cannot {behavior} it",
                        [field_name, i, "behavior"],
                        "merge and replace change an object from a base; use behavior: create"
                        " (the default) for a new one",
                    )
                resmap.extend([made])
                continue
            old = matches[0]
            if behavior == "create":
                raise k.error(
                    f"{made.kind} '{made.name}' already exists",
                    [field_name, i],
                    "use behavior: merge or behavior: replace to change a generated object from"
                    " a base",
                )
            _absorb(old, made, behavior)


def _absorb(old: Resource, new: Resource, behavior: str) -> None:
    old_meta, new_meta = old.meta, new.meta
    for key in ("labels", "annotations"):
        merged = {**(old_meta.get(key) or {}), **(new_meta.get(key) or {})}
        if merged:
            old_meta[key] = merged
    body = old.body
    if behavior == "merge":
        for key in ("data", "binaryData"):
            merged = {**(body.get(key) or {}), **(new.body.get(key) or {})}
            if merged:
                body[key] = merged
    else:
        for key in ("data", "binaryData"):
            body.pop(key, None)
            if key in new.body:
                body[key] = new.body[key]
    if "immutable" in new.body:
        body["immutable"] = new.body["immutable"]
    if new.kind == "Secret" and new.body.get("type") and behavior == "replace":
        body["type"] = new.body["type"]
    old.needs_hash = old.needs_hash or new.needs_hash
    old.generator = old.generator or new.generator


def _transform(k: Kustomization, state: Build, resmap: ResMap) -> None:
    legacy, general, json6902 = load_patches(k, state.root)
    apply_patches(resmap, legacy)
    apply_patches(resmap, general)
    if k.get("namespace"):
        set_namespace(resmap, k.get("namespace"))
    add_prefix_suffix(resmap, k.get("namePrefix") or "", k.get("nameSuffix") or "")
    apply_labels(resmap, k.get("labels") or [], k.get("commonLabels") or {})
    apply_annotations(resmap, k.get("commonAnnotations") or {})
    apply_patches(resmap, json6902)
    unmatched = set_replicas(resmap, k.get("replicas") or [])
    if unmatched:
        index = next(i for i, e in enumerate(k.get("replicas")) if e["name"] == unmatched[0])
        raise k.error(
            "replicas: no Deployment, StatefulSet, ReplicaSet or ReplicationController is"
            f" named '{unmatched[0]}'",
            ["replicas", index, "name"],
            "use the name of a workload in this build (any earlier name works too)",
        )
    set_images(resmap, k.get("images") or [])
    replacements = _load_replacements(k, state)
    if replacements:
        apply_replacements(resmap.items, replacements)


def _load_replacements(
    k: Kustomization, state: Build
) -> list[tuple[dict[str, Any], Callable[[], Origin]]]:
    out: list[tuple[dict[str, Any], Callable[[], Origin]]] = []
    for i, entry in enumerate(k.get("replacements") or []):
        if "path" not in entry:
            out.append((entry, partial(k.origin, "replacements", i)))
            continue
        path = k.local_file(
            str(entry["path"]), ["replacements", i, "path"], "replacement file", state.root
        )
        display = relpath(path, state.root)
        for document, line in parse_documents(read_utf8(path, display), display):
            for item in document if isinstance(document, list) else [document]:
                if not isinstance(item, dict):
                    raise GeneratorError(
                        "a replacement must be a mapping with 'source' and 'targets'",
                        Origin(display, line),
                        "write each replacement as {source: ..., targets: [...]}",
                    )
                out.append((item, partial(Origin, display, line)))
    return out
