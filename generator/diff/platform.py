"""Catalog files of one revision ([RenderedFile] from catalog/) → what the diff needs to know
about each cluster: environment, production or not, GitOps engine, who deploys it, sync policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import GeneratorError
from generator.model import RenderedFile
from generator.yamlio import load_manifests

PRODUCTION_NAMES = ("prod", "production")


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    environment: str  # "" when the catalog does not say
    production: bool
    gitops: str = ""  # "argocd", "flux" or "" when unknown
    managed_by: str = ""  # the management cluster whose Argo CD deploys this one
    automated: bool = True  # the environment's sync.automated (Argo CD)
    prune: bool = True  # the environment's sync.prune
    order: int = 0  # the environment's promotion order


def _documents(files: Sequence[RenderedFile]) -> list[Mapping[str, Any]]:
    """The mappings of catalog files; unreadable files are left out, since the catalog only
    sharpens the report and `generator lint` reports bad catalogs."""
    documents: list[Mapping[str, Any]] = []
    for file in files:
        try:
            loaded = load_manifests(file.text, file.relpath)
        except GeneratorError:
            continue
        documents.extend(d for d in loaded if isinstance(d, Mapping))
    return documents


def _in(files: Sequence[RenderedFile], folder: str) -> list[RenderedFile]:
    return [f for f in files if f.relpath.parts[:1] == (folder,)]


def cluster_info(catalog: Sequence[RenderedFile]) -> dict[str, ClusterInfo]:
    """Every cluster of a catalog (files relative to catalog/). Production is an environment
    named prod/production (or prod-*), else the last in promotion order."""
    environments: dict[str, Mapping[str, Any]] = {}
    for document in _documents(_in(catalog, "environments")):
        environments[str(document.get("name", ""))] = document
    orders = {
        name: e["order"] if isinstance(e.get("order"), int) else 0
        for name, e in environments.items()
    }
    named = {e for e in orders if e.lower() in PRODUCTION_NAMES or e.lower().startswith("prod-")}
    if not named and orders:
        last = max(orders.values())
        named = {e for e, order in orders.items() if order == last}
    info: dict[str, ClusterInfo] = {}
    for document in _documents(_in(catalog, "clusters")):
        environment = str(document.get("environment") or "")
        sync = environments.get(environment, {}).get("sync")
        sync = sync if isinstance(sync, Mapping) else {}
        info[str(document.get("name", ""))] = ClusterInfo(
            environment,
            environment in named,
            str(document.get("gitops") or ""),
            str(document.get("managedBy") or ""),
            bool(sync.get("automated", True)),
            bool(sync.get("prune", True)),
            orders.get(environment, 0),
        )
    return info
