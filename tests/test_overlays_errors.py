"""Bad kustomizations: every refusal names the file and line and says what to do. Inputs that
Kustomize refuses as well are also run through `kubectl kustomize` when it is on PATH."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from generator.errors import GeneratorError
from generator.overlays.build import build
from tests.conftest import write_tree

CONFIGMAP = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: "1"\n'
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: app:1
"""
KUBECTL = shutil.which("kubectl")


def kustomization(
    text: str, extra: dict[str, str | bytes] | None = None, folder: str = ""
) -> dict[str, str | bytes]:
    """A kustomization in `folder` beside cm.yaml (ConfigMap 'x'), plus extra files."""
    return {f"{folder}kustomization.yaml": text, f"{folder}cm.yaml": CONFIGMAP, **(extra or {})}


def json_patch(operations: str, kind: str = "ConfigMap", name: str = "x") -> dict[str, str | bytes]:
    """ConfigMap 'x' and Deployment 'web', and a JSON 6902 patch targeting one of them."""
    indented = "".join(f"    {line}\n" for line in operations.splitlines())
    text = (
        "resources:\n- cm.yaml\n- dep.yaml\npatches:\n- target:\n"
        f"    kind: {kind}\n    name: {name}\n  patch: |\n{indented}"
    )
    return kustomization(text, {"dep.yaml": DEPLOYMENT})


SECOND_CONFIGMAP: dict[str, str | bytes] = {"other.yaml": CONFIGMAP.replace("name: x", "name: y")}


def replacement(source: str | None, *, second: bool = False) -> dict[str, str | bytes]:
    """A replacement from `source` (the YAML after `- `) into data.a of the ConfigMaps; with
    `second`, a second ConfigMap 'y' is in the build too."""
    text = (
        "resources:\n- cm.yaml\n"
        + ("- other.yaml\n" if second else "")
        + "replacements:\n"
        + (f"- {source}  targets:\n" if source else "- targets:\n")
        + "  - select:\n      kind: ConfigMap\n    fieldPaths:\n    - data.a\n"
    )
    return kustomization(text, SECOND_CONFIGMAP if second else None)


def targeted_patch(target: str, patch: str) -> dict[str, str | bytes]:
    """cm.yaml and one `patches` entry: a one-line `target` and the text after `patch: `."""
    return kustomization(
        f"resources:\n- cm.yaml\npatches:\n- target:\n    {target}\n  patch: {patch}\n"
    )


def labelling_patch(target: str) -> dict[str, str | bytes]:
    """A strategic merge patch labelling ConfigMap 'x', aimed by a one-line `target`."""
    return targeted_patch(
        target,
        "|\n    kind: ConfigMap\n    metadata:\n      name: x\n      labels:\n        a: b",
    )


# Kustomize refuses these too (checked against kubectl below).
REFUSED_BY_BOTH: dict[str, tuple[dict[str, str | bytes], str]] = {
    "json6902-op-missing": (
        json_patch("- path: /data/a\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': operation 0 has no valid 'op' (one of add, remove, replace, move, copy, test)"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-path-missing-key": (
        json_patch("- op: remove\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': operation 0 ('remove') has no 'path'"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-test-fails": (
        json_patch('- op: test\n  path: /data/a\n  value: "2"\n'),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': testing value /data/a failed: test failed"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-move-without-from": (
        json_patch("- op: move\n  path: /data/b\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': operation 0 ('move') has no 'from'"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-bad-list-index": (
        json_patch(
            ("- op: replace\n  path: /spec/template/spec/containers/first/image\n  value: b\n"),
            "Deployment",
            "web",
        ),
        "kustomization.yaml:5:3: JSON 6902 patch failed on Deployment 'web': invalid list index 'first' in /spec/template/spec/containers/first/image"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-list-index-out-of-range": (
        json_patch(
            ("- op: replace\n  path: /spec/template/spec/containers/5/image\n  value: b\n"),
            "Deployment",
            "web",
        ),
        "kustomization.yaml:5:3: JSON 6902 patch failed on Deployment 'web': index 5 is out of range in /spec/template/spec/containers/5/image"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-path-through-scalar": (
        json_patch("- op: add\n  path: /data/a/b\n  value: c\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': doc is missing path: /data/a/b"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-path-through-missing-parent": (
        json_patch("- op: add\n  path: /spec/x/y\n  value: c\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': doc is missing path: /spec/x/y"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-test-through-a-scalar": (
        json_patch('- op: test\n  path: /data/a/b\n  value: "1"\n'),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': doc is missing path: /data/a/b"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-remove-whole-document": (
        json_patch('- op: remove\n  path: ""\n'),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': cannot remove the whole document"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "multiple-kustomization-files": (
        kustomization(
            "resources:\n- cm.yaml\n", {"app/kustomization.yml": "resources: []\n"}, "app/"
        ),
        "app: found multiple kustomization files in 'app'"
        "\n  hint: keep only one of: kustomization.yaml, kustomization.yml, Kustomization",
    ),
    "not-a-mapping": (
        kustomization("- cm.yaml\n"),
        "kustomization.yaml:1:1: a kustomization must be a YAML mapping"
        "\n  hint: write the kustomization as 'key: value' fields (resources, patches, ...)",
    ),
    "unknown-kind": (
        kustomization("kind: Overlay\nresources:\n- cm.yaml\n"),
        "kustomization.yaml:1:1: unknown kind 'Overlay'"
        "\n  hint: use kind Kustomization or Component",
    ),
    "api-version-mismatch": (
        kustomization(
            "apiVersion: kustomize.config.k8s.io/v1alpha1\n"
            "kind: Kustomization\n"
            "resources:\n"
            "- cm.yaml\n"
        ),
        "kustomization.yaml:1:1: apiVersion 'kustomize.config.k8s.io/v1alpha1' does not match kind 'Kustomization'"
        "\n  hint: use apiVersion kustomize.config.k8s.io/v1beta1",
    ),
    "resources-not-a-list": (
        kustomization("resources: cm.yaml\n"),
        "kustomization.yaml:1:1: 'resources' must be a list of strings"
        "\n  hint: write resources as a YAML list",
    ),
    "label-pairs-not-a-mapping": (
        kustomization("resources:\n- cm.yaml\nlabels:\n- pairs: [a]\n"),
        "kustomization.yaml:4:3: 'pairs' must be a mapping\n  hint: write key: value pairs",
    ),
    "namespace-not-a-string": (
        kustomization("namespace: 5\nresources:\n- cm.yaml\n"),
        "kustomization.yaml:1:1: 'namespace' must be a string\n  hint: write namespace: <text>",
    ),
    "image-tag-is-a-number": (
        kustomization("resources:\n- cm.yaml\nimages:\n- name: app\n  newTag: 1.20\n"),
        "kustomization.yaml:5:3: images[0].newTag must be a string"
        '\n  hint: quote tags that look like numbers, e.g. newTag: "1.20"',
    ),
    "replicas-without-count": (
        kustomization("resources:\n- cm.yaml\nreplicas:\n- name: web\n"),
        "kustomization.yaml:4:3: each replicas entry needs a 'name' and an integer 'count'"
        "\n  hint: write e.g. {name: web, count: 3}",
    ),
    "patches-json6902-without-target": (
        kustomization("resources:\n- cm.yaml\npatchesJson6902:\n- patch: '[]'\n"),
        "kustomization.yaml:4:3: a patchesJson6902 entry needs a 'target'"
        "\n  hint: add target: {kind: ..., name: ...}",
    ),
    "generator-without-name": (
        kustomization("configMapGenerator:\n- literals:\n  - a=b\n"),
        "kustomization.yaml:2:3: a configMapGenerator entry needs a 'name'"
        "\n  hint: add name: <object name>",
    ),
    "sort-order-unknown": (
        kustomization("resources:\n- cm.yaml\nsortOptions:\n  order: alphabetical\n"),
        "kustomization.yaml:3:1: sortOptions.order must be 'legacy' or 'fifo'"
        "\n  hint: write sortOptions: {order: fifo} or {order: legacy}",
    ),
    "common-labels-a-list": (
        kustomization("resources:\n- cm.yaml\ncommonLabels:\n- a\n"),
        "kustomization.yaml:3:1: 'commonLabels' must be a mapping\n  hint: write key: value pairs",
    ),
    "label-value-a-number": (
        kustomization("resources:\n- cm.yaml\ncommonLabels:\n  replicas: 3\n"),
        "kustomization.yaml:4:3: the value of 'replicas' must be a string, not int"
        '\n  hint: quote the value, e.g. replicas: "3"',
    ),
    "label-value-false": (
        kustomization("resources:\n- cm.yaml\ncommonAnnotations:\n  enabled: false\n"),
        "kustomization.yaml:4:3: the value of 'enabled' must be a string, not bool"
        '\n  hint: quote the value, e.g. enabled: "false"',
    ),
    "patch-with-path-and-inline": (
        kustomization("resources:\n- cm.yaml\npatches:\n- path: p.yaml\n  patch: '{}'\n"),
        "kustomization.yaml:4:3: a patch needs exactly one of 'path' and 'patch'"
        "\n  hint: point 'path' at a patch file or write the patch inline under 'patch'",
    ),
    "generator-options-a-list": (
        kustomization("resources:\n- cm.yaml\ngeneratorOptions:\n- immutable\n"),
        "kustomization.yaml:3:1: generator options must be a mapping"
        "\n  hint: write key: value pairs",
    ),
    "generator-entry-options-a-string": (
        kustomization(
            "configMapGenerator:\n- name: c\n  literals:\n  - a=b\n  options: immutable\n"
        ),
        "kustomization.yaml:5:3: generator options must be a mapping"
        "\n  hint: write key: value pairs",
    ),
    "strategic-patch-file-a-list": (
        kustomization(
            ("resources:\n- cm.yaml\npatchesStrategicMerge:\n- p.yaml\n"), {"p.yaml": "- a\n"}
        ),
        "p.yaml:1: a strategic merge patch must be a YAML mapping"
        "\n  hint: write the patch as a partial Kubernetes object",
    ),
    "patch-target-a-string": (
        kustomization("resources:\n- cm.yaml\npatches:\n- target: ConfigMap\n  patch: '[]'\n"),
        "kustomization.yaml:4:3: a patch target must be a mapping"
        "\n  hint: write target: {kind: ..., name: ...}",
    ),
    "patch-empty": (
        kustomization(
            ("resources:\n- cm.yaml\npatches:\n- path: p.yaml\n"), {"p.yaml": "# nothing\n"}
        ),
        "kustomization.yaml:4:3: the patch is empty"
        "\n  hint: write a strategic merge patch or a JSON 6902 list",
    ),
    "json6902-patch-without-target": (
        kustomization(
            "resources:\n- cm.yaml\npatches:\n- patch: |\n    - op: remove\n      path: /data/a\n"
        ),
        "kustomization.yaml:4:3: a JSON 6902 patch needs a 'target'"
        "\n  hint: add target: {kind: ..., name: ...} to say which object to patch",
    ),
    "patch-a-scalar": (
        kustomization(
            ("resources:\n- cm.yaml\npatches:\n- path: p.yaml\n"), {"p.yaml": "just text\n"}
        ),
        "p.yaml:1: a patch must be a YAML mapping or a list of JSON 6902 operations"
        "\n  hint: write a partial object (strategic merge) or a list of {op, path, value}",
    ),
    "patches-json6902-a-mapping": (
        kustomization(
            "resources:\n"
            "- cm.yaml\n"
            "patchesJson6902:\n"
            "- target:\n"
            "    kind: ConfigMap\n"
            "    name: x\n"
            "  patch: '{op: remove}'\n"
        ),
        "kustomization.yaml:4:3: a patchesJson6902 patch must be a list of operations"
        "\n  hint: write the patch as a list of {op, path, value}",
    ),
    "patch-target-bad-regex": (
        labelling_patch("name: 'x('"),
        "kustomization.yaml:4:3: invalid regular expression 'x(' in the patch target's name: missing ), unterminated subpattern"
        "\n  hint: target name and namespace are anchored regular expressions; escape special characters such as '[', '(' and '*' with a backslash",
    ),
    "patch-target-bad-selector": (
        labelling_patch("labelSelector: 'app in x'"),
        "kustomization.yaml:4:3: invalid selector in patch target: unable to parse requirement at 'app in x'"
        "\n  hint: use the Kubernetes label selector syntax, e.g. app=web,tier in (a,b)",
    ),
    "patch-file-outside-directory": (
        kustomization(
            "resources:\n- cm.yaml\npatches:\n- path: ../p.yaml\n", {"p.yaml": "[]\n"}, "app/"
        ),
        "app/kustomization.yaml:4:3: patch file '../p.yaml' is outside the kustomization directory"
        "\n  hint: Kustomize only loads files in or below the kustomization's own directory; move the file there",
    ),
    "replacement-without-source": (
        replacement(None),
        "kustomization.yaml:4:3: replacement failed: a replacement needs a 'source'"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "replacement-source-matches-nothing": (
        replacement("source:\n    kind: Secret\n    name: s\n"),
        "kustomization.yaml:4:3: replacement failed: nothing selected by source kind=Secret, name=s"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "replacement-source-matches-two": (
        replacement("source:\n    kind: ConfigMap\n", second=True),
        "kustomization.yaml:5:3: replacement failed: more than one object matches source kind=ConfigMap"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "replacement-source-field-missing": (
        replacement("source:\n    kind: ConfigMap\n    fieldPath: data.missing\n"),
        "kustomization.yaml:4:3: replacement failed: fieldPath 'data.missing' is missing in the source ConfigMap 'x'"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "replacement-delimiter-index-out-of-range": (
        replacement(
            "source:\n"
            "    kind: ConfigMap\n"
            "    fieldPath: data.a\n"
            "    options:\n"
            "      delimiter: ':'\n"
            "      index: 3\n"
        ),
        "kustomization.yaml:4:3: replacement failed: options.index 3 is out of range: the value of "
        "'data.a' splits into 1 piece(s) at the delimiter"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "replacement-wildcard-over-a-mapping": (
        kustomization(
            "resources:\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n"
            "    fieldPath: data.a\n  targets:\n  - select:\n      kind: ConfigMap\n"
            "    fieldPaths:\n    - data.*\n"
        ),
        "kustomization.yaml:4:3: replacement failed: unable to find field 'data.*' in replacement target ConfigMap 'x'"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "replacement-target-parent-missing": (
        kustomization(
            "resources:\n- cm.yaml\nreplacements:\n- source:\n    kind: ConfigMap\n"
            "    fieldPath: data.a\n  targets:\n  - select:\n      kind: ConfigMap\n"
            "    fieldPaths:\n    - spec.missing.deeper\n"
        ),
        "kustomization.yaml:4:3: replacement failed: unable to find field 'spec.missing.deeper' in replacement target ConfigMap 'x'"
        "\n  hint: check the source and target selectors and field paths of this replacement",
    ),
    "strategic-patch-without-kind-or-name": (
        targeted_patch("kind: ConfigMap", "'{metadata: {labels: {a: b}}}'"),
        "kustomization.yaml:4:3: the strategic merge patch has no 'kind' and no 'metadata.name'"
        "\n  hint: start the patch with the kind and metadata.name of the object it changes (with a target, any name will do)",
    ),
    "strategic-patch-without-name": (
        targeted_patch("kind: ConfigMap", "'{kind: ConfigMap, metadata: {labels: {a: b}}}'"),
        "kustomization.yaml:4:3: the strategic merge patch has no 'metadata.name'"
        "\n  hint: start the patch with the kind and metadata.name of the object it changes (with a target, any name will do)",
    ),
    "legacy-strategic-patch-without-kind": (
        kustomization(
            "resources:\n"
            "- cm.yaml\n"
            "patchesStrategicMerge:\n"
            "- |\n"
            "  {metadata: {name: x, labels: {a: b}}}\n"
        ),
        "kustomization.yaml:4:3: the strategic merge patch has no 'kind'"
        "\n  hint: start the patch with the kind and metadata.name of the object it changes (with a target, any name will do)",
    ),
    "resource-not-a-mapping": (
        kustomization(("resources:\n- cm.yaml\n- list.yaml\n"), {"list.yaml": "- a\n"}),
        "list.yaml:1: a resource must be a YAML mapping"
        "\n  hint: each document in a resource file must be one Kubernetes object",
    ),
    "resource-without-kind": (
        kustomization(
            ("resources:\n- cm.yaml\n- bad.yaml\n"),
            {"bad.yaml": ("apiVersion: v1\nmetadata:\n  name: y\n")},
        ),
        "bad.yaml:1: resource is missing 'apiVersion' or 'kind'"
        "\n  hint: every Kubernetes object needs apiVersion, kind and metadata.name",
    ),
    "resource-without-name": (
        kustomization(
            ("resources:\n- cm.yaml\n- bad.yaml\n"),
            {"bad.yaml": ("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n")},
        ),
        "bad.yaml:1: ConfigMap has no metadata.name"
        "\n  hint: every Kubernetes object needs apiVersion, kind and metadata.name",
    ),
    "literal-without-equals": (
        kustomization("configMapGenerator:\n- name: c\n  literals:\n  - novalue\n"),
        "kustomization.yaml:4:5: configMapGenerator 'c': literal 1 is not of the form key=value "
        "(not quoted: it may hold a value)"
        "\n  hint: write literals as KEY=VALUE",
    ),
    "file-source-without-path": (
        kustomization("configMapGenerator:\n- name: c\n  files:\n  - key=\n"),
        "kustomization.yaml:4:5: file source 'key=' is not of the form [key=]path"
        "\n  hint: write files as path or key=path",
    ),
    "env-file-not-utf8": (
        kustomization(
            ("configMapGenerator:\n- name: c\n  envs:\n  - a.env\n"), {"a.env": b"A=\xff\n"}
        ),
        "kustomization.yaml:4:5: env file 'a.env' is not UTF-8 text"
        "\n  hint: use 'files' for binary content",
    ),
    "component-is-a-kustomization": (
        kustomization(
            ("resources:\n- cm.yaml\ncomponents:\n- comp\n"),
            {"comp/kustomization.yaml": "namePrefix: a-\n"},
        ),
        "kustomization.yaml:4:3: 'comp' is a Kustomization, not a Component"
        "\n  hint: set kind: Component (apiVersion kustomize.config.k8s.io/v1alpha1) there, or list the directory under 'resources'",
    ),
    "component-without-kustomization-file": (
        kustomization(("resources:\n- cm.yaml\ncomponents:\n- comp\n"), {"comp/readme.md": "x\n"}),
        "kustomization.yaml:4:3: 'comp' has no kustomization file"
        "\n  hint: add a kustomization.yaml to 'comp'",
    ),
    "replacement-file-item-not-a-mapping": (
        kustomization(
            "resources:\n- cm.yaml\nreplacements:\n- path: r.yaml\n", {"r.yaml": "- just text\n"}
        ),
        "r.yaml:1: a replacement must be a mapping with 'source' and 'targets'"
        "\n  hint: write each replacement as {source: ..., targets: [...]}",
    ),
    "field-far-from-any-known-one": (
        kustomization("resources:\n- cm.yaml\nflavour: mint\n"),
        "kustomization.yaml:3:1: unknown field 'flavour' in kustomization"
        "\n  hint: check the spelling against the Kustomization reference in docs/overlays.md",
    ),
}

# Kustomize builds these, silently doing something the author cannot have meant (an added
# null, a key at the top level, a patch dropped): we refuse them with the reason instead.
REFUSED_BY_US: dict[str, tuple[dict[str, str | bytes], str]] = {
    "port-patch-without-the-protocol-the-original-gives": (
        kustomization(
            "resources:\n- svc.yaml\npatches:\n- patch: |\n    apiVersion: v1\n"
            "    kind: Service\n    metadata:\n      name: web\n    spec:\n"
            "      ports:\n      - {port: 80, targetPort: 8080}\n",
            {
                "svc.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n"
                "  ports:\n  - {port: 80, protocol: TCP}\n"
            },
        ),
        "kustomization.yaml:4:3: strategic merge patch failed on Service 'web': some items of"
        " 'ports' give 'protocol' and some do not; Kustomize then drops patch items and ignores"
        " deletions"
        "\n  hint: give every port its number and protocol, or replace the list with $patch: replace",
    ),
    "patch-option-misspelt": (
        targeted_patch(
            "kind: ConfigMap\n  options: {allowNamechange: true}",
            "|\n    - {op: add, path: /data/b, value: c}",
        ),
        "kustomization.yaml:6:13: unknown field 'allowNamechange'"
        "\n  hint: did you mean 'allowNameChange'? allowed here: allowKindChange, allowNameChange, allowNoMatch",
    ),
    "json6902-value-missing": (
        json_patch("- op: add\n  path: /data/b\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': operation 0 ('add') has no 'value'"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-relative-path": (
        json_patch("- op: replace\n  path: data/a\n  value: b\n"),
        "kustomization.yaml:5:3: JSON 6902 patch failed on ConfigMap 'x': operation 0: path 'data/a' must start with '/'"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-leading-zero-index": (
        json_patch(
            ("- op: remove\n  path: /spec/template/spec/containers/00\n"), "Deployment", "web"
        ),
        "kustomization.yaml:5:3: JSON 6902 patch failed on Deployment 'web': invalid list index '00' in /spec/template/spec/containers/00"
        "\n  hint: check the operation's path against the object (paths are JSON pointers like /spec/replicas)",
    ),
    "json6902-replace-document-with-scalar": (
        json_patch('- op: replace\n  path: ""\n  value: text\n'),
        "kustomization.yaml:5:3: JSON 6902 patch turned ConfigMap 'x' into something that is not an object"
        "\n  hint: patch fields of the object, not the whole document",
    ),
    "two-documents": (
        kustomization("resources:\n- cm.yaml\n---\nnamePrefix: a-\n"),
        "kustomization.yaml:4: a kustomization file must hold exactly one YAML document"
        "\n  hint: remove the extra '---' documents",
    ),
    "image-field-misspelled": (
        kustomization("resources:\n- cm.yaml\nimages:\n- name: app\n  newtag: v2\n"),
        "kustomization.yaml:5:3: unknown field 'newtag'"
        "\n  hint: did you mean 'newTag'? allowed here: digest, name, newName, newTag",
    ),
    # Go's encoding/json matches field names case-insensitively: Kustomize reads this as
    # namePrefix, which the file does not say
    "field-in-the-wrong-case": (
        kustomization("resources:\n- cm.yaml\nnameprefix: a-\n"),
        "kustomization.yaml:3:1: unknown field 'nameprefix' in kustomization"
        "\n  hint: did you mean 'namePrefix'?",
    ),
    "generator-unknown-behavior": (
        kustomization("configMapGenerator:\n- name: c\n  behavior: upsert\n  literals:\n  - a=b\n"),
        "kustomization.yaml:3:3: unknown behavior 'upsert'"
        "\n  hint: use one of: create, merge, replace",
    ),
    "env-line-without-equals": (
        kustomization(
            ("configMapGenerator:\n- name: c\n  envs:\n  - a.env\n"),
            {"a.env": ("A=1\nJUST_A_WORD\n")},
        ),
        "kustomization.yaml:4:5: a.env:2: the line has no '=' (not quoted: it may hold a value)"
        "\n  hint: write KEY=VALUE; values are never taken from the environment here",
    ),
    "env-key-with-space": (
        kustomization(
            ("configMapGenerator:\n- name: c\n  envs:\n  - a.env\n"), {"a.env": "MY KEY=1\n"}
        ),
        "kustomization.yaml:4:5: a.env:1: 'MY KEY' is not a valid key"
        "\n  hint: keys may not be empty or contain spaces",
    ),
}


def _build(root: Path) -> None:
    build(root / "app" if (root / "app").is_dir() else root, root)


@pytest.mark.parametrize(
    ("files", "message"),
    [*REFUSED_BY_BOTH.values(), *REFUSED_BY_US.values()],
    ids=[*REFUSED_BY_BOTH, *REFUSED_BY_US],
)
def test_bad_kustomization_is_refused_with_position_and_hint(
    tmp_path: Path, files: dict[str, str | bytes], message: str
) -> None:
    write_tree(tmp_path, files)
    with pytest.raises(GeneratorError) as caught:
        _build(tmp_path)
    assert str(caught.value) == message


@cache
def _kubectl_codes(root: Path) -> dict[str, int]:
    """`kubectl kustomize` over every case at once, in threads."""
    assert KUBECTL is not None

    def run(name: str) -> int:
        case = write_tree(root / name, REFUSED_BY_BOTH[name][0])
        target = case / "app" if (case / "app").is_dir() else case
        return subprocess.run(
            [KUBECTL, "kustomize", str(target)], capture_output=True, check=False
        ).returncode

    with ThreadPoolExecutor(max_workers=8) as pool:
        return dict(zip(REFUSED_BY_BOTH, pool.map(run, REFUSED_BY_BOTH), strict=True))


@pytest.fixture(scope="module")
def kubectl_codes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, int]:
    return _kubectl_codes(tmp_path_factory.mktemp("kubectl"))


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH")
@pytest.mark.parametrize("name", list(REFUSED_BY_BOTH))
def test_kubectl_kustomize_refuses_the_same_input(kubectl_codes: dict[str, int], name: str) -> None:
    assert kubectl_codes[name] != 0
