"""What Helm rendered → [Document]: the `# Source:` stream split, templates ordered as `helm
template` prints them, and the rule for which hooks are kept."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from generator.engines.helm.chart import Chart, repo_path, where
from generator.errors import GeneratorError
from generator.model import Origin, RenderUnit
from generator.secrets import is_applied_as_list
from generator.yamlio import load_manifests

HOOK_ANNOTATION = "helm.sh/hook"
# Hooks that have a GitOps meaning (Argo CD maps them to PreSync/PostSync) are kept; hooks that
# run only on delete or rollback have none and are dropped, and so are test hooks.
KEPT_HOOK_EVENTS = frozenset({"pre-install", "post-install", "pre-upgrade", "post-upgrade"})
TEST_HOOK_EVENTS = frozenset({"test", "test-success"})
DELETE_ROLLBACK_HOOK_EVENTS = frozenset(
    {"pre-delete", "post-delete", "pre-rollback", "post-rollback"}
)
KNOWN_HOOK_EVENTS = KEPT_HOOK_EVENTS | TEST_HOOK_EVENTS | DELETE_ROLLBACK_HOOK_EVENTS
# helm's releaseutil.InstallOrder: the order `helm template` prints objects in.
_KINDS_IN_INSTALL_ORDER = (
    "PriorityClass Namespace NetworkPolicy ResourceQuota LimitRange PodSecurityPolicy "
    "PodDisruptionBudget ServiceAccount Secret SecretList ConfigMap StorageClass "
    "PersistentVolume PersistentVolumeClaim CustomResourceDefinition ClusterRole "
    "ClusterRoleList ClusterRoleBinding ClusterRoleBindingList Role RoleList RoleBinding "
    "RoleBindingList Service DaemonSet Pod ReplicationController ReplicaSet Deployment "
    "HorizontalPodAutoscaler StatefulSet Job CronJob IngressClass Ingress APIService "
    "MutatingWebhookConfiguration ValidatingWebhookConfiguration"
)
INSTALL_ORDER = {kind: i for i, kind in enumerate(_KINDS_IN_INSTALL_ORDER.split())}


class Document(NamedTuple):
    """One rendered object and the `# Source:` path helm gave it (chart-name relative)."""

    source: str
    body: Mapping[str, Any]


def keeps_hook(body: Mapping[str, Any]) -> bool:
    """False for a hook that runs only on delete, rollback or test (see docs/helm.md)."""
    annotations = (body.get("metadata") or {}).get("annotations") or {}
    hooks = annotations.get(HOOK_ANNOTATION)
    if hooks is None:
        return True
    events = _hook_events(hooks)
    return not (TEST_HOOK_EVENTS & events) and bool(events & KEPT_HOOK_EVENTS)


def _hook_events(hooks: object) -> set[str]:
    """The events a `helm.sh/hook` annotation lists, comma-separated, in any case."""
    return {e.strip().lower() for e in str(hooks).split(",")}


def crd_documents(
    crds: Sequence[Mapping[str, str]], chart: Chart, unit: RenderUnit
) -> list[Document]:
    documents = []
    for crd in crds:
        source = crd["filename"]
        for body in _load(crd["data"], source, chart, unit):
            documents.append(Document(source, body))
    return documents


def sort_manifests(files: Mapping[str, str], chart: Chart, unit: RenderUnit) -> list[Document]:
    """helm's releaseutil.SortManifests + the `helm template` printing order, for the SDK.

    Templates in path order, split into documents; NOTES.txt and partials dropped; plain
    objects sorted by kind (InstallOrder, stable), then hooks sorted the same way; unknown and
    test hooks dropped as `helm template --skip-tests` does.
    """
    manifests: list[Document] = []
    hooks: list[Document] = []
    for path in sorted(files):
        content = files[path]
        if path.endswith("NOTES.txt") or path.rpartition("/")[2].startswith("_"):
            continue
        if not content.strip():
            continue
        for entry in _DOCUMENT_START.split(content.strip()):
            for body in _load(entry.strip(), path, chart, unit) if entry else ():
                annotations = (body.get("metadata") or {}).get("annotations") or {}
                if HOOK_ANNOTATION not in annotations:
                    manifests.append(Document(path, body))
                    continue
                events = _hook_events(annotations[HOOK_ANNOTATION])
                if events <= KNOWN_HOOK_EVENTS and not events & TEST_HOOK_EVENTS:
                    hooks.append(Document(path, body))
    return sorted(manifests, key=_kind_order) + sorted(hooks, key=_kind_order)


# releaseutil.SplitManifests splits on `(?:^|\s*\n)---\s*`: a `---` at the start of a line;
# the whitespace it also swallows is stripped from every document anyway.
_DOCUMENT_START = re.compile(r"^---", re.MULTILINE)


def parse_stream(text: str, chart: Chart, unit: RenderUnit) -> list[Document]:
    """`helm template` output → documents, each with the `# Source:` path above it."""
    documents: list[Document] = []
    source = f"{chart.name}/Chart.yaml"
    for chunk in re.split(r"(?m)^---[ \t]*\n", text):
        header = re.match(r"# Source: (\S+)\n", chunk)
        if header:
            source = header.group(1)
        documents.extend(Document(source, body) for body in _load(chunk, source, chart, unit))
    return documents


def _kind_order(doc: Document) -> tuple[int, int, str]:
    kind = str(doc.body.get("kind", ""))
    return (0, INSTALL_ORDER[kind], "") if kind in INSTALL_ORDER else (1, 0, kind)


@functools.lru_cache(maxsize=2048)
def _parse(text: str) -> tuple[str, ...]:
    """YAML documents as JSON texts: CRDs and unchanged templates repeat on every cluster, and
    json.loads is many times faster than building the same objects from YAML again."""
    return tuple(json.dumps(body) for body in load_manifests(text, PurePosixPath("-")))


def _load(text: str, source: str, chart: Chart, unit: RenderUnit) -> list[Mapping[str, Any]]:
    path = repo_path(source, chart)
    try:
        bodies = [json.loads(body) for body in _parse(text)]
    except GeneratorError as e:
        raise GeneratorError(
            f"{where(unit)}: template '{source}' rendered invalid YAML: {e.message}"
            f" (line {e.origin.line if e.origin else 0} of its output)",
            Origin(path, 1),
            "check indentation in the template (nindent/toYaml) and render it alone with "
            "`helm template --debug --show-only`",
        ) from e
    # Any *List (List, SecretList, ...) is applied item by item (kubectl, Argo CD), so its
    # items are the objects: a Secret inside a SecretList is checked as a Secret.
    bodies = [
        item for body in bodies for item in (body["items"] if is_applied_as_list(body) else [body])
    ]
    for body in bodies:
        metadata = body.get("metadata") if isinstance(body, dict) else None
        if not (
            isinstance(metadata, dict)
            and body.get("apiVersion")
            and body.get("kind")
            and metadata.get("name")
        ):
            raise GeneratorError(
                f"{where(unit)}: template '{source}' rendered a document that is not a "
                "Kubernetes object (it needs apiVersion, kind and metadata.name)",
                Origin(path, 1),
                "make every document the template emits a complete object, or wrap optional "
                "ones in {{- if }} ... {{- end }}",
            )
        if not isinstance(metadata.get("annotations") or {}, dict):  # hooks are read from it
            raise GeneratorError(
                f"{where(unit)}: template '{source}' rendered metadata.annotations that is not "
                "a mapping",
                Origin(path, 1),
                "write annotations as key: value pairs (toYaml of a map, under nindent)",
            )
    return bodies
