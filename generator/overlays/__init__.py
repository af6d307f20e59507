"""Kustomize semantics in Python: kustomization directories (and rendered units) → manifests."""

from __future__ import annotations

from pathlib import Path

from generator.model import Manifest
from generator.overlays.build import build
from generator.overlays.scopes import apply_overlays
from generator.yamlio import dump_stream


def kustomize(directory: Path, root: Path, warnings: list[str] | None = None) -> list[Manifest]:
    """What `kustomize build directory` outputs, as manifests in output order."""
    return [Manifest(r.body, r.origin) for r in build(directory, root, warnings=warnings)]


def kustomize_stream(directory: Path, root: Path, warnings: list[str] | None = None) -> str:
    """The `---`-separated YAML stream for `generator kustomize DIR`."""
    return dump_stream([m.body for m in kustomize(directory, root, warnings)])


__all__ = ["apply_overlays", "kustomize", "kustomize_stream"]
