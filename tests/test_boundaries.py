"""Hostile or broken input through every engine and overlay: exit 2 with file:line and a hint,
never a traceback (exit 3), and rendered/ untouched."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import MINIMAL, run_cli, snapshot, write_tree

OVERLAY = "overlays/clusters/dev-1/web/"
DEV = MINIMAL["catalog/environments/dev.yaml"]


def jinja(expression: str) -> dict[str, str | bytes]:
    """A template whose line 6 evaluates `expression`."""
    return {
        "charts/web/t.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n"
        f'  x: "{{{{ {expression} }}}}"\n'
    }


JINJA_HINT = "  hint: fix the expression on that line or the values it reads (their types)\n"
SIZE_HINT = (
    "  hint: keep strings and lists under 1,000,000 items, integers under 64,000 bits and "
    "ranges under 100,000\n"
)
RANDOM_HINT = (
    "  hint: rendered/ must be byte-identical on every machine: write the value into the "
    "catalog, or derive it from one with `| sha256`\n"
)
CONTROL_HINT = (
    '  hint: remove it; write it as an escape ("\\x1b") inside a double-quoted string if the '
    "value needs it\n"
)
BOMB_LEVELS = "".join(
    f"  a{i + 1}: ${{values.a{i}}}${{values.a{i}}}${{values.a{i}}}${{values.a{i}}}\n"
    for i in range(20)
)

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n"
OBJECT = "apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n"
RBAC = "rbac.authorization.k8s.io/v1"
CHART = "apiVersion: v2\nname: h\nversion: 0.1.0\n"
HELM = {
    "catalog/operators/020-h.yaml": "namespace: h\n",
    "charts/h/Chart.yaml": CHART,
    "charts/h/templates/cm.yaml": OBJECT.format(api="v1", kind="ConfigMap", name="h"),
}

CASES: dict[str, tuple[dict[str, str | bytes], str]] = {
    # YAML: characters YAML forbids, on both parser paths (catalog: libyaml; manifests: the
    # Rust parser, which would stop at a NUL and keep the truncated value)
    "nul_in_catalog": (
        {"catalog/environments/dev.yaml": DEV.encode() + b'  a: "x\x00y"\n'},
        "error: catalog/environments/dev.yaml:5:8: malformed YAML: control character U+0000 is "
        "not allowed\n" + CONTROL_HINT,
    ),
    "esc_in_catalog": (
        {"catalog/environments/dev.yaml": DEV.encode() + b"  a: x\x1by\n"},
        "error: catalog/environments/dev.yaml:5:7: malformed YAML: control character U+001B is "
        "not allowed\n" + CONTROL_HINT,
    ),
    "nul_in_kustomization": (
        {OVERLAY + "kustomization.yaml": b"commonLabels:\n  a: x\x00y\n"},
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:7: malformed YAML: control "
        "character U+0000 is not allowed\n" + CONTROL_HINT,
    ),
    "esc_in_kustomization": (
        {OVERLAY + "kustomization.yaml": b"commonLabels:\n  a: x\x1by\n"},
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:7: malformed YAML: control "
        "character U+001B is not allowed\n" + CONTROL_HINT,
    ),
    "nul_in_manifest": (
        {
            "charts/web/n.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n"
            b"data:\n  x: a\x00b\n"
        },
        "error: charts/web/n.yaml:6:7: malformed YAML: control character U+0000 is not "
        "allowed\n" + CONTROL_HINT,
    ),
    "integer_over_4300_digits_in_catalog": (
        {"catalog/environments/dev.yaml": DEV + "  big: " + "9" * 5000 + "\n"},
        "error: catalog/environments/dev.yaml:5:8: malformed YAML: integer has more than 4,300 "
        "digits\n  hint: quote it if it is meant as text\n",
    ),
    "integer_over_4300_digits_in_manifest": (
        {
            "charts/web/n.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: n\n"
            "data:\n  x: " + "9" * 5000 + "\n"
        },
        "error: charts/web/n.yaml:6:6: malformed YAML: integer has more than 4,300 digits\n"
        "  hint: quote it if it is meant as text\n",
    ),
    "exponential_interpolation": (
        {"catalog/environments/dev.yaml": DEV + "  a0: xxxxxxxxxx\n" + BOMB_LEVELS},
        "error: catalog/environments/dev.yaml:14:3: values.a9: interpolation makes a string of "
        "2,621,440 characters (the limit is 1,000,000)\n  hint: references that embed each "
        "other several times grow exponentially; reference the value once\n",
    ),
    # Jinja: expressions that fail on their values, sizes, recursion, randomness
    "jinja_division_by_zero": (
        jinja("1/0"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template expression failed: division by zero "
        "(ZeroDivisionError)\n" + JINJA_HINT,
    ),
    "jinja_string_plus_number": (
        jinja('"a"+1'),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template expression failed: can only "
        'concatenate str (not "int") to str (TypeError)\n' + JINJA_HINT,
    ),
    "jinja_dictsort_mixed_keys": (
        jinja("{1: 2, 'a': 3} | dictsort"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template expression failed: '<' not "
        "supported between instances of 'str' and 'int' (TypeError)\n" + JINJA_HINT,
    ),
    "jinja_sum_of_strings": (
        jinja("['a', 'b'] | sum"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template expression failed: unsupported "
        "operand type(s) for +: 'int' and 'str' (TypeError)\n" + JINJA_HINT,
    ),
    "jinja_percent_format": (
        jinja('"%d" % "x"'),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template expression failed: %d format: a real "
        "number is required, not str (TypeError)\n" + JINJA_HINT,
    ),
    "jinja_range_too_big": (
        jinja("range(1000000) | list | length"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template builds a value that is too large: "
        "Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000) "
        "(OverflowError)\n" + SIZE_HINT,
    ),
    "jinja_huge_string": (
        jinja('"a" * 1000000000'),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template builds a value that is too large: a "
        "value of length 1 repeated 1000000000 times\n" + SIZE_HINT,
    ),
    "jinja_huge_power": (
        jinja("10 ** 10000000"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template builds a value that is too large: "
        "10 ** 10000000 has more than 64000 bits\n" + SIZE_HINT,
    ),
    "jinja_huge_padding": (
        jinja("'x'.ljust(2000000000)"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template builds a value that is too large: a "
        "string of length 2000000000\n" + SIZE_HINT,
    ),
    "jinja_huge_center": (
        jinja("'x' | center(2000000000)"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template builds a value that is too large: "
        "`center` to width 2000000000\n" + SIZE_HINT,
    ),
    "jinja_integer_too_long_to_print": (
        jinja("10 ** 4400"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: template expression failed: Exceeds the "
        "limit (4300 digits) for integer string conversion (ValueError)\n" + JINJA_HINT,
    ),
    "jinja_tojson_of_undefined": (
        jinja("nope | tojson"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: undefined name 'nope'\n  hint: templates "
        "see: cluster, component, environment, platform, values (docs/catalog.md)\n",
    ),
    "jinja_recursive_macro": (
        {
            "charts/web/t.yaml.j2": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\n"
            '{% macro f(n) %}{{ f(n) }}{% endmacro %}\ndata:\n  x: "{{ f(1) }}"\n'
        },
        "error: charts/web/t.yaml.j2:5: dev-1/web: template recursion is too deep (a macro or "
        "include that calls itself without end)\n  hint: give the recursive macro a condition "
        "that stops it\n",
    ),
    "jinja_random": (
        jinja("[1, 2, 3] | random"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: 'random' gives different output on every "
        "render\n" + RANDOM_HINT,
    ),
    "jinja_lipsum": (
        jinja("lipsum()"),
        "error: charts/web/t.yaml.j2:6: dev-1/web: 'lipsum' gives different output on every "
        "render\n" + RANDOM_HINT,
    ),
    # overlays: files that are not UTF-8, patches and replacements of the wrong type
    "kustomization_not_utf8": (
        {OVERLAY + "kustomization.yaml": b"commonLabels:\n  a: caf\xe9\n"},
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:9: file is not valid UTF-8 "
        "(byte 0xe9)\n  hint: save the file as UTF-8\n",
    ),
    "overlay_resource_not_utf8": (
        {
            OVERLAY + "kustomization.yaml": "resources:\n- x.yaml\n",
            OVERLAY + "x.yaml": b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: z\n"
            b"data:\n  a: caf\xe9\n",
        },
        "error: overlays/clusters/dev-1/web/x.yaml:6:9: file is not valid UTF-8 (byte 0xe9)\n"
        "  hint: save the file as UTF-8\n",
    ),
    "overlay_patch_not_utf8": (
        {
            OVERLAY + "kustomization.yaml": "patches:\n- path: p.yaml\n",
            OVERLAY + "p.yaml": b"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
            b"  annotations:\n    a: caf\xe9\n",
        },
        "error: overlays/clusters/dev-1/web/p.yaml:6:11: file is not valid UTF-8 (byte 0xe9)\n"
        "  hint: save the file as UTF-8\n",
    ),
    "overlay_configurations_not_utf8": (
        {
            OVERLAY + "kustomization.yaml": "configurations:\n- c.yaml\n",
            OVERLAY + "c.yaml": b"nameReference:\n- kind: caf\xe9\n",
        },
        "error: overlays/clusters/dev-1/web/c.yaml:2:12: file is not valid UTF-8 (byte 0xe9)\n"
        "  hint: save the file as UTF-8\n",
    ),
    "strategic_merge_patch_list_field_of_wrong_type": (
        {
            OVERLAY + "kustomization.yaml": "patches:\n- path: p.yaml\n",
            OVERLAY + "p.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
            "  namespace: web\nspec:\n  template:\n    spec:\n      containers: 5\n",
        },
        "error: overlays/clusters/dev-1/web/p.yaml:1: strategic merge patch failed on "
        "Deployment 'web/web': 'containers' must be a list, not int 5\n  hint: write "
        "'containers' as a list of items, each with its 'name'\n",
    ),
    "replacement_index_not_an_integer": (
        {
            OVERLAY + "kustomization.yaml": "replacements:\n"
            "- source: {kind: ConfigMap, name: web-settings, fieldPath: data.mode}\n"
            "  targets:\n  - select: {kind: Deployment}\n"
            "    fieldPaths: [spec.template.spec.containers.0.image]\n"
            "    options: {delimiter: ':', index: x}\n"
        },
        "error: overlays/clusters/dev-1/web/kustomization.yaml:2:3: replacement failed: "
        "options.index must be an integer, not 'x'\n  hint: check the source and target "
        "selectors and field paths of this replacement\n",
    ),
    "binary_tag_in_manifest": (
        {"charts/web/n.yaml": CM.format(name="s") + "  x: !!binary aGVsbG8=\n"},
        "error: charts/web/n.yaml:6:6: malformed YAML: the !!binary tag is not supported\n  hint: write the base64 text without the tag (Secret data is base64 already)\n",
    ),
    # identity: what Kubernetes accepts as apiVersion, kind and name, before it becomes a path
    "kind_over_250_characters": (
        {"charts/web/n.yaml": OBJECT.format(api="v1", kind="K" * 300, name="n")},
        "error: charts/web/n.yaml:1: dev-1/web: kind 'KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK...' (300 characters) is not a Kubernetes kind\n  hint: write the kind in CamelCase letters and digits, at most 63 characters\n",
    ),
    "api_version_over_250_characters": (
        {"charts/web/n.yaml": OBJECT.format(api="a" * 300 + "/v1", kind="ConfigMap", name="n")},
        "error: charts/web/n.yaml:1: dev-1/web: apiVersion 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' (303 characters) is not a Kubernetes API version\n  hint: write <group>/<version> (apps/v1) or a core version (v1)\n",
    ),
    "name_over_253_characters": (
        {"charts/web/n.yaml": CM.format(name="n" * 300)},
        "error: charts/web/n.yaml:1: dev-1/web: ConfigMap 'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...' (300 characters): metadata.name is not a valid Kubernetes name\n  hint: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters\n",
    ),
    "name_not_a_kubernetes_name": (
        {"charts/web/n.yaml": CM.format(name="a_b")},
        "error: charts/web/n.yaml:1: dev-1/web: ConfigMap 'a_b': metadata.name is not a valid Kubernetes name\n  hint: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters\n",
    ),
    "names_differing_in_case": (
        {"charts/web/n.yaml": CM.format(name="Foo") + "---\n" + CM.format(name="foo")},
        "error: charts/web/n.yaml:1: dev-1/web: ConfigMap 'Foo': metadata.name is not a valid Kubernetes name\n  hint: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters\n",
    ),
    "rbac_names_colliding_after_normalisation": (
        {
            "charts/web/n.yaml": OBJECT.format(api=RBAC, kind="ClusterRole", name="a b")
            + "---\n"
            + OBJECT.format(api=RBAC, kind="ClusterRole", name="a:b")
        },
        "error: charts/web/n.yaml:6: ClusterRole a:b and ClusterRole a b (charts/web/n.yaml:1) would both be written to 'rendered/dev-1/010-web/clusterrole-rbac.authorization.k8s.io-a_b.yaml'\n  hint: rename one of them: file names are lower case, with characters other than letters, digits, '.', '-' and '_' replaced by '_'\n",
    ),
    "rbac_names_differing_in_case": (
        {
            "charts/web/n.yaml": OBJECT.format(api=RBAC, kind="ClusterRole", name="Admin")
            + "---\n"
            + OBJECT.format(api=RBAC, kind="ClusterRole", name="admin")
        },
        "error: charts/web/n.yaml:6: ClusterRole admin and ClusterRole Admin (charts/web/n.yaml:1) would both be written to 'rendered/dev-1/010-web/clusterrole-rbac.authorization.k8s.io-admin.yaml'\n  hint: rename one of them: file names are lower case, with characters other than letters, digits, '.', '-' and '_' replaced by '_'\n",
    ),
    "labels_not_a_mapping": (
        {
            "charts/web/n.yaml": OBJECT.format(api="v1", kind="ConfigMap", name="n")
            + "  labels: [a]\n"
        },
        "error: charts/web/n.yaml:1: dev-1/web: ConfigMap 'n': metadata.labels is not a mapping\n  hint: write metadata.labels as key: value pairs\n",
    ),
    # Helm: Chart.yaml and subcharts the engine reads before Helm runs, and what Helm renders
    "chart_dependencies_not_a_list": (
        {**HELM, "charts/h/Chart.yaml": CHART + "dependencies: 5\n"},
        "error: charts/h/Chart.yaml:4:15: Chart.yaml: dependencies must be a list\n  hint: write dependencies as a list of {name, version, repository} entries\n",
    ),
    "chart_dependency_without_name": (
        {**HELM, "charts/h/Chart.yaml": CHART + "dependencies:\n- version: 1.0.0\n"},
        "error: charts/h/Chart.yaml:5:3: Chart.yaml: dependencies[0] has no name\n  hint: give every dependency a name (and version, repository)\n",
    ),
    "chart_duplicate_key": (
        {**HELM, "charts/h/Chart.yaml": CHART + "name: h\n"},
        "error: charts/h/Chart.yaml:4:1: malformed YAML: key 'name' appears twice in this mapping\n  hint: remove one of them\n",
    ),
    "chart_not_utf8": (
        {**HELM, "charts/h/Chart.yaml": CHART.encode() + b"description: caf\xe9\n"},
        "error: charts/h/Chart.yaml:4:17: file is not valid UTF-8 (byte 0xe9)\n  hint: save the file as UTF-8\n",
    ),
    "chart_annotations_not_a_mapping": (
        {**HELM, "charts/h/Chart.yaml": CHART + "annotations: 5\n"},
        "error: charts/h/Chart.yaml:4:14: Chart.yaml: annotations must be a mapping\n  hint: write annotations as key: value pairs\n",
    ),
    "chart_binary_tag": (
        {**HELM, "charts/h/Chart.yaml": CHART + "description: !!binary aGVsbG8=\n"},
        "error: charts/h/Chart.yaml:4:14: malformed YAML: unsupported YAML tag 'tag:yaml.org,2002:binary'\n  hint: write the value without a tag\n",
    ),
    "subchart_not_a_tar": (
        {**HELM, "charts/h/charts/sub-0.1.0.tgz": "not a tar"},
        "error: charts/h/charts/sub-0.1.0.tgz: subchart archive is not a readable gzipped tar file\n  hint: vendor subcharts with `helm dependency build` (or `helm package`), or unpack it into a folder\n",
    ),
    "subchart_malformed_chart_yaml": (
        {**HELM, "charts/h/charts/sub/Chart.yaml": "apiVersion: v2\nname: [\n"},
        "error: charts/h/charts/sub/Chart.yaml:3:1: malformed YAML: did not find expected node content\n  hint: fix the YAML syntax at that position (indentation, quoting, a missing ':')\n",
    ),
    "helm_object_annotations_not_a_mapping": (
        {
            **HELM,
            "charts/h/templates/cm.yaml": OBJECT.format(api="v1", kind="ConfigMap", name="h")
            + "  annotations: 5\n",
        },
        "error: charts/h/templates/cm.yaml:1: dev-1/h: template 'h/templates/cm.yaml' rendered metadata.annotations that is not a mapping\n  hint: write annotations as key: value pairs (toYaml of a map, under nindent)\n",
    ),
    # Helm: output that would differ between renders, values Helm drops with a warning
    "helm_random_value": (
        {
            **HELM,
            "charts/h/templates/cm.yaml": CM.format(name="h")
            + "  x: {{ randAlphaNum 8 | quote }}\n",
        },
        "error: charts/h/templates/cm.yaml:6: dev-1/h: chart 'h' renders 'h/templates/cm.yaml' "
        "differently on every run: it calls randAlphaNum\n  hint: rendered/ must be "
        "byte-identical on every machine: set the value the chart would generate (a password, a "
        "certificate) in the catalog, or patch the template to take it from .Values (see "
        "docs/helm.md)\n",
    ),
    "helm_uuid_in_a_helper": (
        {
            **HELM,
            "charts/h/templates/_h.tpl": '{{- define "h.id" -}}\n{{ uuidv4 }}\n{{- end -}}\n',
            "charts/h/templates/cm.yaml": CM.format(name="h") + '  x: {{ include "h.id" . }}\n',
        },
        "error: charts/h/templates/_h.tpl:2: dev-1/h: chart 'h' renders 'h/templates/cm.yaml' "
        "differently on every run: it calls uuidv4\n  hint: rendered/ must be byte-identical on "
        "every machine: set the value the chart would generate (a password, a certificate) in "
        "the catalog, or patch the template to take it from .Values (see docs/helm.md)\n",
    ),
    "helm_clock": (
        {
            **HELM,
            "charts/h/templates/cm.yaml": CM.format(name="h")
            + '  x: {{ now | date "2006-01-02" }}\n',
        },
        "error: charts/h/templates/cm.yaml:6: dev-1/h: chart 'h' reads the clock (now): its "
        "output would change from day to day\n  hint: rendered/ must be byte-identical on every "
        "machine: write the date or time into the catalog and read it from .Values (see "
        "docs/helm.md)\n",
    ),
    "helm_strict_missing_value": (
        {
            **HELM,
            "catalog/platform.yaml": MINIMAL["catalog/platform.yaml"] + "helm: {strict: true}\n",
            "charts/h/templates/cm.yaml": CM.format(name="h")
            + '  args: "--leader-elect={{ .Values.leaderElect }}"\n',
        },
        "error: charts/h/templates/cm.yaml:6:35: dev-1/h: template reads .Values.leaderElect, "
        "which is not set (helm.strict)\n  hint: set leaderElect in the catalog (operator "
        "values) or the chart's values.yaml, or guard it with `default` / `if`\n",
    ),
    "helm_drops_a_catalog_mapping_over_a_scalar": (
        {
            **HELM,
            "catalog/operators/020-h.yaml": "namespace: h\nvalues:\n  x: {a: 1}\n",
            "charts/h/values.yaml": "x: 5\n",
        },
        "error: catalog/operators/020-h.yaml:1:1: dev-1/h: Helm dropped a value: skipped value "
        "for h.x: Not a table\n  hint: give the value the shape the chart's values.yaml has (a "
        "mapping where the chart has a mapping, a scalar where it has a scalar), or null to unset "
        "it\n",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_exit_2_with_place_and_hint(minimal_repo: Path, case: str) -> None:
    files, expected = CASES[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (2, expected)
    assert snapshot(minimal_repo / "rendered") == before


def test_stray_file_under_rendered_that_is_not_utf8_is_pruned(minimal_repo: Path) -> None:
    write_tree(minimal_repo, {"rendered/dev-1/stray.yaml": b"caf\xe9\n"})
    assert run_cli(["render", "--check", "--repo", str(minimal_repo)]).out.splitlines() == [
        "removed: rendered/dev-1/stray.yaml"
    ]
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 0, result.err
    assert not (minimal_repo / "rendered/dev-1/stray.yaml").exists()


def test_every_engine_error_of_a_run_is_reported_not_only_the_first(minimal_repo: Path) -> None:
    write_tree(
        minimal_repo,
        {
            **jinja("1/0"),
            **HELM,
            "charts/h/templates/cm.yaml": OBJECT.format(api="v1", kind="ConfigMap", name="H_"),
        },
    )
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert result.code == 2
    assert result.err.splitlines()[0::2] == [
        "error: charts/h/templates/cm.yaml:1: dev-1/h: ConfigMap 'H_': metadata.name is not a "
        "valid Kubernetes name",
        "charts/web/t.yaml.j2:6: dev-1/web: template expression failed: division by zero "
        "(ZeroDivisionError)",
    ]


def test_a_random_function_whose_result_is_not_used_is_accepted(minimal_repo: Path) -> None:
    """`default (randAlphaNum 8) .Values.pw` calls the function, but the output is the value."""
    write_tree(
        minimal_repo,
        {
            **HELM,
            "catalog/operators/020-h.yaml": "namespace: h\nvalues:\n  pw: fixed\n",
            "charts/h/templates/cm.yaml": CM.format(name="h")
            + "  x: {{ .Values.pw | default (randAlphaNum 8) | quote }}\n",
        },
    )
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert result.code == 0, result.err
    assert "x: fixed" in (minimal_repo / "rendered/dev-1/020-h/configmap-h.yaml").read_text()


def jsonnet(source: str) -> dict[str, str | bytes]:
    return {"catalog/operators/030-j.yaml": "namespace: j\n", "charts/j/main.jsonnet": source}


LIMIT_HINT = (
    "  hint: the component needs more than 300 MB or the evaluator crashed on it; look for huge "
    "arrays, strings or YAML aliases; GENERATOR_COMPONENT_MEMORY_MB raises the memory limit\n"
)
ALIASES = "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(7)
)
# Evaluated with a 300 MB allowance per component (3 s for the loop), in a child process.
JSONNET_CASES: dict[str, tuple[dict[str, str | bytes], str]] = {
    "duplicate_top_level_parameter": (
        # jrsonnet panics ("entered unreachable code") on it
        jsonnet("function(values, values) []"),
        "error: charts/j/main.jsonnet:1:10: dev-1/j: top-level parameter 'values' is declared "
        "twice\n  hint: declare each parameter once\n",
    ),
    "make_array_of_fifty_million": (
        jsonnet("std.makeArray(50000000, function(i) i)"),
        "error: charts/j/main.jsonnet: dev-1/j: the evaluator stopped: killed by SIGABRT (memory "
        "allocation of 1200000000 bytes failed)\n" + LIMIT_HINT,
    ),
    "parse_yaml_alias_bomb": (
        jsonnet(f"std.parseYaml(|||\n  a: &a [x, x, x, x, x, x, x, x, x]\n{ALIASES}|||)"),
        "error: charts/j/main.jsonnet: dev-1/j: the evaluator stopped: killed by SIGABRT (memory "
        "allocation of N bytes failed)\n" + LIMIT_HINT,
    ),
    "endless_loop": (
        jsonnet("std.foldl(function(a, b) a + b, std.range(0, 1000000000), 0)"),
        "error: charts/j/main.jsonnet: dev-1/j: evaluation did not finish within 3 seconds\n"
        "  hint: look for unbounded recursion or very large loops; GENERATOR_COMPONENT_SECONDS "
        "raises the limit\n",
    ),
    "error_inside_a_shipped_library_points_at_the_caller": (
        jsonnet("local k = import 'k8s.libsonnet';\n\n[k.configMap('a', k.env(5))]\n"),
        "error: charts/j/main.jsonnet:3:19: dev-1/j: type error: expected object, got number\n"
        "  stack (rjsonnet):\n"
        "    argument <o> evaluation\n"
        "    generator/jsonnet/k8s.libsonnet:71:2-71:3: function <builtin_object_fields> call\n"
        "    charts/j/main.jsonnet:3:19-28: function <env> call\n"
        "    generator/jsonnet/k8s.libsonnet:210:4-210:5: variable <data> access\n"
        "    argument <o> evaluation\n"
        "    generator/jsonnet/k8s.libsonnet:210:5-210:6: function <builtin_object_fields> call\n"
        "    field <data> manifestification\n"
        "  hint: fix the Jsonnet at the first position of the stack, or the values it reads\n",
    ),
}


@pytest.mark.parametrize("case", sorted(JSONNET_CASES))
def test_jsonnet_evaluation_is_bounded_and_names_the_component(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    monkeypatch.setenv("GENERATOR_COMPONENT_MEMORY_MB", "300")
    monkeypatch.setenv("GENERATOR_COMPONENT_SECONDS", "3" if case == "endless_loop" else "300")
    files, expected = JSONNET_CASES[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    # how much the allocator asked for when it failed depends on the allocator's state
    err = re.sub(r"allocation of \d+ bytes", "allocation of N bytes", result.err)
    if "N bytes" not in expected:
        err = result.err
    assert (result.code, err) == (2, expected)
    assert snapshot(minimal_repo / "rendered") == before


def test_a_jinja_component_is_bounded_in_time(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GENERATOR_COMPONENT_SECONDS", "2")
    loops = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    write_tree(minimal_repo, {"charts/web/t.yaml.j2": loops + "\n"})
    before = snapshot(minimal_repo / "rendered")
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (
        2,
        "error: charts/web/t.yaml.j2:1: dev-1/web: evaluation did not finish within 2 seconds\n"
        "  hint: look for unbounded recursion or very large loops; GENERATOR_COMPONENT_SECONDS "
        "raises the limit\n",
    )
    assert snapshot(minimal_repo / "rendered") == before
