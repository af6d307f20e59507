"""Python values → JSON text as Go's encoding/json writes it, for bytes that must equal a Go
tool's: Kustomize's generator name hashes and kubeconform's json output."""

from __future__ import annotations

import json
from typing import Any

# Go's encoder escapes HTML-significant characters and the JavaScript line separators.
_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def go_json(value: Any, *, indent: int | None = None, sort_keys: bool = False) -> str:
    """json.Marshal (compact) or, with indent, json.MarshalIndent."""
    separators = (",", ":") if indent is None else (",", ": ")
    text = json.dumps(
        value, indent=indent, sort_keys=sort_keys, separators=separators, ensure_ascii=False
    )
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text
