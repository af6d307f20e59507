"""The built-in scope table against the Kubernetes schemas bundled with kubernetes-validate:
every kind they define as an object is classified, so none falls through as 'unknown'."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import kubernetes_validate
import yaml

from generator.kinds import CLUSTER_SCOPED, NAMESPACED, NOT_OBJECTS, SHIPPED_NAMESPACED, scopes_of
from generator.model import Manifest, Origin
from tests.conftest import REPO

SCHEMAS = Path(kubernetes_validate.__file__).parent / "kubernetes-json-schema"


def bundled_kinds() -> set[tuple[str, str]]:
    """(group, kind) of every definition with metadata, over every bundled version."""
    kinds: set[tuple[str, str]] = set()
    for folder in SCHEMAS.glob("v*-local"):
        document = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))
        for definition in (document.get("$defs") or document["definitions"]).values():
            if "metadata" not in definition.get("properties", {}):
                continue
            for gvk in definition.get("x-kubernetes-group-version-kind", ()):
                if not gvk["kind"].endswith("List"):
                    kinds.add((gvk["group"], gvk["kind"]))
    return kinds


def test_every_bundled_kubernetes_kind_has_a_scope() -> None:
    kinds = bundled_kinds()
    assert len(kinds) > 80  # the schemas were found
    assert sorted(kinds - CLUSTER_SCOPED - NAMESPACED - NOT_OBJECTS) == []
    assert CLUSTER_SCOPED.isdisjoint(NAMESPACED)
    # nothing in the table that Kubernetes does not define (PodSecurityPolicy left in 1.25)
    assert sorted((CLUSTER_SCOPED | NAMESPACED) - kinds) == [("policy", "PodSecurityPolicy")]


def test_scope_comes_from_group_and_kind_and_from_crds() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusterissuers.cert-manager.io"},
        "spec": {
            "group": "cert-manager.io",
            "names": {"kind": "ClusterIssuer"},
            "scope": "Cluster",
        },
    }
    scopes = scopes_of([Manifest(crd, Origin(PurePosixPath("crds.yaml"), 1))])
    assert scopes.namespaced("rbac.authorization.k8s.io/v1", "ClusterRoleBinding") is False
    assert scopes.namespaced("apps/v1", "Deployment") is True
    assert scopes.namespaced("cert-manager.io/v1", "ClusterIssuer") is False
    assert scopes.namespaced("example.com/v1", "ClusterRoleBinding") is None
    assert scopes.namespaced("v1", "Status") is None
    assert scopes_of([]).namespaced("cert-manager.io/v1", "ClusterIssuer") is None


def test_the_shipped_custom_kinds_are_namespaced_as_upstream_says() -> None:
    shipped = {
        (path.parent.name, path.name.partition("_")[0])
        for path in (REPO / "generator/schemas/crds").glob("*/*.json")
    }
    assert {(g, k.lower()) for g, k in SHIPPED_NAMESPACED} == shipped
    upstream = {}
    for path in (REPO / "tests/fixtures/crds").glob("*.yaml"):
        for crd in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if crd and crd.get("kind") == "CustomResourceDefinition":
                spec = crd["spec"]
                upstream[(spec["group"], spec["names"]["kind"])] = spec["scope"]
    assert {kind: upstream[kind] for kind in SHIPPED_NAMESPACED} == dict.fromkeys(
        SHIPPED_NAMESPACED, "Namespaced"
    )
