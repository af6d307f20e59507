"""Property: no object a tenant renders escapes ns-<tenant>. Hypothesis builds hostile tenant
objects (built-in and custom kinds of either scope, with and without a CRD, GitOps kinds, any
metadata.namespace, privileged pod specs hidden at any depth behind decoys, waiver
annotations) and records, while building each, whether it would escape. Every escaping object
must get a confinement finding; every object that stays inside must get none."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from generator.policies import check_policies
from tests.conftest import MINIMAL, run_cli, snapshot, write_tree
from tests.test_policies import CLUSTER, crd, manifest, obj, tenant_baseline, unit

NAMESPACE = "ns-shop"
CONFINEMENT = {"tenant-namespace", "tenant-delegation", "tenant-pod-security"}
# The test's own knowledge of Kubernetes, independent of generator/kinds.py.
CLUSTER_KINDS = [
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("v1", "PersistentVolume"),
    ("v1", "Node"),
    ("storage.k8s.io/v1", "StorageClass"),
    ("scheduling.k8s.io/v1", "PriorityClass"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
    ("networking.k8s.io/v1", "IngressClass"),
    ("apiregistration.k8s.io/v1", "APIService"),
]
NAMESPACED_KINDS = [
    ("v1", "ConfigMap"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "PodTemplate"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "CronJob"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("policy/v1", "PodDisruptionBudget"),
]
DELEGATING_KINDS = [
    ("source.toolkit.fluxcd.io/v1", "GitRepository"),
    ("source.toolkit.fluxcd.io/v1beta2", "OCIRepository"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("helm.toolkit.fluxcd.io/v2", "HelmRelease"),
    ("argoproj.io/v1alpha1", "Application"),
    ("argoproj.io/v1alpha1", "ApplicationSet"),
    ("argoproj.io/v1alpha1", "AppProject"),
]
CUSTOM_KINDS = ["Widget", "Gadget", "ClusterWidget", "Role", "Namespace"]
PATH_KEYS = ["spec", "template", "jobTemplate", "jobTargetRef", "workload", "podSpec", "x"]
WAIVABLE = ["tenant-namespace", "tenant-delegation", "tenant-pod-security", "tenant-network"]


@dataclass
class Case:
    body: dict[str, Any]
    escapes: bool  # what the object would do on the cluster, by construction
    crds: list[dict[str, Any]]  # CRDs a platform operator renders for its kind


BENIGN_CONTAINER = {
    "name": "app",
    "image": "shop:1.4.2",
    "resources": {"requests": {"cpu": "10m"}, "limits": {"memory": "64Mi"}},
}


@st.composite
def pod_spec(draw: st.DrawFn) -> tuple[dict[str, Any], bool]:
    """A pod spec and whether it breaks the restricted level."""
    container = dict(BENIGN_CONTAINER)
    pod: dict[str, Any] = {}
    breaks = draw(
        st.sampled_from(["none", "privileged", "hostPID", "hostPath", "hostNetwork", "caps"])
    )
    if breaks == "privileged":
        container["securityContext"] = {"privileged": True}
    elif breaks == "caps":
        container["securityContext"] = {"capabilities": {"add": ["SYS_ADMIN"]}}
    elif breaks == "hostPath":
        pod["volumes"] = [{"name": "root", "hostPath": {"path": "/"}}]
    elif breaks != "none":
        pod[breaks] = True
    field = draw(st.sampled_from(["containers", "initContainers"]))
    pod[field] = [container]
    if field == "initContainers":
        pod["containers"] = [dict(BENIGN_CONTAINER, name="main")]
    return pod, breaks != "none"


@st.composite
def hidden(draw: st.DrawFn, pod: dict[str, Any]) -> dict[str, Any]:
    """`pod` at a random path under spec, with decoy empty container lists on the way."""
    node: Any = {"template": {"spec": pod}}
    for key in draw(st.lists(st.sampled_from(PATH_KEYS), max_size=4)):
        wrapper: dict[str, Any] = {key: node}
        if draw(st.booleans()):
            wrapper[draw(st.sampled_from(["containers", "initContainers"]))] = []
        node = draw(st.sampled_from([wrapper, {key: [wrapper]}]))
    return node if isinstance(node, dict) else {"items": node}


@st.composite
def hostile(draw: st.DrawFn, index: int) -> Case:
    family = draw(st.sampled_from(["cluster", "namespaced", "delegating", "custom"]))
    crds: list[dict[str, Any]] = []
    if family == "cluster":
        api, kind = draw(st.sampled_from(CLUSTER_KINDS))
        escapes = True
    elif family == "namespaced":
        api, kind = draw(st.sampled_from(NAMESPACED_KINDS))
        escapes = False
    elif family == "delegating":
        api, kind = draw(st.sampled_from(DELEGATING_KINDS))
        crds.append(crd(api.rpartition("/")[0], kind))  # the controller is installed
        escapes = True
    else:
        group = draw(st.sampled_from(["acme.example", "rbac.acme.example", "v1.example"]))
        api, kind = f"{group}/v1", draw(st.sampled_from(CUSTOM_KINDS))
        scope = draw(st.sampled_from(["Namespaced", "Cluster", None]))
        if scope is not None:
            crds.append(crd(group, kind, scope))
        escapes = scope != "Namespaced"  # cluster-scoped, or unknown to the cluster
    namespace = draw(st.sampled_from([NAMESPACE, NAMESPACE, "kube-system", "ns-other", ""]))
    escapes = escapes or namespace != NAMESPACE
    body = obj(kind, f"obj-{index}", namespace, api)
    if draw(st.booleans()):
        pod, breaks = draw(pod_spec())
        body["spec"] = draw(hidden(pod))
        escapes = escapes or breaks
    waivers = draw(st.lists(st.sampled_from(WAIVABLE), max_size=2, unique=True))
    if waivers:
        body["metadata"]["annotations"] = {
            f"waive.platform.generator/{rule}": "approved" for rule in waivers
        }
    return Case(body, escapes, crds)


@st.composite
def tenants(draw: st.DrawFn) -> list[Case]:
    count = draw(st.integers(min_value=1, max_value=4))
    return [draw(hostile(index)) for index in range(count)]


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(tenants())
def test_no_tenant_object_escapes_its_namespace(cases: list[Case]) -> None:
    crds = [manifest(c, "charts/crds/crds.yaml") for case in cases for c in case.crds]
    operator = (unit("operator", "crds", 5, "crds"), crds)
    bodies = tenant_baseline(NAMESPACE) + [case.body for case in cases]
    tenant = (unit("tenant", "shop", 1000, NAMESPACE), [manifest(b) for b in bodies])
    findings = check_policies(CLUSTER, [operator, tenant])
    refused = {f.key.name for f in findings if f.key and f.rule in CONFINEMENT}
    for case in cases:
        name = case.body["metadata"]["name"]
        assert (name in refused) == case.escapes, (case, [str(f) for f in findings])


def test_the_strategy_reaches_every_family() -> None:
    """Guards the property against a strategy that stopped generating escapes."""
    seen: set[bool] = set()

    @settings(max_examples=50, deadline=None, database=None, derandomize=True)
    @given(hostile(0))
    def collect(case: Case) -> None:
        seen.add(case.escapes)

    collect()
    assert seen == {True, False}


# End to end: the same hostile objects, with patches and transformers aimed at the tenant
# library's objects, as a tenant overlay of a real render.
TENANT_OVERLAY = "overlays/clusters/dev-1/tenants/shop"
PLATFORM_EDITS = [
    "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: tenant-quota, namespace: ns-shop}\n"
    "spec: {hard: {pods: '10000'}}\n",
    "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
    "metadata: {name: default-deny, namespace: ns-shop}\n"
    "spec: {podSelector: {matchLabels: {never: match}}}\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-shop\n  annotations:\n"
    "    waive.platform.generator/tenant-baseline: approved\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-shop\n  labels:\n"
    "    pod-security.kubernetes.io/enforce: privileged\n",
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n"
    "metadata: {name: tenant-owners, namespace: ns-shop}\n$patch: delete\n",
]
TRANSFORMERS = ["", "namePrefix: t-\n", "commonLabels: {team: shop}\n", "namespace: kube-system\n"]
BUILT_IN_NAMESPACED = {tuple((api.rpartition("/")[0], kind)) for api, kind in NAMESPACED_KINDS}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """The minimal platform with tenant 'shop', rendered once: (repo, rendered/ snapshot)."""
    files = {**MINIMAL, "catalog/tenants/shop.yaml": "name: shop\nowners: [team-shop]\n"}
    repo = write_tree(tmp_path_factory.mktemp("tenant") / "repo", files)
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    return repo, snapshot(repo / "rendered")


@st.composite
def benign(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """An object a tenant may add: it must render."""
    namespace = draw(st.sampled_from([NAMESPACE, ""]))
    kind = draw(st.sampled_from(["ConfigMap", "ServiceAccount", "Role", "PodTemplate"]))
    fields_by_kind: dict[str, dict[str, Any]] = {
        "ConfigMap": {"data": {"a": "b"}},
        "ServiceAccount": {},
        "Role": {"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        "PodTemplate": {"template": {"spec": {"containers": [BENIGN_CONTAINER]}}},
    }
    fields = fields_by_kind[kind]
    api = "rbac.authorization.k8s.io/v1" if kind == "Role" else "v1"
    return obj(kind, f"ok-{index}", namespace, api, **fields)


@st.composite
def tenant_overlays(draw: st.DrawFn) -> dict[str, str]:
    if draw(st.booleans()):
        count = draw(st.integers(min_value=1, max_value=3))
        added = [draw(benign(index)) for index in range(count)]
        return {
            "kustomization.yaml": "resources: ["
            + ", ".join(f"ok-{i}.yaml" for i in range(count))
            + "]\n",
            **{f"ok-{i}.yaml": json.dumps(body) for i, body in enumerate(added)},
        }
    cases = draw(tenants())
    files = {f"obj-{i}.yaml": json.dumps(case.body) for i, case in enumerate(cases)}
    text = "resources: [" + ", ".join(files) + "]\n" + draw(st.sampled_from(TRANSFORMERS))
    edits = draw(st.lists(st.sampled_from(PLATFORM_EDITS), max_size=2, unique=True))
    if edits:
        text += "patches:\n" + "".join(f"  - path: edit-{i}.yaml\n" for i in range(len(edits)))
        files.update({f"edit-{i}.yaml": edit for i, edit in enumerate(edits)})
    return {"kustomization.yaml": text, **files}


@settings(
    max_examples=30,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(overlay=tenant_overlays())
def test_a_rendered_tenant_folder_holds_only_its_namespace(
    platform: tuple[Path, dict[str, bytes]], overlay: dict[str, str]
) -> None:
    repo, before = platform
    write_tree(repo / TENANT_OVERLAY, overlay)
    try:
        result = run_cli(["render", "--repo", str(repo), "--no-cache"])
        after = snapshot(repo / "rendered")
    finally:
        shutil.rmtree(repo / "overlays")
        shutil.rmtree(repo / "rendered")
        write_tree(repo / "rendered", before)
    assert result.code in (0, 1, 2), result.err
    event(f"exit {result.code}")
    if result.code:
        assert after == before
        return
    # the tenant library's objects are as the platform rendered them; added objects stay inside
    assert {path: after[path] for path in before} == before
    for path in sorted(set(after) - set(before)):
        assert path.startswith("dev-1/tenants/shop/"), path
        body = yaml.safe_load(after[path])
        group = str(body["apiVersion"]).rpartition("/")[0]
        assert (group, body["kind"]) in BUILT_IN_NAMESPACED, path
        assert body["metadata"]["namespace"] == NAMESPACE, path
