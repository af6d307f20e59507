"""A cluster's rendered units and the repository's overlays/ tree → the units' manifests after
environment-wide, environment-unit, cluster-wide and cluster-unit overlays, in that order; the
catalog and overlays/ → the folders no cluster would apply (check_layout)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.kinds import Scopes, scopes_of
from generator.model import (
    Catalog,
    Cluster,
    Environment,
    Manifest,
    Origin,
    RenderUnit,
    ResourceKey,
)
from generator.overlays.build import append_hashes, build
from generator.overlays.patches import Patch, load_patches
from generator.overlays.kustomization import (
    FILENAMES,
    find_file,
    load_kustomization,
    misspelt_error,
)
from generator.overlays.resources import Resource
from generator.overlays.targets import TargetReport
from generator.overlays.trace import OverlayChange, tracing

OVERLAYS = "overlays"


def unit_key(unit: RenderUnit) -> str:
    """The folder name that narrows an overlay to one unit: `cert-manager`, `tenants/a`."""
    return f"tenants/{unit.name}" if unit.kind == "tenant" else unit.name


def scope_dirs(repo: Path, cluster: Cluster, environment: Environment) -> list[Path]:
    """The two scope folders that apply to a cluster, environment first."""
    return [
        repo / OVERLAYS / "environments" / environment.name,
        repo / OVERLAYS / "clusters" / cluster.name,
    ]


def apply_overlays(
    repo: Path,
    cluster: Cluster,
    environment: Environment,
    rendered: Sequence[tuple[RenderUnit, list[Manifest]]],
    targets: TargetReport | None = None,
    read: set[Path] | None = None,
    changes: dict[tuple[str, ResourceKey], list[OverlayChange]] | None = None,
    kinds: Scopes | None = None,
) -> list[tuple[RenderUnit, list[Manifest]]]:
    """Each unit's manifests after every overlay of its environment and cluster. `targets`
    learns which patch targets selected nothing (the caller decides over all clusters); `read`
    receives the kustomization directories built (the scope folders themselves count too: a
    folder created there would apply); `changes`, by unit key and final object key, the
    overlay steps that changed each object. `kinds` are the scopes of the whole cluster's
    kinds when `rendered` holds only some of its units (see separable())."""
    if changes is not None:
        with tracing() as trace:
            result = apply_overlays(repo, cluster, environment, rendered, targets, read, None, kinds)
        for ident, resource in trace.objects.items():
            final = Manifest(resource.body, resource.origin).key
            changes[(resource.unit or "", final)] = trace.changes[ident]
        return result
    read = set() if read is None else read
    read.update(scope_dirs(repo, cluster, environment))
    scopes = [scope for scope in scope_dirs(repo, cluster, environment) if scope.is_dir()]
    if not scopes:  # nothing to apply: skip the working copies
        return [(unit, list(manifests)) for unit, manifests in rendered]
    units = [unit for unit, _ in rendered]
    by_key = {unit_key(unit): unit for unit in units}
    if kinds is None:
        kinds = scopes_of(m for _, manifests in rendered for m in manifests)
    current: dict[str, list[Resource]] = {
        unit_key(unit): [_resource(m, unit, kinds) for m in manifests]
        for unit, manifests in rendered
    }
    # What the tenant library rendered is the platform's: tenant overlays may only add to it.
    platform = {id(r): r for key, rs in current.items() if key.startswith("tenants/") for r in rs}
    touched = False
    for scope in scopes:
        if find_file(scope, repo) is not None:
            current = _apply_wide(repo, scope, current, targets, read)
            touched = True
        for key in by_key:
            folder = scope / key
            if folder.is_dir() and find_file(folder, repo) is not None:
                if by_key[key].kind == "tenant":
                    current[key] = _apply_tenant(
                        repo, folder, by_key[key], current[key], platform, targets, read
                    )
                else:
                    current[key] = _apply_unit(repo, folder, key, current[key], targets, read)
                touched = True
    if not touched:
        return [(unit, list(manifests)) for unit, manifests in rendered]
    for resources in current.values():  # layers keep generated names unhashed until now
        if any(r.needs_hash for r in resources):
            append_hashes(resources)
    return [(unit, [Manifest(r.body, r.origin) for r in current[unit_key(unit)]]) for unit in units]


# What a whole-environment or whole-cluster kustomization may hold for its build to change
# each object by itself alone: no names or namespaces that references follow, no objects added.
PER_OBJECT_FIELDS = frozenset(
    {"apiVersion", "kind", "metadata", "commonLabels", "labels", "commonAnnotations", "images",
     "replicas", "patches", "patchesJson6902", "sortOptions"}
)  # fmt: skip
IDENTITY_PATHS = ("/kind", "/apiVersion", "/metadata/name", "/metadata/namespace")


def separable(repo: Path, cluster: Cluster, environment: Environment) -> bool:
    """True when the cluster's overlays change each object on its own, so some units can go
    through them without the others and come out as in a build of all: the wide
    kustomizations use only per-object transformers, and every patch names its target and
    changes no object's identity (a rename would be followed by references in other units).
    Unit folders build on their own unit's objects anyway."""
    for scope in scope_dirs(repo, cluster, environment):
        if not scope.is_dir() or find_file(scope, repo) is None:
            continue
        try:
            k = load_kustomization(scope, repo, warnings=[])
            if not set(k.fields) <= PER_OBJECT_FIELDS:
                return False
            legacy, general, json6902 = load_patches(k, repo)
        except GeneratorError:
            return False  # the full build reports it
        if legacy or not all(_keeps_identity(patch) for patch in (*general, *json6902)):
            return False
    return True


def _keeps_identity(patch: Patch) -> bool:
    if patch.target is None or patch.allow_name_change or patch.allow_kind_change:
        return False
    for operation in patch.json or ():
        if not isinstance(operation, dict):
            return False
        for path in (operation.get("path"), operation.get("from", "/spec")):  # move, copy
            if not isinstance(path, str) or path in ("", "/", "/metadata"):
                return False
            if path.startswith(IDENTITY_PATHS):
                return False
    return True


def _resource(manifest: Manifest, unit: RenderUnit, kinds: Scopes) -> Resource:
    """A working copy; namespaced objects get the unit's namespace first, so overlays always
    see (and patches name) the namespace the object will be written with."""
    body = _copy(manifest.body)
    meta = body.get("metadata")
    # Verbatim (SOPS-encrypted) objects must stay byte-for-byte what their source says.
    if (
        isinstance(meta, dict)
        and not meta.get("namespace")
        and not kinds.cluster_scoped(manifest)
        and not manifest.verbatim
    ):
        meta["namespace"] = unit.namespace
    return Resource(body, manifest.origin, unit_key(unit))


def _copy(value: Any) -> Any:
    """A private deep copy: builds edit bodies in place, engines' output stays untouched."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _apply_wide(
    repo: Path,
    scope: Path,
    current: dict[str, list[Resource]],
    targets: TargetReport | None,
    read: set[Path],
) -> dict[str, list[Resource]]:
    base = [r for resources in current.values() for r in resources]
    built = build(
        scope, repo, base=base, order=False, hash_names=False, targets=targets, read=read
    )
    out: dict[str, list[Resource]] = {key: [] for key in current}
    for resource in built:
        if resource.unit is None:
            raise GeneratorError(
                f"the overlay adds {resource.describe()}, which belongs to no unit",
                resource.origin,
                f"an overlay for a whole environment or cluster may only change objects; put new"
                f" resources in a unit overlay such as '{_display(scope, repo)}/<operator>/'"
                f" or '{_display(scope, repo)}/tenants/<tenant>/'",
            )
        out[resource.unit].append(resource)
    return out


def _apply_unit(
    repo: Path,
    folder: Path,
    key: str,
    resources: list[Resource],
    targets: TargetReport | None,
    read: set[Path],
) -> list[Resource]:
    built = build(
        folder, repo, base=resources, order=False, hash_names=False, targets=targets, read=read
    )
    for resource in built:
        resource.unit = key
    return built


def _apply_tenant(
    repo: Path,
    folder: Path,
    unit: RenderUnit,
    resources: list[Resource],
    platform: Mapping[int, Resource],
    targets: TargetReport | None,
    read: set[Path],
) -> list[Resource]:
    """A tenant overlay, which must leave the platform's objects as they were before it: the
    same Resource objects (builds edit them in place), with equal bodies."""
    before = [(r, r.describe(), _copy(r.body)) for r in resources if id(r) in platform]
    built = _apply_unit(repo, folder, unit_key(unit), resources, targets, read)
    after = {id(r) for r in built}
    edits = [
        f"{'changes' if id(r) in after else 'deletes'} {described}"
        for r, described, body in before
        if id(r) not in after or r.body != body
    ]
    if edits:
        file = find_file(folder, repo)
        assert file is not None  # the caller found it
        raise GeneratorError(
            f"the tenant overlay {', '.join(edits)}, which the platform renders for tenant "
            f"'{unit.name}'",
            Origin(PurePosixPath(_display(file, repo)), 1),
            "a tenant overlay may add objects to its tenant, not change or delete those of the "
            "tenant library (Namespace, quota, limits, network policies, role bindings); "
            f"change the tenant in '{unit.origin.path}', or put the change in the "
            "tenant library",
        )
    return built


def _display(path: Path, repo: Path) -> str:
    try:
        return path.relative_to(repo).as_posix()
    except ValueError:  # pragma: no cover - scopes always live under the repository
        return path.as_posix()


def check_layout(repo: Path, catalog: Catalog) -> list[GeneratorError]:
    """Every entry of overlays/ that no cluster would ever apply: a misspelt environment,
    cluster, operator or tenant folder would otherwise be skipped without a word."""
    root = repo / OVERLAYS
    if not root.is_dir():
        return []
    problems: list[GeneratorError] = []
    scopes = {
        "environments": ("environment", sorted(e.name for e in catalog.environments)),
        "clusters": ("cluster", sorted(c.name for c in catalog.clusters)),
    }
    for entry in _entries(root):
        if entry.name not in scopes or not entry.is_dir():
            problems.append(
                _unexpected(
                    entry, repo, "overlays/ holds only environments/ and clusters/", sorted(scopes),
                    "overlays live in overlays/environments/<environment>/ and"
                    " overlays/clusters/<cluster>/",
                )
            )  # fmt: skip
            continue
        what, names = scopes[entry.name]
        for scope in _entries(entry):
            if scope.name not in names or not scope.is_dir():
                problems.append(
                    _unexpected(
                        scope, repo, f"no {what} of that name", names,
                        f"{what} overlays live in overlays/{entry.name}/<{what}>/, named after a"
                        f" file of catalog/{entry.name}/",
                    )
                )  # fmt: skip
                continue
            problems += _check_folder(repo, scope)
            problems += _check_units(repo, scope, catalog)
    return problems


def _check_folder(repo: Path, folder: Path) -> list[GeneratorError]:
    """An overlay folder with YAML but no kustomization file Kustomize reads would be skipped
    without a word (a misspelt `kustomisation.yaml`, a patch file nobody lists)."""
    if _holds_kustomization(folder):
        return []
    shown = PurePosixPath(_display(folder, repo))
    misspelt = misspelt_error(folder, shown)
    if misspelt is not None:
        return [misspelt]
    yaml_files = [
        p.name for p in _entries(folder) if p.is_file() and p.suffix in (".yaml", ".yml")
    ]
    if not yaml_files:
        return []
    return [
        GeneratorError(
            f"'{shown}/' holds '{yaml_files[0]}' but no kustomization file, so nothing applies it",
            Origin(shown / yaml_files[0], 1),
            f"add '{shown}/kustomization.yaml' that lists the file under resources or patches,"
            " or move the file out of overlays/",
        )
    ]


def _check_units(repo: Path, scope: Path, catalog: Catalog) -> list[GeneratorError]:
    """Folders of a scope that hold a kustomization must name a unit (or be listed by the
    scope's own kustomization); other folders and files are the scope's patches and resources."""
    operators = sorted(o.name for o in catalog.operators)
    tenants = sorted(t.name for t in catalog.tenants)
    shown = _display(scope, repo)
    listed = _listed_folders(scope, repo)
    problems: list[GeneratorError] = []
    for folder in _entries(scope):
        if folder.is_dir() and folder.name in operators and folder.resolve() not in listed:
            problems += _check_folder(repo, folder)
        if not folder.is_dir() or folder.name in operators or folder.resolve() in listed:
            continue
        if folder.name == "tenants":
            for tenant in _entries(folder):
                if tenant.is_dir() and tenant.name in tenants:
                    problems += _check_folder(repo, tenant)
                else:
                    problems.append(
                        _unexpected(
                            tenant, repo, "no tenant of that name", tenants,
                            f"tenant overlays live in {shown}/tenants/<tenant>/, named after a"
                            " file of catalog/tenants/",
                        )
                    )  # fmt: skip
            continue
        if _holds_kustomization(folder):
            problems.append(
                _unexpected(
                    folder, repo, "no operator of that name", [*operators, "tenants"],
                    f"unit overlays live in {shown}/<operator>/ (the operator's name without"
                    f" its number) or {shown}/tenants/<tenant>/",
                )
            )  # fmt: skip
    return problems


def _entries(folder: Path) -> list[Path]:
    # hidden entries (.gitkeep, editor files) are nobody's overlay
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _holds_kustomization(folder: Path) -> bool:
    return any((folder / name).is_file() for name in FILENAMES)


def _listed_folders(scope: Path, repo: Path) -> set[Path]:
    """Folders the scope's kustomization lists as resources or components."""
    try:
        if find_file(scope, repo) is None:
            return set()
        k = load_kustomization(scope, repo, warnings=[])
    except GeneratorError:  # the build reports a broken kustomization with its position
        return set()
    entries = [*(k.get("resources") or []), *(k.get("bases") or []), *(k.get("components") or [])]
    return {(scope / str(e)).resolve() for e in entries if isinstance(e, str)}


def _unexpected(
    path: Path, repo: Path, why: str, known: Sequence[str], expected: str
) -> GeneratorError:
    shown = _display(path, repo)
    if not path.is_dir():
        hint = f"{expected}; move or delete this file"
        return GeneratorError(f"unexpected file '{shown}'", Origin(PurePosixPath(shown)), hint)
    close = difflib.get_close_matches(path.name, known, n=1)
    choices = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known) or 'none'}"
    message = f"unexpected folder '{shown}/': {why}"
    return GeneratorError(message, Origin(PurePosixPath(shown)), f"{expected}; {choices}")
