"""A kustomization directory → a validated Kustomization record; unknown or unsupported
fields are errors, never ignored."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.resources import parse_documents, relpath
from generator.paths import read_text
from generator.yamlio import load_with_positions, position_of

FILENAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

# Fields of kustomize's Kustomization type that this builder does not implement. They are
# refused with a pointer to docs/overlays.md rather than silently ignored.
UNSUPPORTED = {
    "transformers": "plugins are not supported; use patches or replacements",
    "generators": "plugins are not supported; use configMapGenerator or secretGenerator",
    "validators": "plugins are not supported",
    "helmCharts": "render charts through the catalog (a helm component) instead",
    "helmGlobals": "render charts through the catalog (a helm component) instead",
    "helmChartInflationGenerator": "render charts through the catalog instead",
    "openapi": "custom OpenAPI schemas are not supported; use JSON 6902 patches for lists",
    "crds": "custom OpenAPI schemas are not supported; use JSON 6902 patches for lists",
    "inventory": "inventory objects are not supported",
    "buildMetadata": "buildMetadata is not supported; remove it",
    "imageTags": "use 'images' instead",
}

FIELDS = {
    "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace",
    "namePrefix", "nameSuffix", "commonLabels", "labels", "commonAnnotations", "images",
    "replicas", "patches", "patchesStrategicMerge", "patchesJson6902", "configMapGenerator",
    "secretGenerator", "generatorOptions", "replacements", "sortOptions", "vars",
    "configurations",
}  # fmt: skip

# allowNoMatch is ours: Kustomize reads options as a map of flags and ignores it
PATCH_OPTIONS = {"allowNameChange", "allowKindChange", "allowNoMatch"}

DEPRECATED = {
    "commonLabels": "use 'labels' with includeSelectors: true",
    "bases": "list the directories under 'resources'",
    "patchesStrategicMerge": "use 'patches'",
    "patchesJson6902": "use 'patches'",
    "vars": "use 'replacements'",
}


@dataclass(frozen=True, slots=True)
class Kustomization:
    """One kustomization file: where it is, what it says and how to point into it."""

    dir: Path
    file: Path
    display: PurePosixPath  # the file as users see it in messages
    kind: str  # Kustomization or Component
    fields: Mapping[str, Any]
    text: str

    def origin(self, *key_path: str | int) -> Origin:
        return position_in(self.text, str(self.display), tuple(key_path))

    def entry_line(self, field: str, name: str) -> Origin:
        """Where a named list entry under a top-level field starts, found without a slow
        positioned parse (generated objects need an origin even when nothing goes wrong)."""
        lines = self.text.splitlines()
        start = next((i for i, line in enumerate(lines) if line.startswith(f"{field}:")), None)
        if start is None:
            return Origin(self.display)
        wanted = re.compile(rf"^\s*-?\s*name:\s*['\"]?{re.escape(name)}['\"]?\s*$")
        for i in range(start + 1, len(lines)):
            if lines[i][:1] not in ("", " ", "-", "#"):
                break
            if wanted.match(lines[i]):
                return Origin(self.display, i + 1)
        return Origin(self.display, start + 1)

    def local_file(self, entry: str, key_path: Sequence[str | int], what: str, root: Path) -> Path:
        """A file the kustomization names: it must exist in or below the kustomization's folder."""
        path = (self.dir / entry).resolve()
        if not path.is_file():
            raise self.error(
                f"{what} '{entry}' does not exist",
                key_path,
                f"create '{relpath(self.dir / entry, root)}' or fix the path (relative to the"
                " kustomization)",
            )
        if not path.is_relative_to(self.dir.resolve()):
            raise self.error(
                f"{what} '{entry}' is outside the kustomization directory",
                key_path,
                "Kustomize only loads files in or below the kustomization's own directory;"
                " move the file there",
            )
        return path

    def error(self, message: str, key_path: Sequence[str | int], hint: str) -> GeneratorError:
        return GeneratorError(message, self.origin(*key_path), hint)

    def get(self, key: str, default: Any = None) -> Any:
        return self.fields.get(key, default)


def position_in(text: str, display: str, key_path: tuple[str | int, ...]) -> Origin:
    """Where a key path of the file's first document is (parsed again, with positions)."""
    document = _positioned(text, display)
    path = PurePosixPath(display)
    return (
        position_of(document.marks, key_path, path) if document is not None else Origin(path, 1, 1)
    )


@lru_cache(maxsize=64)
def _positioned(text: str, display: str) -> Any:
    """The file parsed once more with positions (only messages and origins need them)."""
    try:
        documents = load_with_positions(text, PurePosixPath(display))
    except GeneratorError:  # pragma: no cover - the file already parsed with libyaml
        return None
    return documents[0] if documents else None


def misspelt_file(directory: Path) -> str | None:
    """A file of the directory that looks like a kustomization under a name Kustomize does not
    read (`kustomisation.yaml`, `Kustomization.yml`): such a folder would otherwise be skipped."""
    names = sorted(p.name for p in directory.iterdir() if p.is_file()) if directory.is_dir() else []
    for name in names:
        stem = name.lower().removesuffix(".yaml").removesuffix(".yml")
        if name not in FILENAMES and difflib.get_close_matches(stem, ["kustomization"], cutoff=0.8):
            return name
    return None


def misspelt_error(directory: Path, shown: PurePosixPath) -> GeneratorError | None:
    """The error for a folder whose kustomization file has a name Kustomize does not read."""
    wrong = misspelt_file(directory)
    if wrong is None:
        return None
    return GeneratorError(
        f"'{wrong}' is not a kustomization file name, so '{shown}' has no kustomization",
        Origin(shown / wrong, 1),
        f"Kustomize reads only {', '.join(FILENAMES)}; did you mean 'kustomization.yaml'?",
    )


def find_file(directory: Path, root: Path) -> Path | None:
    found = [directory / name for name in FILENAMES if (directory / name).is_file()]
    if len(found) > 1:
        shown = relpath(directory, root)
        raise GeneratorError(
            f"found multiple kustomization files in '{shown}'",
            Origin(shown),
            f"keep only one of: {', '.join(FILENAMES)}",
        )
    return found[0] if found else None


def load_kustomization(directory: Path, root: Path, *, warnings: list[str]) -> Kustomization:
    file = find_file(directory, root)
    display_dir = relpath(directory, root)
    if file is None:
        raise misspelt_error(directory, display_dir) or GeneratorError(
            f"no kustomization file in '{display_dir}'",
            Origin(display_dir),
            f"add a kustomization.yaml to '{display_dir}' or list its files one by one",
        )
    display = relpath(file.parent, root) / file.name  # the name as written, not its target
    # Kustomize skips a UTF-8 byte-order mark; left in, it would join the first key
    text = read_text(file, root, "kustomization file", str(display), Origin(display), rel=display)
    text = text.removeprefix("\ufeff")
    documents = parse_documents(text, display)
    data = documents[0][0] if documents else {}
    if len(documents) > 1:
        raise GeneratorError(
            "a kustomization file must hold exactly one YAML document",
            Origin(display, documents[1][1]),
            "remove the extra '---' documents",
        )
    if not isinstance(data, dict):
        raise GeneratorError(
            "a kustomization must be a YAML mapping",
            Origin(display, 1, 1),
            "write the kustomization as 'key: value' fields (resources, patches, ...)",
        )
    k = Kustomization(
        directory, file, display, str(data.get("kind") or "Kustomization"), data, text
    )
    _validate(k, warnings)
    return k


def _validate(k: Kustomization, warnings: list[str]) -> None:
    data = k.fields
    for key in data:
        if key in UNSUPPORTED:
            raise k.error(f"field '{key}' is not supported", [key], UNSUPPORTED[key])
        if key not in FIELDS:
            close = closest(str(key), [*FIELDS, *UNSUPPORTED])
            raise k.error(
                f"unknown field '{key}' in kustomization",
                [key],
                f"did you mean '{close}'?"
                if close
                else "check the spelling against the Kustomization reference in docs/overlays.md",
            )
        if key in DEPRECATED:
            warnings.append(f"{k.origin(key)}: '{key}' is deprecated; {DEPRECATED[key]}")
    if k.kind not in ("Kustomization", "Component"):
        raise k.error(f"unknown kind '{k.kind}'", ["kind"], "use kind Kustomization or Component")
    expected_api = {
        "Kustomization": "kustomize.config.k8s.io/v1beta1",
        "Component": "kustomize.config.k8s.io/v1alpha1",
    }[k.kind]
    api = data.get("apiVersion")
    if api is not None and api != expected_api:
        raise k.error(
            f"apiVersion '{api}' does not match kind '{k.kind}'",
            ["apiVersion"],
            f"use apiVersion {expected_api}",
        )
    for key in ("resources", "bases", "components", "patchesStrategicMerge", "configurations"):
        _list_of(k, key, str)
    for key in ("namespace", "namePrefix", "nameSuffix"):
        if key in data and not isinstance(data[key], str):
            raise k.error(f"'{key}' must be a string", [key], f"write {key}: <text>")
    for key in ("commonLabels", "commonAnnotations"):
        _string_map(k, [key])
    for i, entry in enumerate(_list_of(k, "labels", dict)):
        _keys(k, ["labels", i], entry, {"pairs", "includeSelectors", "includeTemplates", "fields"})
        _string_map(k, ["labels", i, "pairs"])
    for i, entry in enumerate(_list_of(k, "images", dict)):
        _keys(k, ["images", i], entry, {"name", "newName", "newTag", "digest"})
        for key, value in entry.items():
            if not isinstance(value, str):
                raise k.error(
                    f"images[{i}].{key} must be a string",
                    ["images", i, key],
                    'quote tags that look like numbers, e.g. newTag: "1.20"',
                )
    for i, entry in enumerate(_list_of(k, "replicas", dict)):
        _keys(k, ["replicas", i], entry, {"name", "count"})
        if not isinstance(entry.get("name"), str) or type(entry.get("count")) is not int:
            raise k.error(
                "each replicas entry needs a 'name' and an integer 'count'",
                ["replicas", i],
                "write e.g. {name: web, count: 3}",
            )
    for i, entry in enumerate(_list_of(k, "patches", dict)):
        _keys(k, ["patches", i], entry, {"path", "patch", "target", "options"})
        _one_source(k, ["patches", i], entry)
        if isinstance(entry.get("options"), dict):
            _keys(k, ["patches", i, "options"], entry["options"], PATCH_OPTIONS)
    for i, entry in enumerate(_list_of(k, "patchesJson6902", dict)):
        _keys(k, ["patchesJson6902", i], entry, {"path", "patch", "target"})
        _one_source(k, ["patchesJson6902", i], entry)
        if not isinstance(entry.get("target"), dict):
            raise k.error(
                "a patchesJson6902 entry needs a 'target'",
                ["patchesJson6902", i],
                "add target: {kind: ..., name: ...}",
            )
    generator_keys = {
        "name",
        "namespace",
        "behavior",
        "literals",
        "files",
        "envs",
        "env",
        "options",
    }
    for field, extra in (("configMapGenerator", set()), ("secretGenerator", {"type"})):
        for i, entry in enumerate(_list_of(k, field, dict)):
            _keys(k, [field, i], entry, generator_keys | extra)
            if not isinstance(entry.get("name"), str) or not entry["name"]:
                raise k.error(
                    f"a {field} entry needs a 'name'", [field, i], "add name: <object name>"
                )
            behavior = entry.get("behavior", "create")
            if behavior not in ("create", "merge", "replace"):
                raise k.error(
                    f"unknown behavior '{behavior}'",
                    [field, i, "behavior"],
                    "use one of: create, merge, replace",
                )
            for key in ("literals", "files", "envs"):
                _list_of(k, key, str, [field, i])
            if "options" in entry:
                _options(k, [field, i, "options"], entry["options"])
    if "generatorOptions" in data:
        _options(k, ["generatorOptions"], data["generatorOptions"])
    for i, entry in enumerate(_list_of(k, "replacements", dict)):
        if "path" in entry:
            _keys(k, ["replacements", i], entry, {"path"})
        else:
            _keys(k, ["replacements", i], entry, {"source", "targets"})
    for i, entry in enumerate(_list_of(k, "vars", dict)):
        _keys(k, ["vars", i], entry, {"name", "objref", "fieldref"})
        if not isinstance(entry.get("name"), str) or not isinstance(entry.get("objref"), dict):
            raise k.error(
                "a var needs a 'name' and an 'objref'",
                ["vars", i],
                "write {name: X, objref: {apiVersion: v1, kind: Service, name: db}}, or better"
                " a replacement: vars are deprecated in Kustomize v5",
            )
        _keys(k, ["vars", i, "objref"], entry["objref"], {"apiVersion", "kind", "name", "namespace", "group", "version"})
        if "fieldref" in entry:
            if not isinstance(entry["fieldref"], dict):
                raise k.error("'fieldref' must be a mapping", ["vars", i, "fieldref"], "write fieldref: {fieldpath: metadata.name}")
            _keys(k, ["vars", i, "fieldref"], entry["fieldref"], {"fieldpath"})
    if "sortOptions" in data:
        options = data["sortOptions"]
        if not isinstance(options, dict) or options.get("order") not in ("legacy", "fifo"):
            raise k.error(
                "sortOptions.order must be 'legacy' or 'fifo'",
                ["sortOptions"],
                "write sortOptions: {order: fifo} or {order: legacy}",
            )
        _keys(k, ["sortOptions"], options, {"order", "legacySortOptions"})


def _list_of(k: Kustomization, key: str, kind: type, prefix: Sequence[str | int] = ()) -> list[Any]:
    parent: Any = k.fields
    for step in prefix:
        parent = parent[step]
    value = parent.get(key)
    if value is None:
        return []
    what = "strings" if kind is str else "mappings"
    if not isinstance(value, list) or not all(isinstance(v, kind) for v in value):
        raise k.error(
            f"'{key}' must be a list of {what}", [*prefix, key], f"write {key} as a YAML list"
        )
    return value


def _string_map(k: Kustomization, key_path: list[str | int]) -> None:
    node: Any = k.fields
    for step in key_path:  # callers pass paths through mappings and lists already checked
        node = node[step] if isinstance(step, int) else node.get(step)
        if node is None:
            return
    if not isinstance(node, dict):
        raise k.error(f"'{key_path[-1]}' must be a mapping", key_path, "write key: value pairs")
    for key, value in node.items():
        if not isinstance(value, str):
            raise k.error(
                f"the value of '{key}' must be a string, not {type(value).__name__}",
                [*key_path, key],
                f'quote the value, e.g. {key}: "{_yaml_text(value)}"',
            )


def _yaml_text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def _keys(
    k: Kustomization, key_path: list[str | int], entry: Mapping[str, Any], allowed: set[str]
) -> None:
    for key in entry:
        if key not in allowed:
            close = closest(str(key), sorted(allowed))
            guess = f"did you mean '{close}'? " if close else ""
            raise k.error(
                f"unknown field '{key}'",
                [*key_path, key],
                f"{guess}allowed here: {', '.join(sorted(allowed))}",
            )


def closest(word: str, known: Sequence[str]) -> str | None:
    """The known name a misspelling most likely meant: a case slip first (nameprefix), then
    the nearest spelling."""
    by_case = [name for name in known if name.lower() == word.lower()]
    if by_case:
        return by_case[0]
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return close[0] if close else None


def _one_source(k: Kustomization, key_path: list[str | int], entry: Mapping[str, Any]) -> None:
    if ("path" in entry) == ("patch" in entry):
        raise k.error(
            "a patch needs exactly one of 'path' and 'patch'",
            key_path,
            "point 'path' at a patch file or write the patch inline under 'patch'",
        )


def _options(k: Kustomization, key_path: list[str | int], options: Any) -> None:
    if not isinstance(options, dict):
        raise k.error("generator options must be a mapping", key_path, "write key: value pairs")
    _keys(k, key_path, options, {"labels", "annotations", "disableNameSuffixHash", "immutable"})
    _string_map(k, [*key_path, "labels"])
    _string_map(k, [*key_path, "annotations"])
