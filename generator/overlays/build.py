"""A kustomization directory (plus optional base objects) → the built resources, following
Kustomize v5's order: resources, components, generators, transformers, hashes, references."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.generators import content_hash, generate
from generator.overlays.images import set_images, set_replicas
from generator.overlays.kustomization import (
    Kustomization,
    find_file,
    load_kustomization,
    misspelt_error,
)
from generator.overlays.labels import apply_annotations, apply_labels
from generator.overlays.configurations import (
    Configuration,
    load_configurations,
    merged_name_references,
)
from generator.overlays.names import NAME_REFERENCES, Referral, add_prefix_suffix, fix_references
from generator.overlays.namespaces import set_namespace
from generator.overlays.order import sort_resources
from generator.overlays.patches import Patch, apply_patches, load_patches, select
from generator.overlays.replacements import apply_replacements
from generator.overlays.resources import (
    ResMap,
    Resource,
    parse_documents,
    relpath,
    resources_from_text,
)
from generator.overlays.targets import TargetReport
from generator.overlays.trace import step
from generator.overlays.vars import VAR_REFERENCES, Var, bind, resolve
from generator.paths import inside, read_text

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
    vars: list[Var] = field(default_factory=list)
    targets: TargetReport | None = None
    read: set[Path] = field(default_factory=set)  # every kustomization directory built


def build(
    directory: Path,
    root: Path,
    *,
    base: Sequence[Resource] = (),
    warnings: list[str] | None = None,
    order: bool = True,
    hash_names: bool = True,
    targets: TargetReport | None = None,
    read: set[Path] | None = None,
) -> list[Resource]:
    """Everything `kustomize build directory` outputs, in its order; `base` objects come first.

    With order=False the output keeps build order (base objects first), as `fifo` does.
    With hash_names=False generated objects keep their unhashed names: a later layer builds
    on them, and the suffix is computed once on the final data (`append_hashes`).
    `targets` collects which patch targets selected nothing (overlays under overlays/).
    `read` receives every kustomization directory built: a build reads files only inside them.
    """
    state = Build(
        root,
        warnings if warnings is not None else [],
        targets=targets,
        read=set() if read is None else read,
    )
    k = load_kustomization(directory, root, warnings=state.warnings)
    if k.kind == "Component":
        raise k.error(
            "a Component cannot be built on its own",
            ["kind"],
            "list this directory under 'components' of a Kustomization",
        )
    resmap = ResMap()
    resmap.extend(base)
    config = _accumulate(k, state, resmap)
    table = merged_name_references(config, partial(k.origin, "configurations"))
    if hash_names:
        append_hashes(resmap.items, table)
    else:
        fix_references(resmap.items, table)
    references = VAR_REFERENCES + config.var_references
    resolve(resmap.items, state.vars, references, state.warnings)
    for resource in resmap:
        _strip_bookkeeping(resource)
    return sort_resources(resmap.items, k.get("sortOptions")) if order else resmap.items


def append_hashes(
    resources: Sequence[Resource], table: Sequence[Referral] = NAME_REFERENCES
) -> None:
    """Generated objects get their content-hash suffix, after every prefix and suffix, and
    references follow them to the final names (behaviour 10)."""
    for resource in resources:
        if resource.needs_hash:
            resource.remember()
            resource.set_name(f"{resource.name}-{content_hash(resource)}")
            resource.needs_hash = False  # one suffix, however many layers follow
    fix_references(resources, table)


def _strip_bookkeeping(resource: Resource) -> None:
    meta = resource.meta
    annotations = meta.get("annotations")
    if isinstance(annotations, dict) and not BOOKKEEPING_ANNOTATIONS.isdisjoint(annotations):
        for key in BOOKKEEPING_ANNOTATIONS.intersection(annotations):
            del annotations[key]
    # Kustomize rewrites annotations on every object and drops the map when it is empty.
    if meta.get("annotations") == {}:
        del meta["annotations"]


def _accumulate(k: Kustomization, state: Build, resmap: ResMap) -> Configuration:
    """Build k into resmap; returns its `configurations` merged with those of its bases, which
    its own transformers use (as Kustomize's accumulator merges them upwards)."""
    state.stack.append(k.dir.resolve())  # _sub_kustomization refuses what is on it: cycles
    config = Configuration()
    state.read.add(k.dir)
    try:
        for key in ("resources", "bases"):
            for i, entry in enumerate(k.get(key) or []):
                resources, inner = _load_entry(k, key, i, entry, state)
                resmap.extend(resources)
                config = config.merge(inner, partial(k.origin, key, i))
        own = load_configurations(k, state.root)
        config = config.merge(own, partial(k.origin, "configurations"))
        for i, entry in enumerate(k.get("components") or []):
            component = _sub_kustomization(k, "components", i, entry, state)
            if component.kind != "Component":
                raise k.error(
                    f"'{entry}' is a {component.kind}, not a Component",
                    ["components", i],
                    "set kind: Component (apiVersion kustomize.config.k8s.io/v1alpha1) there,"
                    " or list the directory under 'resources'",
                )
            inner = _accumulate(component, state, resmap)
            config = config.merge(inner, partial(k.origin, "components", i))
        _generate(k, state, resmap)
        _transform(k, state, resmap, config)
        entries = [(e, partial(k.origin, "vars", i)) for i, e in enumerate(k.get("vars") or [])]
        bind(entries, resmap.items, state.vars)
    finally:
        state.stack.pop()
    return config


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
        raise misspelt_error(path, relpath(path, state.root)) or k.error(
            f"'{entry}' has no kustomization file",
            [key, i],
            f"add a kustomization.yaml to '{relpath(path, state.root)}'",
        )
    return load_kustomization(path, state.root, warnings=state.warnings)


def _load_entry(
    k: Kustomization, key: str, i: int, entry: str, state: Build
) -> tuple[list[Resource], Configuration]:
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
        config = _accumulate(sub, state, inner)
        return inner.items, config
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
    text = read_text(path, state.root, "resource file", entry, k.origin(key, i), rel=display)
    return resources_from_text(text, display), Configuration()


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


def _transform(k: Kustomization, state: Build, resmap: ResMap, config: Configuration) -> None:
    # Each step runs inside trace.step, which records what it changed while `explain` or the
    # rendered headers ask; patches and entries run one at a time so each can be named.
    legacy, general, json6902 = load_patches(k, state.root)
    for patch in legacy:
        with step(_targets(resmap, patch), _file(k, patch), "patch", partial(_origin, patch)):
            apply_patches(resmap, [patch])
    for patch in general:
        with step(_targets(resmap, patch), _file(k, patch), "patch", partial(_origin, patch)):
            apply_patches(resmap, [patch], state.targets)
    if k.get("namespace"):
        with step(resmap, k.display, "namespace", partial(k.origin, "namespace")):
            set_namespace(resmap, k.get("namespace"), config.namespace)
    renames = bool(k.get("namePrefix") or k.get("nameSuffix"))
    with step(resmap, k.display, "namePrefix/nameSuffix", partial(k.origin, "namePrefix"), renames):
        add_prefix_suffix(
            resmap,
            k.get("namePrefix") or "",
            k.get("nameSuffix") or "",
            config.name_prefix,
            config.name_suffix,
        )
    labels = bool(k.get("labels") or k.get("commonLabels"))
    with step(resmap, k.display, "labels", partial(k.origin, "labels"), labels):
        apply_labels(
            resmap,
            k.get("labels") or [],
            k.get("commonLabels") or {},
            config.common_labels,
            config.template_labels,
        )
    annotations = bool(k.get("commonAnnotations"))
    with step(
        resmap, k.display, "commonAnnotations", partial(k.origin, "commonAnnotations"), annotations
    ):
        apply_annotations(resmap, k.get("commonAnnotations") or {}, config.common_annotations)
    for patch in json6902:
        what = "JSON 6902 patch"
        with step(_targets(resmap, patch), _file(k, patch), what, partial(_origin, patch)):
            apply_patches(resmap, [patch], state.targets)
    unmatched = []
    for i, entry in enumerate(k.get("replicas") or []):
        what = f"replicas entry '{entry.get('name')}'"
        with step(resmap, k.display, what, partial(k.origin, "replicas", i)):
            unmatched += set_replicas(resmap, [entry], config.replicas)
    if unmatched:
        index = next(i for i, e in enumerate(k.get("replicas")) if e["name"] == unmatched[0])
        raise k.error(
            "replicas: no Deployment, StatefulSet, ReplicaSet or ReplicationController is"
            f" named '{unmatched[0]}'",
            ["replicas", index, "name"],
            "use the name of a workload in this build (any earlier name works too)",
        )
    for i, entry in enumerate(k.get("images") or []):
        what = f"images entry '{entry.get('name')}'"
        with step(resmap, k.display, what, partial(k.origin, "images", i)):
            set_images(resmap, [entry], config.images)
    replacements = _load_replacements(k, state)
    if replacements:
        with step(resmap, k.display, "replacements", partial(k.origin, "replacements")):
            apply_replacements(resmap.items, replacements)


def _targets(resmap: ResMap, patch: Patch) -> Callable[[], list[Resource]]:
    """What a trace copies before the patch: the objects its target selects (all objects for
    an untargeted strategic patch); asked only while a trace is active."""
    if patch.target is None:
        return lambda: resmap.items
    return partial(select, resmap, patch.target, patch)


def _origin(patch: Patch) -> Origin:
    return patch.origin


def _file(k: Kustomization, patch: Patch) -> PurePosixPath:
    return patch.where.path if patch.where is not None else k.display


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
        text = read_text(
            path, state.root, "replacement file", str(entry["path"]), Origin(display), rel=display
        )
        for document, line in parse_documents(text, display):
            for item in document if isinstance(document, list) else [document]:
                if not isinstance(item, dict):
                    raise GeneratorError(
                        "a replacement must be a mapping with 'source' and 'targets'",
                        Origin(display, line),
                        "write each replacement as {source: ..., targets: [...]}",
                    )
                out.append((item, partial(Origin, display, line)))
    return out
