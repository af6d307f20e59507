"""A wanted object and a live object → the field paths where they differ.

By default only fields the wanted object sets are compared, so fields the API server
defaults or maintains (status, managedFields, a Deployment's strategy) never count as drift.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from generator.secrets import (
    LAST_APPLIED,
    SECRET_FIELDS,
    carries_secret,
    is_secret,
    secret_values,
)

ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "(absent)"})()
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Maintained by the API server whatever rendered/ says.
_SERVER_METADATA = frozenset(
    {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink"}
)


# Maps whose values are resource quantities, which the API server rewrites in canonical form
# (cpu: 0.5 → "500m", memory: 1 → "1"): resources.limits, ResourceQuota hard, LimitRange ...
_QUANTITY_MAPS = frozenset(
    {"limits", "requests", "hard", "default", "defaultRequest", "max", "min", "capacity"}
)
_QUANTITY_KEYS = frozenset({"storage", "sizeLimit"})
_QUANTITY = re.compile(
    r"([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?)"
)
_SUFFIX = {
    "": Decimal(1),
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


@dataclass(frozen=True, slots=True)
class FieldDiff:
    path: str  # spec.template.spec.containers[0].image, metadata.labels["app.kubernetes.io/name"]
    wanted: Any  # ABSENT when only the live object has it
    live: Any  # ABSENT when the live object lacks it
    secret: bool = False  # a Secret's data: the values must never be shown


def differences(
    wanted: Mapping[str, Any], live: Mapping[str, Any], *, kind: str = "", exact: bool = False
) -> list[FieldDiff]:
    """Where live differs from wanted; with exact, fields only live has count too."""
    secret = is_secret({"kind": kind or wanted.get("kind")})
    if secret and wanted.get("stringData"):
        wanted = _string_data_as_data(wanted)
    found: list[FieldDiff] = []
    _walk("", wanted, live, found, exact)
    if secret or carries_secret(wanted) or carries_secret(live):
        # generator.secrets: values, List items and kubectl's last-applied copy are hidden,
        # also where a whole mapping holding one differs (metadata.annotations, say).
        values = [_text(v.value) for side in (wanted, live) for v in secret_values(side)]
        return [
            FieldDiff(d.path, d.wanted, d.live, True) if _holds_values(d, values) else d
            for d in found
        ]
    return found


def _holds_values(diff: FieldDiff, values: list[str]) -> bool:
    if diff.path.startswith((*SECRET_FIELDS, "items")) or LAST_APPLIED in diff.path:
        return True
    shown = _text(diff.wanted) + "\0" + _text(diff.live)
    return LAST_APPLIED in shown or any(value in shown for value in values if value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _walk(
    path: str, want: Any, have: Any, found: list[FieldDiff], exact: bool, parent: str = ""
) -> None:
    if isinstance(want, Mapping):
        if not isinstance(have, Mapping):
            found.append(FieldDiff(path, want, have))
            return
        for key, value in want.items():
            if (path == "" and key == "status") or (path == "metadata" and key in _SERVER_METADATA):
                continue
            child = _join(path, key)
            if key not in have:
                if not _empty(value):
                    found.append(FieldDiff(child, value, ABSENT))
                continue
            quantity = str(key) in _QUANTITY_KEYS or parent in _QUANTITY_MAPS
            if (
                quantity
                and _quantity(value) is not None
                and _quantity(value) == _quantity(have[key])
            ):
                continue
            _walk(child, value, have[key], found, exact, str(key))
        if exact:
            for key in have.keys() - want.keys():
                if not _empty(have[key]):
                    found.append(FieldDiff(_join(path, key), ABSENT, have[key]))
    elif isinstance(want, list):
        if not isinstance(have, list) or len(want) != len(have):
            found.append(FieldDiff(path, want, have))
            return
        for index, (w, h) in enumerate(zip(want, have, strict=True)):
            _walk(f"{path}[{index}]", w, h, found, exact)
    elif not _same(want, have):
        found.append(FieldDiff(path, want, have))


def _same(want: Any, have: Any) -> bool:
    if isinstance(want, bool) or isinstance(have, bool):
        return type(want) is type(have) and want == have
    if isinstance(want, int | float) and isinstance(have, int | float):
        return want == have
    return bool(want == have)


def _quantity(value: Any) -> Decimal | None:
    """A Kubernetes quantity ('500m', '1Gi', 2, 0.5) as a number, or None."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    match = _QUANTITY.fullmatch(str(value).strip())
    if not match:
        return None
    try:
        return Decimal(match[1]) * _SUFFIX[match[2]]
    except InvalidOperation:  # pragma: no cover - the pattern only admits valid numbers
        return None


def _empty(value: Any) -> bool:
    return value is None or value == {} or value == [] or value == ""


def _join(path: str, key: Any) -> str:
    key = str(key)
    if _PLAIN_KEY.fullmatch(key):
        return f"{path}.{key}" if path else key
    return f'{path}["{key}"]'


def _string_data_as_data(secret: Mapping[str, Any]) -> Mapping[str, Any]:
    """The API server folds stringData into base64 data; compare the way it stores it."""
    data = dict(secret.get("data") or {})
    for key, value in (secret.get("stringData") or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    return {k: v for k, v in secret.items() if k != "stringData"} | {"data": data}
