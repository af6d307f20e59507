"""Rendered manifests → [Finding]: kubeconform-compatible schema validation (with the
schemas of CRDs rendered in the same cluster). The platform policies are generator.policies.

The names below load their modules on first use, so that `generator --help` and every other
command do not pay for jsonschema-rs and the schema machinery at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.validate.cluster import validate_cluster

__all__ = ["validate_cluster"]


def __getattr__(name: str) -> Any:
    if name == "validate_cluster":
        from generator.validate.cluster import validate_cluster

        return validate_cluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
