"""A Kubernetes object → the Secrets it holds in any spelling, their values and whether SOPS
encrypted them: the one definition the render policy, the SOPS pass-through and diff share.

A Secret is an object whose `kind` is `Secret` in any letter case (whatever its apiVersion: a
misspelt group only makes the API server refuse it after the value reached git), an item of a
`*List` of any kind, or an object kubectl kept in the `last-applied-configuration` annotation.
Its values are everything under `data`, `stringData` and `binaryData`."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.yamlio import load_manifests

SECRET_FIELDS = ("data", "stringData", "binaryData")
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# The recipient groups SOPS writes under `sops:`; an encrypted file names at least one of them.
KEY_PROVIDERS = ("age", "pgp", "kms", "gcp_kms", "azure_kv", "hc_vault")
# Fields every SOPS version since 3.0 writes; without them no SOPS can decrypt the file.
SOPS_FIELDS = ("mac", "lastmodified", "version")


def is_secret(body: Any) -> bool:
    return isinstance(body, Mapping) and str(body.get("kind", "")).strip().lower() == "secret"


def is_applied_as_list(body: Any) -> bool:
    """kubectl applies a `*List` (List, SecretList, ...) item by item: its kind ends in `List`
    and it has `items`. Engines unwrap exactly these into their items."""
    return (
        isinstance(body, Mapping)
        and str(body.get("kind", "")).endswith("List")
        and isinstance(body.get("items"), list)
    )


def is_list(body: Any) -> bool:
    """Anything spelt like a list of objects, in any letter case: checked item by item."""
    return (
        isinstance(body, Mapping)
        and str(body.get("kind", "")).strip().lower().endswith("list")
        and isinstance(body.get("items"), list)
    )


def _annotations(body: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else {}


def last_applied(body: Mapping[str, Any]) -> Any:
    """The object kubectl kept in the annotation (JSON, or YAML written by hand); the raw text
    when it is neither, None when there is no annotation."""
    text = _annotations(body).get(LAST_APPLIED)
    if text is None:
        return None
    try:
        return json.loads(str(text))
    except ValueError:
        pass
    try:
        documents = load_manifests(str(text), PurePosixPath(LAST_APPLIED))
    except GeneratorError:
        return str(text)
    return documents[0] if len(documents) == 1 else str(text)


def carries_secret(body: Any) -> bool:
    """Whether the object is a Secret, lists one, or keeps one in its last-applied annotation;
    an annotation that is not JSON counts, since nothing shows what it holds."""
    if not isinstance(body, Mapping):
        return False
    if is_secret(body):
        return True
    if is_list(body) and any(carries_secret(item) for item in body["items"]):
        return True
    applied = last_applied(body)
    return isinstance(applied, str) or carries_secret(applied)


@dataclass(frozen=True, slots=True)
class SecretValue:
    """One value, placed by the object path to its Secret (`items[0].`), the field (`data`)
    and its key; the key is None where the field as a whole is the value."""

    prefix: str
    field: str
    key: str | None
    value: Any

    @property
    def where(self) -> str:
        tail = f".{self.key}" if self.key is not None else ""
        return f"{self.prefix}{self.field}{tail}"


def secret_values(body: Any, prefix: str = "") -> Iterator[SecretValue]:
    """Every value of every Secret the object holds."""
    if not isinstance(body, Mapping):
        return
    if is_secret(body):
        for field in SECRET_FIELDS:
            values = body.get(field)
            if isinstance(values, Mapping):
                for key, value in values.items():
                    yield SecretValue(prefix, field, str(key), value)
            elif values is not None:  # a hand-made list or string is a value all the same
                yield SecretValue(prefix, field, None, values)
    if is_list(body):
        for index, item in enumerate(body["items"]):
            yield from secret_values(item, f"{prefix}items[{index}].")
    applied = last_applied(body)
    where = f"metadata.annotations[{LAST_APPLIED}]"
    if isinstance(applied, str) and (is_secret(body) or is_list(body)):
        yield SecretValue(prefix, where, None, applied)
    elif applied is not None:
        yield from secret_values(applied, f"{prefix}{where}.")


def sops_problem(body: Mapping[str, Any]) -> str:
    """What keeps the `sops:` block from being the metadata SOPS writes; "" when it is."""
    sops = body.get("sops")
    if not isinstance(sops, Mapping):
        return "it has no 'sops' mapping"
    missing = [f for f in SOPS_FIELDS if not isinstance(sops.get(f), str) or not sops[f]]
    if missing:
        return "its 'sops' block lacks " + ", ".join(f"'{f}'" for f in missing)
    if not is_encrypted_value(sops["mac"]):
        return "its 'sops.mac' is not an ENC[...] value"
    if not any(
        isinstance(sops.get(p), list) and any(isinstance(k, Mapping) and k for k in sops[p])
        for p in KEY_PROVIDERS
    ):
        return "its 'sops' block names no key (" + ", ".join(KEY_PROVIDERS) + ")"
    return ""


def is_sops_encrypted(body: Mapping[str, Any]) -> bool:
    return not sops_problem(body)


def is_encrypted_value(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("ENC[") and value.endswith("]")


def plaintext(body: Mapping[str, Any]) -> list[SecretValue]:
    """The Secret values the object holds in plaintext: all of them, unless the document
    carries real SOPS metadata and the value is an ENC[...] string."""
    encrypted = is_sops_encrypted(body)
    return [
        found
        for found in secret_values(body)
        if not (encrypted and is_encrypted_value(found.value))
    ]


def hidden(body: Mapping[str, Any], mark: Callable[[str], Any]) -> dict[str, Any]:
    """A copy of the object with every Secret value replaced by `mark(where)`, and a
    last-applied annotation that holds a Secret replaced whole: what may be shown."""
    return _hide(body, "", mark)


def _hide(body: Mapping[str, Any], prefix: str, mark: Callable[[str], Any]) -> dict[str, Any]:
    shown = dict(body)
    if is_secret(body):
        for field in SECRET_FIELDS:
            values = body.get(field)
            if isinstance(values, Mapping):
                shown[field] = {key: mark(f"{prefix}{field}.{key}") for key in values}
            elif values is not None:
                shown[field] = mark(f"{prefix}{field}")
    if is_list(body):
        shown["items"] = [
            _hide(item, f"{prefix}items[{i}].", mark) if isinstance(item, Mapping) else item
            for i, item in enumerate(body["items"])
        ]
    annotations = _annotations(body)
    if LAST_APPLIED in annotations and (is_secret(body) or carries_secret(last_applied(body))):
        where = f"{prefix}metadata.annotations[{LAST_APPLIED}]"
        metadata = dict(body["metadata"])
        metadata["annotations"] = {**annotations, LAST_APPLIED: mark(where)}
        shown["metadata"] = metadata
    return shown
