"""[Manifest] → GeneratorError for the first object whose apiVersion, kind, name, namespace,
labels or annotations the Kubernetes API would refuse; checked before any of them becomes a
file name, a schema path or a lookup key."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from generator.errors import GeneratorError
from generator.model import Manifest
from generator.paths import is_api_version, is_kind

# metadata.name: a DNS subdomain for almost every kind (custom resources included)
DNS_SUBDOMAIN = re.compile(r"[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?")
DNS_LABEL = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?")
# RBAC names are path segments: `system:aggregate-to-admin` is a valid ClusterRole name.
PATH_SEGMENT_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
MAX_NAME = 253


def check_objects(manifests: Iterable[Manifest], label: str) -> None:
    for manifest in manifests:
        problem = _problem(manifest.body)
        if problem is not None:
            message, hint = problem
            raise GeneratorError(f"{label}: {message}", manifest.origin, hint)


def _problem(body: Any) -> tuple[str, str] | None:
    api_version, kind = body.get("apiVersion"), body.get("kind")
    # one definition with the schema lookup (generator.paths), which builds paths from them
    if not isinstance(api_version, str) or not is_api_version(api_version):
        return (
            f"apiVersion {_shown(api_version)} is not a Kubernetes API version",
            "write <group>/<version> (apps/v1) or a core version (v1)",
        )
    if not isinstance(kind, str) or not is_kind(kind):
        return (
            f"kind {_shown(kind)} is not a Kubernetes kind",
            "write the kind in CamelCase letters and digits, at most 63 characters",
        )
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return (f"{kind}: metadata is not a mapping", "write metadata as a mapping with a name")
    name = metadata.get("name")
    what = f"{kind} {_shown(name)}"
    if kind in PATH_SEGMENT_KINDS:
        valid = (
            isinstance(name, str)
            and 0 < len(name) <= MAX_NAME
            and name not in (".", "..")
            and not any(c in name for c in "/%")
        )
        rule = "a name without '/' or '%', at most 253 characters"
    else:
        valid = isinstance(name, str) and DNS_SUBDOMAIN.fullmatch(name) is not None
        rule = (
            "lower-case letters, digits, '-' and '.', starting and ending with a letter or "
            "digit, at most 253 characters"
        )
    if not valid:
        return (f"{what}: metadata.name is not a valid Kubernetes name", f"use {rule}")
    namespace = metadata.get("namespace")
    if namespace is not None and not (
        isinstance(namespace, str) and DNS_LABEL.fullmatch(namespace)
    ):
        return (
            f"{what}: metadata.namespace {_shown(namespace)} is not a valid namespace name",
            "use lower-case letters, digits and '-', at most 63 characters",
        )
    for field in ("labels", "annotations"):
        value = metadata.get(field)
        if value is not None and not isinstance(value, dict):
            return (
                f"{what}: metadata.{field} is not a mapping",
                f"write metadata.{field} as key: value pairs",
            )
    return None


def _shown(value: Any) -> str:
    if not isinstance(value, str):
        return "(missing)" if value is None else f"{type(value).__name__} {value!r}"[:60]
    return repr(value) if len(value) <= 60 else f"'{value[:40]}...' ({len(value)} characters)"
