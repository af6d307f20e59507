"""Python functions that Jsonnet components call through std.native (YAML, hashes, semver).

Both engines register the same table. The C++ engine passes only primitives to native
functions, so objects arrive as JSON text; rjsonnet hands numbers over as floats.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from generator.yamlio import ManifestLoader


def parse_yaml(text: str) -> Any:
    """One document → its value; several → an array (like std.parseYaml)."""
    try:
        documents = list(yaml.load_all(text, Loader=ManifestLoader))
    except yaml.YAMLError as e:
        raise ValueError(f"parseYaml: {' '.join(str(e).split())}") from e
    return documents[0] if len(documents) == 1 else documents


def sha256(text: str) -> str:
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    # rjsonnet hands numbers over as floats and C++ manifests 0.1 as 0.10000000000000001;
    # normalising here keeps the hash identical under both engines.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def stable_hash(value: Any) -> str:
    """SHA-256 of canonical JSON. A string is read as JSON text (what the C++ engine must pass,
    since it hands only primitives to native functions); rjsonnet may pass the object itself."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as e:
            raise ValueError(
                "stableHash: expected an object or its JSON text (std.manifestJsonMinified(x))"
            ) from e
    canonical = json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def canonical_json(text: str) -> str:
    """JSON text → compact JSON with sorted keys and shortest round-trip numbers."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValueError("canonicalJson: expected JSON text (std.manifestJsonMinified(x))") from e
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_yaml(text: str) -> str:
    """JSON text → block-style YAML with sorted keys (YAML 1.1 words quoted)."""
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValueError("canonicalYaml: expected JSON text (std.manifestJsonMinified(x))") from e
    dumped: str = yaml.safe_dump(
        _canonical(value), sort_keys=True, default_flow_style=False, allow_unicode=True, width=2**16
    )
    return dumped


_SEMVER = re.compile(
    r"v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?"
)


def _semver_key(version: str) -> tuple[Any, ...]:
    match = _SEMVER.fullmatch(str(version).strip())
    if not match:
        raise ValueError(f"semverCompare: '{version}' is not a semantic version like 1.31.0")
    core = tuple(int(match.group(g) or 0) for g in ("major", "minor", "patch"))
    pre = match.group("pre")
    if not pre:
        return (*core, 1, ())  # a release sorts after every pre-release of itself
    fields = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (*core, 0, fields)


def semver_compare(a: str, b: str) -> int:
    """-1, 0 or 1 by semantic-version precedence; build metadata is ignored."""
    left, right = _semver_key(a), _semver_key(b)
    return (left > right) - (left < right)


NATIVE_CALLBACKS: dict[str, tuple[tuple[str, ...], Callable[..., Any]]] = {
    "parseYaml": (("text",), parse_yaml),
    "sha256": (("text",), sha256),
    "stableHash": (("value",), stable_hash),
    "semverCompare": (("a", "b"), semver_compare),
    "canonicalJson": (("text",), canonical_json),
    "canonicalYaml": (("text",), canonical_yaml),
}
