"""Structure-aware property tests over the catalog, components (plain, Jinja, Jsonnet, Helm)
and overlays: whatever the input, a render exits 0, 1 or 2 (never 3), prints no traceback,
writes no plaintext Secret value to rendered/ or to any diff format, and leaves rendered/
untouched when it fails."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import MINIMAL, run_cli, snapshot, write_tree

MARKER = "fuzz-plaintext-4f1c9a"  # a Secret value that must never be written or printed
FORBIDDEN = (MARKER, base64.b64encode(MARKER.encode()).decode())

# Strings that broke something once, or sit on a boundary: control characters, YAML 1.1
# words, references, sizes, names that collide or are invalid. Never MARKER: drawn as a
# catalog value or a name, it would rightly reach rendered/ and messages.
NASTY = [
    "", "a", "web", "x\x00y", "\x1b[31m", "on", "yes", "0755", "1e3", "~", "- [", ": x", "{",
    "'\"", "\u2028", "${values.replicas}", "${values.nope}", "$${x}", "${cluster.name}",
    "9" * 4400, "A" * 300, "Foo", "foo", "a b", "a:b", "a_b", "ns-other", "kube-system",
    "system:masters", "..", "a/b", "%",
]  # fmt: skip
piece = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))
key = st.one_of(st.sampled_from(["replicas", "image", "greeting", "a", "b", "x"]), piece)
scalar = st.one_of(piece, st.integers(-(10**30), 10**30), st.booleans(), st.none(), st.floats())
value = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(key, inner, max_size=3)),
    max_leaves=8,
)

API_VERSIONS = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "V1", "a" * 300 + "/v1", "x"]
KINDS = ["ConfigMap", "Secret", "secret", "ClusterRole", "Deployment", "Namespace", "K" * 300]


@st.composite
def kubernetes_object(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    body: dict[str, Any] = {
        "apiVersion": draw(st.sampled_from(API_VERSIONS)),
        "kind": kind,
        "metadata": {"name": draw(st.one_of(st.sampled_from(["c", "d"]), piece))},
    }
    if draw(st.booleans()):
        body["metadata"]["namespace"] = draw(piece)
    if draw(st.booleans()):
        body["metadata"][draw(st.sampled_from(["labels", "annotations"]))] = draw(value)
    if kind.lower() == "secret":
        field = draw(st.sampled_from(["stringData", "data"]))
        body[field] = {"password": MARKER if field == "stringData" else FORBIDDEN[1]}
    else:
        body["data"] = draw(st.dictionaries(key, value, max_size=3))
    return body


def dump(documents: list[Any]) -> str:
    return yaml.safe_dump_all(documents, allow_unicode=True, sort_keys=False)


JINJA_EXPRESSIONS = [
    "values.replicas", "values.greeting | tojson", "values | tojson", "1/0", "'a' * 3",
    "range(5) | list", "nope", "values.nope", "lipsum()", "[1, 2] | random", "'%d' % 3",
    "cluster.name ~ '-x'", "{1: 2} | dictsort", "10 ** 20", "'x' * 10 ** 7", "values.x | sum",
    "platform.name | b64encode", "fail('no')",
]  # fmt: skip
JSONNET_SOURCES = [
    "[]",
    "{}",
    "std.makeArray(3, function(i) {apiVersion: 'v1', kind: 'ConfigMap', "
    "metadata: {name: 'c' + i}})",
    "error 'boom'",
    "function(values, values) []",
    "local k = import 'k8s.libsonnet'; [k.configMap('a', {b: 'c'})]",
    "local k = import 'k8s.libsonnet'; [k.configMap('a', k.env(5))]",
    "std.parseYaml('a: [1')",
    "{ a: }",
    "function(values) [{apiVersion: 'v1', kind: 'Secret', metadata: {name: 's'}, "
    f"stringData: {{p: '{MARKER}'}}}}]",
]
HELM_ACTIONS = [
    "{{ .Values.x | quote }}", "{{ randAlphaNum 4 }}", '{{ fail "no" }}', "{{ .Values.a.b.c }}",
    '{{ include "nope" . }}', "{{ toYaml .Values | nindent 2 }}", "{{ now }}",
    '{{ .Values.x | default "d" | quote }}', "{{ uuidv4 | quote }}",
]  # fmt: skip
CHART_YAMLS = [
    "apiVersion: v2\nname: h\nversion: 0.1.0\n",
    "apiVersion: v2\nname: h\nversion: 0.1.0\ndependencies: 5\n",
    "apiVersion: v2\nname: h\nversion: 0.1.0\nname: h\n",
    "apiVersion: v2\nname: h\nversion: !!binary aGVsbG8=\n",
    "apiVersion: v2\nversion: 0.1.0\n",
]


@st.composite
def component(draw: st.DrawFn) -> dict[str, str | bytes]:
    """One extra operator `020-c` with a plain, Jinja, Jsonnet or Helm component."""
    operator = "namespace: c\n"
    if draw(st.booleans()):
        operator += dump([{"values": draw(value)}]).replace("---\n", "")
    files: dict[str, str | bytes] = {"catalog/operators/020-c.yaml": operator}
    engine = draw(st.sampled_from(["plain", "jinja", "jsonnet", "helm"]))
    if engine == "plain":
        files["charts/c/a.yaml"] = dump(draw(st.lists(kubernetes_object(), max_size=3)))
    elif engine == "jinja":
        template = dump([draw(kubernetes_object())])
        expression = draw(st.sampled_from(JINJA_EXPRESSIONS))
        files["charts/c/a.yaml.j2"] = template + f"# {{{{ {expression} }}}}\n"
        files["charts/c/b.yaml.j2"] = (
            f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n"
            f'  x: "{{{{ {expression} }}}}"\n'
        )
    elif engine == "jsonnet":
        files["charts/c/main.jsonnet"] = draw(st.sampled_from(JSONNET_SOURCES))
    else:
        files["charts/c/Chart.yaml"] = draw(st.sampled_from(CHART_YAMLS))
        files["charts/c/values.yaml"] = dump([{"x": draw(value)}]).replace("---\n", "")
        files["charts/c/templates/a.yaml"] = (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: h\ndata:\n  x: "
            + draw(st.sampled_from(HELM_ACTIONS))
            + "\n"
        )
    if draw(st.integers(0, 4)) == 0:  # a stray byte somewhere in one file
        name = draw(st.sampled_from(sorted(files)))
        content = files[name]
        data = content.encode() if isinstance(content, str) else content
        at = draw(st.integers(0, len(data)))
        files[name] = (
            data[:at] + draw(st.sampled_from([b"\x00", b"\xe9", b"\x1b", b"\t"])) + data[at:]
        )
    return files


@st.composite
def overlay(draw: st.DrawFn) -> dict[str, str | bytes]:
    """A cluster overlay on the `web` component, built from Kustomize fields."""
    fields = {
        "namePrefix": piece,
        "nameSuffix": piece,
        "namespace": piece,
        "commonLabels": st.dictionaries(piece, piece, max_size=2),
        "commonAnnotations": st.dictionaries(piece, value, max_size=2),
        "images": st.just([{"name": "nginx", "newTag": draw(piece)}]),
        "replicas": st.just([{"name": "web", "count": draw(scalar)}]),
        "patches": st.just([{"path": "p.yaml"}]),
        "replacements": st.just(
            [
                {
                    "source": {
                        "kind": "ConfigMap",
                        "name": "web-settings",
                        "fieldPath": "data.mode",
                    },
                    "targets": [
                        {
                            "select": {"kind": draw(st.sampled_from(KINDS))},
                            "fieldPaths": [
                                draw(st.sampled_from(["metadata.name", "data.x", "spec.replicas"]))
                            ],
                            "options": {"delimiter": draw(piece), "index": draw(scalar)},
                        }
                    ],
                }
            ]
        ),
        "resources": st.just(["extra.yaml"]),
        "secretGenerator": st.just([{"name": "gen", "literals": [f"password={MARKER}"]}]),
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=4, unique=True))
    kustomization = {name: draw(fields[name]) for name in chosen}
    folder = "overlays/clusters/dev-1/web/"
    patch = draw(kubernetes_object())
    patch.update({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}})
    patch["spec"] = {"template": {"spec": {"containers": draw(value)}}}
    return {
        folder + "kustomization.yaml": dump([kustomization]).replace("---\n", ""),
        folder + "p.yaml": dump([patch]),
        folder + "extra.yaml": dump(draw(st.lists(kubernetes_object(), max_size=2))),
    }


catalog_values = st.dictionaries(key, value, max_size=4)


@pytest.fixture(scope="module")
def base_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The minimal platform, rendered and committed (the diff formats read git)."""
    repo = write_tree(tmp_path_factory.mktemp("fuzz") / "repo", MINIMAL)
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    git = ["git", "-c", "user.name=fuzz", "-c", "user.email=fuzz@example.invalid"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "base"], check=True)
    return repo


@contextmanager
def copy_of(base: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield Path(shutil.copytree(base, Path(tmp) / "repo", symlinks=True))


def check_render(base: Path, files: Mapping[str, str | bytes]) -> None:
    with copy_of(base) as repo:
        before = snapshot(repo / "rendered")
        write_tree(repo, files)
        result = run_cli(["render", "--no-cache", "--repo", str(repo)])
        assert result.code in (0, 1, 2), result.err
        assert "Traceback" not in result.err + result.out
        for secret in FORBIDDEN:
            assert secret not in result.err + result.out
        after = snapshot(repo / "rendered")
        if result.code != 0:
            assert after == before, "a failed render changed rendered/"
        for name, data in after.items():
            for secret in FORBIDDEN:
                assert secret.encode() not in data, f"plaintext Secret value in rendered/{name}"
        for output in ("text", "markdown", "json"):
            shown = run_cli(["diff", "--repo", str(repo), "--base", "HEAD", "--format", output])
            assert shown.code in (0, 1, 2), shown.err
            assert "Traceback" not in shown.err
            for secret in FORBIDDEN:
                assert secret not in shown.out + shown.err, f"plaintext in the {output} diff"


@given(catalog_values)
def test_any_catalog_values(base_repo: Path, values: dict[str, Any]) -> None:
    document = {"name": "dev", "order": 10, "values": values}
    check_render(base_repo, {"catalog/environments/dev.yaml": json.dumps(document)})


@given(component())
def test_any_component(base_repo: Path, files: dict[str, str | bytes]) -> None:
    check_render(base_repo, files)


@given(overlay())
def test_any_overlay(base_repo: Path, files: dict[str, str | bytes]) -> None:
    check_render(base_repo, files)
