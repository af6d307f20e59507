"""One cluster's rendered manifests → schema [Finding]: the bundled Kubernetes schemas for
its version, the CRDs rendered beside them, then schemas/crds/ of the repository."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError
from generator.model import Finding, Manifest
from generator.paths import is_api_version, is_kind
from generator.validate.core import Options, Result, Status, Validator, collect_crds, to_json
from generator.validate.explain import explain
from generator.validate.schemas import (
    LocationError,
    builtin_root,
    builtin_version,
    builtin_versions,
    check_version,
)

CRD_SCHEMA_DIR = Path("schemas") / "crds"
# The schemas shipped with the generator for the GitOps objects it writes (Argo CD, Flux), so a
# platform repository without its own schemas/crds/ still validates them.
SHIPPED_CRD_SCHEMA_DIR = Path(str(files("generator") / "schemas" / "crds"))


def validate_cluster(
    manifests: Sequence[Manifest],
    kubernetes_version: str,
    repo: Path,
    *,
    ignore_missing_schemas: bool = False,
) -> list[Finding]:
    """Schema findings for one cluster's output: built-in Kubernetes schemas for its version,
    then the CRDs rendered in the same output, then schemas/crds/ of the repository."""
    crds = [m.body for m in manifests]
    validator = cluster_validator(
        kubernetes_version, repo, crds, ignore_missing_schemas=ignore_missing_schemas
    )
    return validate_objects(validator, manifests, kubernetes_version)


def cluster_validator(
    kubernetes_version: str,
    repo: Path,
    crds: Iterable[Any],
    *,
    ignore_missing_schemas: bool = False,
) -> Validator:
    """One cluster's validator: `crds` are the bodies of the cluster's output that may be
    CustomResourceDefinitions (others are skipped), so some units can be validated alone."""
    check_bundled_version(kubernetes_version)
    return Validator(
        Options(
            kubernetes_version=kubernetes_version,
            ignore_missing_schemas=ignore_missing_schemas,
            extra_schema_dirs=tuple(dict.fromkeys((repo / CRD_SCHEMA_DIR, SHIPPED_CRD_SCHEMA_DIR))),
        ),
        collect_crds(crds, "crd:rendered"),
    )


def validate_objects(
    validator: Validator, manifests: Iterable[Manifest], kubernetes_version: str
) -> list[Finding]:
    findings = []
    find = validator.registry.find
    for manifest in manifests:
        body = manifest.body
        kind, api_version = body.get("kind"), body.get("apiVersion")
        # fast path for the common case, a valid object: one dict lookup and one Rust call
        if kind.__class__ is str and api_version.__class__ is str and kind and api_version:
            schema = find(kind, api_version)
            try:
                if schema is not None and schema.validator.is_valid(body):
                    continue
            except ValueError:
                pass  # a non-string key: the slow path judges the JSON form
        result = validator.validate_body(body)
        if result.failed:
            findings.append(_finding(manifest, result, validator, kubernetes_version))
    return findings


def check_bundled_version(kubernetes_version: str) -> None:
    """A cluster version the bundled schemas do not cover is a catalog problem, reported once
    instead of as "no schema" on every object."""
    try:
        check_version(kubernetes_version)
        folder = builtin_root() / f"{builtin_version(kubernetes_version)}-local"
    except (LocationError, ValueError, IndexError):
        folder = None
    if folder is None or not folder.is_dir():
        versions = builtin_versions()
        first, last = versions[0], versions[-1]
        raise GeneratorError(
            f"no bundled Kubernetes schemas for kubernetesVersion '{kubernetes_version}'",
            hint=f"set kubernetesVersion to a version from {first[0]}.{first[1]}.0 to "
            f"{last[0]}.{last[1]}.x, or upgrade the kubernetes-validate package",
        )


def _finding(
    manifest: Manifest, result: Result, validator: Validator, kubernetes_version: str
) -> Finding:
    kind, api_version = manifest.kind, manifest.api_version
    if result.status is Status.INVALID:
        schema = validator.registry.find(kind, api_version)
        detail = result.msg
        if schema is not None:
            explanation = explain(schema, to_json(manifest.body))
            if explanation is not None:
                # the leaves only: "validation failed" lines just group the ones below them
                leaves = [
                    line.removeprefix("- ")
                    for line in explanation.lines
                    if not line.endswith(": validation failed")
                ]
                detail = "; ".join(leaves)
        return Finding(
            manifest.origin,
            manifest.key,
            f"does not match the schema of {api_version} {kind}: {detail}",
            f"fix the field at that path; `kubectl explain {kind.lower()}` describes the "
            f"fields Kubernetes {kubernetes_version} accepts",
            "schema",
        )
    if result.msg.startswith("could not find schema") and not (
        is_kind(kind) and is_api_version(api_version)
    ):
        return Finding(
            manifest.origin,
            manifest.key,
            f"no schema for {api_version} {kind}: not a valid Kubernetes type name",
            "a kind is letters and digits starting with a letter (like ConfigMap), an "
            "apiVersion is [group/]version (like apps/v1)",
            "schema",
        )
    if result.msg.startswith("could not find schema"):
        group, _, version = api_version.rpartition("/")
        where = f"schemas/crds/{group or 'core'}/{kind.lower()}_{version}.json"
        return Finding(
            manifest.origin,
            manifest.key,
            f"no schema for {api_version} {kind} in Kubernetes {kubernetes_version}",
            f"render its CustomResourceDefinition in this cluster or add {where} "
            "(see docs/validation.md)",
            "schema",
        )
    return Finding(
        manifest.origin,
        manifest.key,
        result.msg,
        "every rendered object needs a string apiVersion and kind",
        "schema",
    )
