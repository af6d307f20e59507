"""A kustomization's `configurations` files → the field specs they add to Kustomize's built-in
tables (name references, prefixes, namespaces, labels, annotations, vars, images, replicas)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from functools import partial
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError
from generator.model import Origin
from generator.overlays.fieldspecs import FieldSpec, spec
from generator.overlays.kustomization import Kustomization, closest, position_in
from generator.overlays.names import NAME_REFERENCES, Referral
from generator.overlays.resources import parse_documents, relpath
from generator.paths import read_text

# kustomize's TransformerConfig fields, as written in a configurations file
SECTIONS = {
    "nameReference": "name_references",
    "namePrefix": "name_prefix",
    "nameSuffix": "name_suffix",
    "namespace": "namespace",
    "commonLabels": "common_labels",
    "templateLabels": "template_labels",
    "commonAnnotations": "common_annotations",
    "varReference": "var_references",
    "images": "images",
    "replicas": "replicas",
}
_SPEC_KEYS = ("group", "version", "kind", "path", "create")
_REFERRAL_KEYS = ("group", "version", "kind", "fieldSpecs")


@dataclass(frozen=True, slots=True)
class Configuration:
    """What `configurations` add to the built-in tables; empty for most builds."""

    name_references: tuple[Referral, ...] = ()
    name_prefix: tuple[FieldSpec, ...] = ()
    name_suffix: tuple[FieldSpec, ...] = ()
    namespace: tuple[FieldSpec, ...] = ()
    common_labels: tuple[FieldSpec, ...] = ()
    template_labels: tuple[FieldSpec, ...] = ()
    common_annotations: tuple[FieldSpec, ...] = ()
    var_references: tuple[FieldSpec, ...] = ()
    images: tuple[FieldSpec, ...] = ()
    replicas: tuple[FieldSpec, ...] = ()

    def merge(self, other: Configuration, where: Callable[[], Origin]) -> Configuration:
        """Kustomize's TransformerConfig.Merge: field specs are appended once; the same field
        with a different `create` is a conflict; name references of one kind share a list."""
        if other == EMPTY:
            return self
        merged: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if f.name == "name_references":
                merged[f.name] = _merge_referrals(mine, theirs, where)
            else:
                merged[f.name] = _merge_specs(mine, theirs, f.name, where)
        return replace(self, **merged)


EMPTY = Configuration()


def _merge_specs(
    mine: tuple[FieldSpec, ...],
    theirs: tuple[FieldSpec, ...],
    section: str,
    where: Callable[[], Origin],
) -> tuple[FieldSpec, ...]:
    out = list(mine)
    for fs in theirs:
        same = next((m for m in out if m[:4] == fs[:4]), None)
        if same is None:
            out.append(fs)
        elif same.create != fs.create:
            name = next(k for k, v in SECTIONS.items() if v == section)
            raise GeneratorError(
                f"conflicting field specs in '{name}': '{'/'.join(fs.path)}' of kind"
                f" '{fs.kind or '*'}' is given with create: {str(same.create).lower()} and with"
                f" create: {str(fs.create).lower()}",
                where(),
                "give the field spec once, with one value of 'create'",
            )
    return tuple(out)


def _merge_referrals(
    mine: tuple[Referral, ...], theirs: tuple[Referral, ...], where: Callable[[], Origin]
) -> tuple[Referral, ...]:
    out = list(mine)
    for referral in theirs:
        for i, existing in enumerate(out):
            if existing[:3] == referral[:3]:
                specs = _merge_specs(
                    existing.referrers, referral.referrers, "name_references", where
                )
                out[i] = existing._replace(referrers=specs)
                break
        else:
            out.append(referral)
    return tuple(out)


Locate = Callable[..., Origin]  # key path in the file → its position


def load_configurations(k: Kustomization, root: Path) -> Configuration:
    """The configurations a kustomization lists, merged in order."""
    config = Configuration()
    for i, entry in enumerate(k.get("configurations") or []):
        path = k.local_file(str(entry), ["configurations", i], "configurations file", root)
        display = relpath(path, root)
        where = k.origin("configurations", i)
        text = read_text(path, root, "configurations file", str(entry), where, rel=display)
        documents = parse_documents(text, display)
        for document, line in documents:
            # positions of keys are looked up (slowly) only for a message, and only in the
            # usual single-document file
            locate: Locate = (
                partial(_locate, text, str(display))
                if len(documents) == 1
                else partial(_first_line, Origin(display, line))
            )
            config = config.merge(_parse(document, locate), locate)
    return config


def _locate(text: str, display: str, *key_path: str | int) -> Origin:
    return position_in(text, display, key_path)


def _first_line(origin: Origin, *key_path: str | int) -> Origin:
    return origin


def _parse(document: Any, at: Locate) -> Configuration:
    if not isinstance(document, dict):
        raise GeneratorError(
            "a configurations file must be a mapping of transformer names to field specs",
            at(),
            f"use the sections {', '.join(SECTIONS)}",
        )
    values: dict[str, Any] = {}
    for key, entries in document.items():
        if key not in SECTIONS:
            close = closest(str(key), list(SECTIONS))
            raise GeneratorError(
                f"unknown section '{key}' in configurations file",
                at(key),
                f"did you mean '{close}'?" if close else f"use one of: {', '.join(SECTIONS)}",
            )
        items = _list(entries, at, key)
        if key == "nameReference":
            values[SECTIONS[key]] = tuple(_referral(e, at, key, i) for i, e in enumerate(items))
        else:
            values[SECTIONS[key]] = tuple(
                _field_spec(e, str(key), at, key, i) for i, e in enumerate(items)
            )
    return Configuration(**values)


def _list(value: Any, at: Locate, *key_path: str | int) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise GeneratorError(
            f"'{key_path[-1]}' must be a list of mappings",
            at(*key_path),
            "write each entry as {kind: ..., path: ...}",
        )
    return value


def _check_keys(
    entry: Mapping[str, Any], allowed: Iterable[str], what: str, at: Locate, *key_path: str | int
) -> None:
    allowed = tuple(allowed)
    for key in entry:
        if key not in allowed:
            close = closest(str(key), list(allowed))
            guess = f"did you mean '{close}'? " if close else ""
            raise GeneratorError(
                f"unknown field '{key}' in a '{what}' entry",
                at(*key_path, key),
                f"{guess}allowed here: {', '.join(allowed)}",
            )


def _field_spec(
    entry: Mapping[str, Any], what: str, at: Locate, *key_path: str | int
) -> FieldSpec:
    _check_keys(entry, _SPEC_KEYS, what, at, *key_path)
    if not isinstance(entry.get("path"), str) or not entry["path"]:
        raise GeneratorError(
            f"a '{what}' field spec needs a 'path'",
            at(*key_path),
            "write e.g. {kind: Certificate, path: spec/secretName}",
        )
    return spec(
        entry["path"],
        entry.get("kind"),
        entry.get("group"),
        version=entry.get("version"),
        create=bool(entry.get("create", False)),
    )


def _referral(entry: Mapping[str, Any], at: Locate, *key_path: str | int) -> Referral:
    _check_keys(entry, _REFERRAL_KEYS, "nameReference", at, *key_path)
    if not isinstance(entry.get("kind"), str):
        raise GeneratorError(
            "a 'nameReference' entry needs the 'kind' that is referred to",
            at(*key_path),
            "write e.g. {kind: Secret, version: v1, fieldSpecs: [{kind: Certificate, path: ...}]}",
        )
    referrers = _list(entry.get("fieldSpecs"), at, *key_path, "fieldSpecs")
    return Referral(
        entry.get("group"),
        entry.get("version"),
        entry["kind"],
        tuple(
            _field_spec(r, "nameReference", at, *key_path, "fieldSpecs", i)
            for i, r in enumerate(referrers)
        ),
    )


def merged_name_references(
    config: Configuration, where: Callable[[], Origin]
) -> tuple[Referral, ...]:
    """The built-in name-reference table with the configured referrals merged in."""
    if not config.name_references:
        return NAME_REFERENCES
    return _merge_referrals(NAME_REFERENCES, config.name_references, where)
