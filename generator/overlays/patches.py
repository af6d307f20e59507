"""Resources and a kustomization's patches, patchesStrategicMerge and patchesJson6902 →
patched resources (strategic merge or JSON 6902, untargeted or with target selectors)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays import jsonpatch, strategic
from generator.overlays.kustomization import Kustomization
from generator.overlays.labels import SelectorError, selector_matches
from generator.overlays.resources import (
    ResMap,
    Resource,
    effective_namespace,
    parse_documents,
    relpath,
)
from generator.paths import read_text

if TYPE_CHECKING:  # targets.py builds on Patch
    from generator.overlays.targets import TargetReport


@dataclass(frozen=True, slots=True)
class Patch:
    """One patch document ready to apply; `json` holds JSON 6902 operations.

    `where` is the patch file position, or None for an inline patch: then the origin is the
    kustomization entry, looked up only when a message needs it (positions cost a slow parse).
    """

    where: Origin | None
    strategic: Mapping[str, Any] | None
    json: list[Any] | None
    target: Mapping[str, Any] | None
    entry: tuple[Kustomization, tuple[str | int, ...]]
    allow_name_change: bool = False
    allow_kind_change: bool = False
    allow_no_match: bool = False

    @property
    def origin(self) -> Origin:
        k, key_path = self.entry
        return self.where if self.where is not None else k.origin(*key_path)


def load_patches(k: Kustomization, root: Path) -> tuple[list[Patch], list[Patch], list[Patch]]:
    """(patchesStrategicMerge, patches, patchesJson6902) in the order Kustomize runs them."""
    legacy: list[Patch] = []
    for i, entry in enumerate(k.get("patchesStrategicMerge") or []):
        key_path: tuple[str | int, ...] = ("patchesStrategicMerge", i)
        text, display = _patch_text(k, entry, list(key_path), root, inline_ok=True)
        for document, line in parse_documents(text, display):
            where = Origin(display, line) if display != k.display else None
            if not isinstance(document, dict):
                raise GeneratorError(
                    "a strategic merge patch must be a YAML mapping",
                    where or k.origin(*key_path),
                    "write the patch as a partial Kubernetes object",
                )
            _require_identity(document, where, k, key_path)
            _check_directives(document, where, k, key_path)
            legacy.append(Patch(where, document, None, None, (k, key_path)))
    general: list[Patch] = []
    for i, entry in enumerate(k.get("patches") or []):
        key_path = ("patches", i)
        text, display = _entry_text(k, "patches", i, entry, root)
        options = entry.get("options") or {}
        target = entry.get("target")
        if target is not None and not isinstance(target, dict):
            raise k.error(
                "a patch target must be a mapping",
                ["patches", i, "target"],
                "write target: {kind: ..., name: ...}",
            )
        documents = parse_documents(text, display)
        if not documents:
            raise k.error(
                "the patch is empty",
                ["patches", i],
                "write a strategic merge patch or a JSON 6902 list",
            )
        for document, line in documents:
            where = Origin(display, line) if display != k.display else None
            if isinstance(document, list):
                if target is None:
                    raise k.error(
                        "a JSON 6902 patch needs a 'target'",
                        ["patches", i],
                        "add target: {kind: ..., name: ...} to say which object to patch",
                    )
                general.append(
                    Patch(
                        where,
                        None,
                        document,
                        target,
                        (k, key_path),
                        allow_no_match=bool(options.get("allowNoMatch")),
                    )
                )
            elif isinstance(document, dict):
                _require_identity(document, where, k, key_path)
                _check_directives(document, where, k, key_path)
                general.append(
                    Patch(
                        where,
                        document,
                        None,
                        target,
                        (k, key_path),
                        bool(options.get("allowNameChange")),
                        bool(options.get("allowKindChange")),
                        bool(options.get("allowNoMatch")),
                    )
                )
            else:
                raise GeneratorError(
                    "a patch must be a YAML mapping or a list of JSON 6902 operations",
                    where or k.origin(*key_path),
                    "write a partial object (strategic merge) or a list of {op, path, value}",
                )
    json6902: list[Patch] = []
    for i, entry in enumerate(k.get("patchesJson6902") or []):
        key_path = ("patchesJson6902", i)
        text, display = _entry_text(k, "patchesJson6902", i, entry, root)
        documents = parse_documents(text, display)
        operations = documents[0][0] if documents else []
        if not isinstance(operations, list):
            raise k.error(
                "a patchesJson6902 patch must be a list of operations",
                ["patchesJson6902", i],
                "write the patch as a list of {op, path, value}",
            )
        json6902.append(Patch(None, None, operations, entry["target"], (k, key_path)))
    return legacy, general, json6902


_DIRECTIVES = ("replace", "merge", "delete")


def _check_directives(node: Any, where: Origin | None, k: Kustomization, key_path: Any) -> None:
    """Kustomize refuses a `$patch` value it does not know anywhere in a patch."""
    if isinstance(node, dict):
        value = node.get(strategic.DIRECTIVE)
        if value is not None and value not in _DIRECTIVES:
            raise GeneratorError(
                f"unknown patch strategy '$patch: {value}'",
                where or k.origin(*key_path),
                f"use one of: {', '.join(_DIRECTIVES)}",
            )
        for child in node.values():
            _check_directives(child, where, k, key_path)
    elif isinstance(node, list):
        for child in node:
            _check_directives(child, where, k, key_path)


def _require_identity(
    document: Mapping[str, Any],
    where: Origin | None,
    k: Kustomization,
    key_path: tuple[str | int, ...],
) -> None:
    """Kustomize reads a strategic merge patch as an object and refuses one without a kind
    or a name, even when a target selector says where it goes."""
    meta = document.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    missing = [
        key
        for key, value in (("kind", document.get("kind")), ("metadata.name", name))
        if not isinstance(value, str) or not value
    ]
    if missing:
        raise GeneratorError(
            f"the strategic merge patch has no {' and no '.join(repr(m) for m in missing)}",
            where or k.origin(*key_path),
            "start the patch with the kind and metadata.name of the object it changes"
            " (with a target, any name will do)",
        )


def _entry_text(
    k: Kustomization, field: str, i: int, entry: Mapping[str, Any], root: Path
) -> tuple[str, Any]:
    """The patch of a `patches`/`patchesJson6902` entry: its file (`path`) or inline text."""
    if "path" in entry:
        return _patch_text(k, entry["path"], [field, i, "path"], root, inline_ok=False)
    return str(entry["patch"]), k.display


def _patch_text(
    k: Kustomization, entry: str, where: list[str | int], root: Path, *, inline_ok: bool
) -> tuple[str, Any]:
    if inline_ok and ("\n" in entry or entry.lstrip().startswith(("{", "apiVersion:", "kind:"))):
        return entry, k.display
    path = k.local_file(entry, where, "patch file", root)
    display = relpath(path, root)
    return read_text(path, root, "patch file", entry, k.origin(*where), rel=display), display


def _anchored(pattern: str) -> re.Pattern[str]:
    return re.compile(f"^(?:{pattern})$")


def _pattern(target: Mapping[str, Any], key: str, patch: Patch) -> re.Pattern[str] | None:
    if not target.get(key):
        return None
    try:
        return _anchored(str(target[key]))
    except re.error as e:
        raise GeneratorError(
            f"invalid regular expression '{target[key]}' in the patch target's {key}: {e.msg}",
            patch.origin,
            "target name and namespace are anchored regular expressions; escape special"
            " characters such as '[', '(' and '*' with a backslash",
        ) from None


def select(resources: ResMap, target: Mapping[str, Any], patch: Patch) -> list[Resource]:
    """Objects a target selects by original or current id (behaviour 7); none is no error."""
    name = _pattern(target, "name", patch)
    namespace = _pattern(target, "namespace", patch)
    out = []
    for r in resources:
        if target.get("kind") and target["kind"] != r.kind:
            continue
        if target.get("group") and target["group"] != r.group:
            continue
        if target.get("version") and target["version"] != r.version:
            continue
        original_ns, original_name = r.original
        if namespace is not None:
            if r.cluster_scoped:
                continue
            if not (
                namespace.match(effective_namespace(original_ns))
                or namespace.match(effective_namespace(r.namespace))
            ):
                continue
        if name is not None and not (name.match(original_name) or name.match(r.name)):
            continue
        try:
            if target.get("labelSelector") and not selector_matches(
                str(target["labelSelector"]), r.labels()
            ):
                continue
            if target.get("annotationSelector") and not selector_matches(
                str(target["annotationSelector"]), r.annotations()
            ):
                continue
        except SelectorError as e:
            raise GeneratorError(
                f"invalid selector in patch target: {e}",
                patch.origin,
                "use the Kubernetes label selector syntax, e.g. app=web,tier in (a,b)",
            ) from None
        out.append(r)
    return out


def apply_patches(
    resources: ResMap, patches: list[Patch], report: TargetReport | None = None
) -> None:
    """Apply in order; `report` (only under overlays/) learns which targets selected nothing."""
    index: dict[tuple[str, str, str, str, str], list[Resource]] | None = None
    for patch in patches:
        if patch.json is not None:
            selected = select(resources, patch.target or {}, patch)
            if report is not None:
                report.note(patch, selected, resources)
            for resource in selected:
                _apply_json(resource, patch)
            continue
        if patch.target is None:
            if index is None:
                index = _identity_index(resources)
            resource = _untargeted(index, patch)
            if _apply_strategic(resource, patch):
                resources.replace_all([r for r in resources if r is not resource])
                index = None
            continue
        deleted = set()
        selected = select(resources, patch.target, patch)
        if report is not None:
            report.note(patch, selected, resources)
        for resource in selected:
            if _apply_strategic(resource, patch):
                deleted.add(id(resource))
            index = None
        if deleted:
            resources.replace_all([r for r in resources if id(r) not in deleted])


def _identity_index(resources: ResMap) -> dict[tuple[str, str, str, str, str], list[Resource]]:
    index: dict[tuple[str, str, str, str, str], list[Resource]] = defaultdict(list)
    for r in resources:
        for namespace, name in dict.fromkeys(r.identities()):
            ns = "" if r.cluster_scoped else effective_namespace(namespace)
            index[(r.group, r.version, r.kind, ns, name)].append(r)
    return index


def _untargeted(
    index: Mapping[tuple[str, str, str, str, str], list[Resource]], patch: Patch
) -> Resource:
    body = patch.strategic or {}
    found_meta = body.get("metadata")
    meta: Mapping[str, Any] = found_meta if isinstance(found_meta, dict) else {}
    group, _, version = str(body.get("apiVersion") or "").rpartition("/")
    kind = str(body.get("kind") or "")
    name = str(meta.get("name") or "")
    namespace = str(meta.get("namespace") or "")
    ns = "" if kind in _cluster_kinds() else effective_namespace(namespace)
    found = index.get((group, version, kind, ns, name), [])
    unique = list(dict.fromkeys(found))
    where = f"{namespace}/" if namespace else ""
    if not unique:
        raise GeneratorError(
            f"no object matches the patch for {kind} '{where}{name}'",
            patch.origin,
            "a patch without 'target' must name an object of the build by apiVersion, kind,"
            " name (and namespace); check them or add a target selector",
        )
    if len(unique) > 1:
        raise GeneratorError(
            f"several objects match the patch for {kind} '{where}{name}'",
            patch.origin,
            "add metadata.namespace to the patch or use a target selector",
        )
    return unique[0]


def _cluster_kinds() -> frozenset[str]:
    from generator.overlays.resources import CLUSTER_SCOPED

    return CLUSTER_SCOPED


def _apply_strategic(resource: Resource, patch: Patch) -> bool:
    """Apply in place; True when the patch deleted the object."""
    name, namespace, kind = resource.name, resource.namespace, resource.kind
    api_version = resource.body.get("apiVersion")
    if patch.allow_name_change or patch.allow_kind_change:
        resource.remember()
    schema = strategic.schema_for(resource.api_version, resource.kind)
    try:
        merged = strategic.merge(resource.body, patch.strategic, schema)
    except strategic.MergeFailure as e:
        raise GeneratorError(
            f"strategic merge patch failed on {resource.describe()}: {e}",
            patch.origin,
            e.hint,
        ) from None
    if merged is None or not merged:
        return True
    resource.body = merged
    meta = resource.meta
    # The patch's apiVersion never replaces the target's, even with allowKindChange.
    resource.body["apiVersion"] = api_version
    if not patch.allow_kind_change:
        resource.body["kind"] = kind
    if not patch.allow_name_change:
        meta["name"] = name
    if namespace:
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    return False


def _apply_json(resource: Resource, patch: Patch) -> None:
    resource.remember()
    try:
        body = jsonpatch.apply(resource.body, patch.json or [])
    except jsonpatch.PatchFailure as e:
        raise GeneratorError(
            f"JSON 6902 patch failed on {resource.describe()}: {e}",
            patch.origin,
            "check the operation's path against the object (paths are JSON pointers like"
            " /spec/replicas)",
        ) from None
    if not isinstance(body, dict):
        raise GeneratorError(
            f"JSON 6902 patch turned {resource.describe()} into something that is not an object",
            patch.origin,
            "patch fields of the object, not the whole document",
        )
    resource.body = body
