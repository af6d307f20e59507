"""configMapGenerator / secretGenerator entries → ConfigMap and Secret resources, and the
content hash Kustomize appends to their names."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from generator.gojson import go_json
from generator.overlays.kustomization import Kustomization
from generator.overlays.resources import Resource, relpath
from generator.paths import read_bytes

_HASH_ALPHABET = str.maketrans("013ae", "ghkmt")


def content_hash(resource: Resource) -> str:
    """Kustomize's name suffix: sha256 over kind, type and data (binaryData, stringData) only
    (behaviour 10)."""
    body = resource.body
    data = body.get("data") or {}
    if resource.kind == "ConfigMap":
        encoded: dict[str, Any] = {"kind": "ConfigMap", "name": "", "data": data or ""}
        if isinstance(body.get("binaryData"), dict):
            encoded["binaryData"] = body["binaryData"]
    else:
        encoded = {"kind": "Secret", "type": body.get("type", ""), "name": "", "data": data}
        # a patch may add stringData; Kustomize hashes it as written
        if isinstance(body.get("stringData"), dict):
            encoded["stringData"] = body["stringData"]
    # the hash must see the bytes Go's encoding/json writes, HTML escapes included
    text = go_json(encoded, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return digest[:10].translate(_HASH_ALPHABET)


def encode_base64(raw: bytes) -> str:
    """Base64 as Kustomize writes it: wrapped every 70 characters once that long (behaviour 11)."""
    text = base64.b64encode(raw).decode("ascii")
    if len(text) < 70:
        return text
    return "".join(text[i : i + 70] + "\n" for i in range(0, len(text), 70))


def generate(
    k: Kustomization, field: str, index: int, entry: Mapping[str, Any], root: Path
) -> Resource:
    kind = "ConfigMap" if field == "configMapGenerator" else "Secret"
    pairs = _collect(k, field, index, entry, root)
    body: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": entry["name"]}}
    if entry.get("namespace"):
        body["metadata"]["namespace"] = entry["namespace"]
    if kind == "Secret":
        body["type"] = entry.get("type") or "Opaque"
        body["data"] = {key: encode_base64(value) for key, value in pairs.items()}
    else:
        data: dict[str, str] = {}
        binary: dict[str, str] = {}
        for key, value in pairs.items():
            try:
                data[key] = value.decode("utf-8")
            except UnicodeDecodeError:
                binary[key] = encode_base64(value)
        if data:
            body["data"] = data
        if binary:
            body["binaryData"] = binary
    options = _options(k.get("generatorOptions") or {}, entry.get("options") or {})
    if options.get("labels"):
        body["metadata"]["labels"] = dict(options["labels"])
    if options.get("annotations"):
        body["metadata"]["annotations"] = dict(options["annotations"])
    if options.get("immutable"):
        body["immutable"] = True
    resource = Resource(body, k.entry_line(field, str(entry["name"])))
    resource.generator = kind
    resource.needs_hash = not options.get("disableNameSuffixHash", False)
    return resource


def _options(global_options: Mapping[str, Any], local: Mapping[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {
        "labels": {**(global_options.get("labels") or {}), **(local.get("labels") or {})},
        "annotations": {
            **(global_options.get("annotations") or {}),
            **(local.get("annotations") or {}),
        },
    }
    # A global disableNameSuffixHash cannot be switched back per generator (behaviour 10).
    merged["disableNameSuffixHash"] = bool(global_options.get("disableNameSuffixHash")) or bool(
        local.get("disableNameSuffixHash")
    )
    merged["immutable"] = bool(global_options.get("immutable")) or bool(local.get("immutable"))
    return merged


def _collect(
    k: Kustomization, field: str, index: int, entry: Mapping[str, Any], root: Path
) -> dict[str, bytes]:
    pairs: dict[str, bytes] = {}
    name = entry["name"]

    def put(key: str, value: bytes, where: list[str | int]) -> None:
        if key in pairs:
            raise k.error(
                f"{field} '{name}' repeats the key '{key}'",
                [field, index, *where],
                "every key may come from only one literal, file or env line",
            )
        pairs[key] = value

    envs = list(entry.get("envs") or [])
    if isinstance(entry.get("env"), str):
        envs.append(entry["env"])
    for i, source in enumerate(envs):
        path = k.local_file(source, [field, index, "envs", i], "env file", root)
        for key, value in _env_lines(k, path, [field, index, "envs", i], root):
            put(key, value.encode("utf-8"), ["envs", i])
    for i, literal in enumerate(entry.get("literals") or []):
        key, sep, value = literal.partition("=")
        if not sep or not key:
            # The literal may be nothing but a value: name its position, never its text.
            raise k.error(
                f"{field} '{name}': literal {i + 1} is not of the form key=value (not "
                "quoted: it may hold a value)",
                [field, index, "literals", i],
                "write literals as KEY=VALUE",
            )
        # One pair of surrounding quotes is stripped from literals, never from env files.
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        put(key, value.encode("utf-8"), ["literals", i])
    for i, source in enumerate(entry.get("files") or []):
        key, sep, file = source.partition("=")
        if not sep:
            key, file = Path(source).name, source
        elif not key or not file:
            raise k.error(
                f"file source '{source}' is not of the form [key=]path",
                [field, index, "files", i],
                "write files as path or key=path",
            )
        path = k.local_file(file, [field, index, "files", i], "file", root)
        put(key, read_bytes(path, root, "file", file, k.origin(field, index, "files", i)), ["files", i])
    return pairs


def _env_lines(
    k: Kustomization, path: Path, where: list[str | int], root: Path
) -> list[tuple[str, str]]:
    raw = read_bytes(path, root, "env file", str(relpath(path, root)), k.origin(*where))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise k.error(
            f"env file '{relpath(path, root)}' is not UTF-8 text",
            where,
            "use 'files' for binary content",
        ) from None
    out: list[tuple[str, str]] = []
    for number, line in enumerate(text.removeprefix("\ufeff").splitlines(), 1):
        line = line.lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise k.error(
                f"{relpath(path, root)}:{number}: the line has no '=' (not quoted: it may "
                "hold a value)",
                where,
                "write KEY=VALUE; values are never taken from the environment here",
            )
        if not key or " " in key:
            raise k.error(
                f"{relpath(path, root)}:{number}: '{key}' is not a valid key",
                where,
                "keys may not be empty or contain spaces",
            )
        out.append((key, value))
    return out
