"""rendered/<cluster>/ files and the catalog's cluster → manifests and the API server check.

The live commands read the tree `generator render` wrote and compare the kube context's
server with the cluster's apiServer in the catalog before talking to anything.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from generator.errors import GeneratorError
from generator.live.kubeconfig import KubeContext
from generator.model import Manifest, Origin
from generator.yamlio import load_manifests

# Documents that configure tools rather than describe API objects.
_NOT_API_OBJECTS = ("kustomize.config.k8s.io/",)


def read_manifests(repo: Path, folder: PurePosixPath, skip: tuple[str, ...] = ()) -> list[Manifest]:
    """Every object in the YAML files under repo/folder, in path order, leaving out the
    subfolders named in `skip`."""
    root = repo / folder
    manifests: list[Manifest] = []
    for path in sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml")):
        if path.relative_to(root).parts[0] in skip and path.parent != root:
            continue
        relpath = PurePosixPath(path.relative_to(repo).as_posix())
        for body in load_manifests(path.read_text(encoding="utf-8"), relpath):
            if not isinstance(body, dict):
                raise GeneratorError(
                    "a document is not a Kubernetes object (a mapping)",
                    Origin(relpath),
                    hint="run 'generator render' again; rendered/ should only hold objects",
                )
            if str(body.get("apiVersion", "")).startswith(_NOT_API_OBJECTS):
                continue
            if not body.get("kind") or not (body.get("metadata") or {}).get("name"):
                raise GeneratorError(
                    "object without kind or metadata.name",
                    Origin(relpath),
                    hint="run 'generator render' again; rendered/ should only hold objects",
                )
            manifests.append(Manifest(body, Origin(relpath, 1)))
    return manifests


def read_bootstrap(repo: Path, cluster: str, gitops: str) -> tuple[PurePosixPath, list[Manifest]]:
    """What bootstrap applies: rendered/<cluster>/bootstrap/, or for a Flux cluster without
    one the entry point in flux/ (the `flux-system` source and Kustomization)."""
    folder = PurePosixPath("rendered", cluster, "bootstrap")
    if (repo / folder).is_dir():
        return folder, read_manifests(repo, folder)
    flux = PurePosixPath("rendered", cluster, "flux")
    if gitops == "flux" and (repo / flux).is_dir():
        entry = [m for m in read_manifests(repo, flux) if m.name == "flux-system"]
        return flux, entry
    raise GeneratorError(
        f"'{folder}/' does not exist",
        hint=f"run 'generator render --cluster {cluster}' first and commit the result",
    )


def check_server(context: KubeContext, cluster: str, api_server: str) -> None:
    """Refuse to touch a cluster other than the one the catalog describes."""
    if not api_server:
        raise GeneratorError(
            f"cluster '{cluster}' has no apiServer in the catalog, so the kube context "
            f"'{context.name}' cannot be checked",
            hint="set apiServer in the cluster's catalog file, or pass --allow-server-mismatch",
        )
    if _normalized(context.server) != _normalized(api_server):
        raise GeneratorError(
            f"kube context '{context.name}' points at '{context.server}', but the catalog "
            f"says cluster '{cluster}' is at '{api_server}'",
            hint="pass --context for the right cluster, or --allow-server-mismatch when the "
            "same API server is reached through another address (a tunnel or proxy)",
        )


def _normalized(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "https"
    port = parts.port or (443 if scheme == "https" else 80)
    return (scheme, (parts.hostname or "").lower(), port, parts.path.rstrip("/"))
