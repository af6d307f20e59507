"""kubeconform-compatible validation: YAML decoding, schema lookup, CRDs, the verdict cache,
the in-render entry point and the `generator validate` command line."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from generator.model import Manifest, Origin
from generator.validate import run as run_module
from generator.validate import validate_cluster
from generator.validate.core import Options, Status, Validator
from generator.validate.crds import convert, crd_schemas
from generator.validate.decode import DecodeError, decode, split_documents
from generator.validate.run import run
from generator.validate.schemas import LocationError, build_locations, template_values
from tests.conftest import REPO, run_cli, snapshot, write_tree

SHARED_CRDS = REPO / "tests" / "fixtures" / "crds"  # upstream Argo CD and Flux CRDs
V131 = Options(kubernetes_version="1.31.0")


# ---------------------------------------------------------------- decoding


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("y", True),
        ("Yes", True),
        ("on", True),
        ("N", False),
        ("off", False),
        ("FALSE", False),
        ("~", None),
        ("Null", None),
        ("", None),
        ("0x1F", 31),
        ("0o17", 15),
        ("017", 15),
        ("0b101", 5),
        ("1_000", 1000),
        ("+3", 3),
        ("1e3", 1000),
        (".5", 0.5),
        ("3.0", 3),
        ("089", 89),
        ("2024-06-30", "2024-06-30"),
        ("12:30", "12:30"),
        ("!!str 5", "5"),
        ("nope", "nope"),
        ("1.2.3", "1.2.3"),
        ("-x", "-x"),
        ("-0b101", -5),
        ("-089", -89),
        ("18446744073709551615", 18446744073709551615),
        ("18446744073709551616", 1.8446744073709552e19),
        # strconv.ParseFloat fails out of range, so go-yaml keeps these as strings
        ("1e999", "1e999"),
        ("-1e999", "-1e999"),
        (".5e999", ".5e999"),
        ("0b" + "1" * 65, "0b" + "1" * 65),
        (".5_0", ".5_0"),
        (".x", ".x"),
        ("1\u0663", "1\u0663"),
    ],
)
def test_yaml11_scalars_decode_like_go_yaml_v2(text: str, value: object) -> None:
    decoded = decode(f"v: {text}\n".encode())
    assert decoded == {"v": value}
    assert type(decoded["v"]) is type(value)


def test_non_string_keys_become_their_json_spelling() -> None:
    assert decode(b"1: a\n1.5: c\nnull: e\ny: f\n") == {
        "1": "a",
        "1.5": "c",
        "null": "e",
        "true": "f",
    }
    # sigs.k8s.io/yaml spells float keys with FormatFloat(k, 'g', -1, 32), infinities as .inf
    text = b".inf: a\n-.Inf: b\n.NaN: c\n1e6: d\n3.0: e\n0.1: f\n1234567.0: g\n16777217.0: h\n"
    assert decode(text) == {
        ".inf": "a",
        "-.inf": "b",
        ".nan": "c",
        "1e+06": "d",
        "3": "e",
        "0.1": "f",
        "1.234567e+06": "g",
        "1.6777216e+07": "h",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"a: .inf\n", "error converting YAML to JSON: json: unsupported value: +Inf"),
        (b"a: -.Inf\n", "error converting YAML to JSON: json: unsupported value: -Inf"),
        (b"a: !!float .nan\n", "error converting YAML to JSON: json: unsupported value: NaN"),
        (
            b"a: b: c\n",
            "error converting YAML to JSON: yaml: mapping values are not allowed in this context",
        ),
        (
            b"a:\n\tb: 1\n",
            "error converting YAML to JSON: yaml: line 2: "
            "found character that cannot start any token",
        ),
        (b"a: *nope\n", "error converting YAML to JSON: yaml: unknown anchor 'nope' referenced"),
        (b"a: \xff\n", "error converting YAML to JSON: yaml: invalid leading UTF-8 octet"),
        (
            b"? [a, b]\n: 1\n",
            'error converting YAML to JSON: yaml: invalid map key: []interface {}{"a", "b"}',
        ),
        (
            b"? [1, true, {a: b}]\n: 1\n",
            "error converting YAML to JSON: yaml: invalid map key: "
            '[]interface {}{1, true, map[interface {}]interface {}{"a":"b"}}',
        ),
    ],
)
def test_decode_errors_use_kubeconform_wording(text: bytes, message: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode(text)
    assert str(caught.value) == message


def test_strict_decoding_reports_duplicate_and_merge_overriding_keys() -> None:
    text = b"base: &b {name: x, port: 1}\nm:\n  <<: *b\n  name: other\nk: 1\nk: 2\n"
    assert decode(text) == {
        "base": {"name": "x", "port": 1},
        "m": {"name": "other", "port": 1},
        "k": 2,
    }
    with pytest.raises(DecodeError) as caught:
        decode(text, strict=True)
    assert str(caught.value) == (
        "error converting YAML to JSON: yaml: unmarshal errors:\n"
        '  line 4: key "name" already set in map\n'
        '  line 6: key "k" already set in map'
    )


def test_strict_mode_unwraps_a_list_whose_wrapper_repeats_a_key() -> None:
    """The List wrapper is never validated, not even for duplicate keys under -strict."""
    validator = Validator(Options("1.31.0", strict=True))
    wrapper = (
        b"apiVersion: v1\nkind: List\nmetadata: {}\nmetadata: {a: b}\nitems:\n"
        b"- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {k: '1'}}\n"
        b"- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}, data: {k: 1}}\n"
    )
    results = validator.validate_token(wrapper, "l.yaml")
    assert [(r.name, r.status, r.validation_errors) for r in results] == [
        ("a", Status.VALID, ()),
        ("b", Status.INVALID, (("/data/k", "got number, want null or string"),)),
    ]
    plain = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nmetadata: {name: b}\n"
    (result,) = validator.validate_token(plain, "c.yaml")
    assert (result.status, result.name, result.msg) == (
        Status.ERROR,
        "b",
        "error unmarshalling resource: error converting YAML to JSON: yaml: unmarshal errors:\n"
        '  line 4: key "metadata" already set in map',
    )


def test_explicit_tags_and_reused_anchors_decode_like_go_yaml() -> None:
    text = (
        b"a: !!int 0x1F\nb: !!int 1_000\nc: !!float 3\nd: !!float .5\ne: !!bool yes\nf: !!null ~\n"
    )
    assert decode(text) == {"a": 31, "b": 1000, "c": 3, "d": 0.5, "e": True, "f": None}
    assert decode(b"base: &b {k: [1]}\nx: *b\nz: *b\n") == {
        "base": {"k": [1]},
        "x": {"k": [1]},
        "z": {"k": [1]},
    }


@pytest.mark.parametrize(("text", "word"), [(b"true\n", "bool"), (b"5\n", "number")])
def test_a_document_that_is_not_a_mapping_is_an_error(text: bytes, word: str) -> None:
    (result,) = Validator(V131).validate_token(text, "x.yaml")
    assert (result.status, result.msg) == (
        Status.ERROR,
        "error unmarshalling resource: error unmarshaling JSON: while decoding JSON: "
        f"json: cannot unmarshal {word} into Go value of type map[string]interface {{}}",
    )


def test_only_the_first_document_of_a_token_is_read() -> None:
    assert decode(b'{"a": 1}\n{"b": 2}\n') == {"a": 1}
    assert decode(b"a: 1\n...\n") == {"a": 1}
    assert decode(b"# just a comment\n") is None


def test_documents_split_on_newline_dashes_dropping_the_rest_of_the_line() -> None:
    data = b"---\na: 1\n--- # c\nb: 2\n----\nc: 3\r\n---\r\nd: 4\n---"
    assert [t for _, t in split_documents(data)] == [b"---\na: 1", b"b: 2", b"c: 3\r", b"d: 4"]
    assert [t for _, t in split_documents(b"a: 1\n---x")] == []  # bufio.Scanner quirk


# ---------------------------------------------------------------- schema lookup


def test_template_variables_follow_kubeconform() -> None:
    assert template_values("Deployment", "apps/v1", "1.31.0", True) == {
        "NormalizedKubernetesVersion": "v1.31.0",
        "StrictSuffix": "-strict",
        "ResourceKind": "deployment",
        "ResourceAPIVersion": "v1",
        "Group": "apps",
        "KindSuffix": "-apps-v1",
    }
    values = template_values("RoleBinding", "rbac.authorization.k8s.io/v1", "master", False)
    assert (values["KindSuffix"], values["Group"], values["NormalizedKubernetesVersion"]) == (
        "-rbac-v1",
        "rbac.authorization.k8s.io",
        "master",
    )
    assert template_values("ConfigMap", "v1", "1.30.2", False)["KindSuffix"] == "-v1"


def test_bad_templates_and_versions_fail_at_startup() -> None:
    with pytest.raises(LocationError, match=r"can't evaluate field Foo"):
        build_locations(["schemas/{{ .Foo }}.json"], "1.31.0", False, lambda url: None)
    with pytest.raises(LocationError) as caught:
        build_locations([], "1.25", False, lambda url: None)
    assert str(caught.value) == (
        'invalid value "1.25" for flag -kubernetes-version: 1.25 is not a valid version. '
        'Valid values are "master" (default) or full version x.y.z (e.g. "1.27.2")'
    )


def test_lowercased_kind_finds_the_builtin_schema_and_fails_its_enum() -> None:
    validator = Validator(V131)
    result = validator.validate_token(
        b"apiVersion: apps/v1\nkind: deployment\nmetadata: {name: d}\n", "f.yaml"
    )[0]
    assert result.status is Status.INVALID
    assert "- at '/kind': value must be 'Deployment'" in result.msg


def test_local_schema_folder_template_and_folder_without_json_suffix(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}
    write_tree(
        tmp_path,
        {
            "crds/demo.example.com/gizmo_v1alpha1.json": json.dumps(schema),
            "flat/v1.31.0-standalone/gizmo-demo-v1alpha1.json": json.dumps(schema),
            "broken/gizmo_v1alpha1.json": "{nope",
        },
    )
    doc = b"apiVersion: demo.example.com/v1alpha1\nkind: Gizmo\nmetadata: {name: g}\n"
    template = str(
        tmp_path / "crds/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    )
    result = Validator(Options("1.31.0", schema_locations=("default", template))).validate_token(
        doc, "g.yaml"
    )[0]
    url = (tmp_path / "crds/demo.example.com/gizmo_v1alpha1.json").as_uri()
    assert result.msg == (
        "problem validating schema. Check JSON formatting: "
        f"jsonschema validation failed with '{url}#' "
        "- at '': missing property 'spec'"
    )
    assert result.validation_errors == (("", "missing property 'spec'"),)
    flat = Validator(Options("1.31.0", schema_locations=(str(tmp_path / "flat"),)))
    assert flat.validate_token(doc, "g.yaml")[0].status is Status.INVALID
    broken = str(tmp_path / "broken/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    result = Validator(Options("1.31.0", schema_locations=(broken, template))).validate_token(
        doc, "g.yaml"
    )[0]
    assert (result.status, result.msg) == (
        Status.ERROR,
        "invalid character 'n' looking for beginning of object key string",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{nope", "invalid character 'n' looking for beginning of object key string"),
        ('{"type": ', "unexpected end of JSON input"),
        ('{"type": "object",}', "invalid character '}' looking for beginning of object key string"),
        ('{"required": [1,]}', "invalid character ']' looking for beginning of value"),
        ('{"type" "object"}', "invalid character '\"' after object key"),
        ('{"type": "object" "required": []}', "invalid character '\"' after object key:value pair"),
        ('{"required": ["a" "b"]}', "invalid character '\"' after array element"),
        ('{"type": "object"} x', "invalid character 'x' after top-level value"),
        ('{"type": "obj\nect"}', "invalid character '\\n' in string literal"),
        ('{"x": ' + "[" * 5000 + "]" * 5000 + "}", "exceeded max depth"),
    ],
)
def test_a_schema_file_that_is_not_json_is_an_error_in_gos_words(
    tmp_path: Path, text: str, message: str
) -> None:
    write_tree(tmp_path, {"gizmo_v1.json": text})
    template = str(tmp_path / "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    result = Validator(Options("1.31.0", schema_locations=(template,))).validate_token(
        b"apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n", "g.yaml"
    )[0]
    assert (result.status, result.msg) == (Status.ERROR, message)


@pytest.fixture
def schema_server(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server for schemas; yields its base URL and the paths requested."""
    served = tmp_path / "served"
    write_tree(
        served,
        {
            "v1.31.0-standalone/gizmo-demo-v1.json": json.dumps(
                {"type": "object", "required": ["spec"]}
            )
        },
    )
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, directory=str(served), **kwargs)  # type: ignore[arg-type]

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            requests.append(self.path)
            # /status/NNN/... answers NNN; /text/... answers 200 with a body that is not JSON
            parts = self.path.split("/")
            if parts[1] == "status":
                self.send_error(int(parts[2]))
            elif parts[1] == "text":
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"<html>schema portal</html>")
            else:
                super().do_GET()

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", requests
    finally:
        server.shutdown()
        server.server_close()


def test_http_schemas_are_cached_on_disk_and_404_means_not_found(
    schema_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    base, requests = schema_server
    cache = tmp_path / "cache"
    options = Options("1.31.0", schema_locations=(base,), schema_cache=cache)
    doc = b"apiVersion: demo.example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n"
    assert Validator(options).validate_token(doc, "g.yaml")[0].status is Status.INVALID
    assert len(list(cache.iterdir())) == 1
    assert Validator(options).validate_token(doc, "g.yaml")[0].status is Status.INVALID
    other = b"apiVersion: demo.example.com/v1\nkind: Other\nmetadata: {name: o}\n"
    assert (
        Validator(options).validate_token(other, "o.yaml")[0].msg
        == "could not find schema for Other"
    )
    assert len([r for r in requests if "gizmo" in r]) == 1


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("/status/403", "error while downloading schema at {url} - received HTTP status 403"),
        ("/status/503", "error while downloading schema at {url} - received HTTP status 503"),
        ("/text", "could not find schema for Gizmo"),
    ],
)
def test_http_answers_other_than_a_schema_follow_kubeconform(
    schema_server: tuple[str, list[str]], prefix: str, message: str
) -> None:
    base, requests = schema_server
    options = Options("1.31.0", schema_locations=(base + prefix,), schema_cache=None)
    doc = b"apiVersion: demo.example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n"
    result = Validator(options).validate_token(doc, "g.yaml")[0]
    url = f"{base}{prefix}/v1.31.0-standalone/gizmo-demo-v1.json"
    assert (result.status, result.msg) == (
        Status.ERROR,
        message.format(url=url),
    )
    assert len(requests) == (3 if prefix == "/status/503" else 1)  # 5xx is retried twice


def test_local_schemas_may_ref_their_neighbours(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            "gizmo_v1.json": json.dumps(
                {"properties": {"spec": {"$ref": "common.json#/definitions/spec"}}}
            ),
            "common.json": json.dumps(
                {"definitions": {"spec": {"type": "object", "required": ["size"]}}}
            ),
            "broken/gizmo_v1.json": json.dumps({"$ref": "missing.json"}),
        },
    )
    doc = b"apiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\nspec: {}\n"
    template = "{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    options = Options("1.31.0", schema_locations=(str(tmp_path / template),))
    result = Validator(options).validate_token(doc, "g.yaml")[0]
    assert result.validation_errors == (("/spec", "validation failed"),)  # the $ref
    assert result.msg.endswith("- at '/spec': missing property 'size'")
    # a $ref that cannot be resolved counts as no schema: the next location is tried
    options = Options(
        "1.31.0", schema_locations=(str(tmp_path / "broken" / template), str(tmp_path / template))
    )
    result = Validator(options).validate_token(doc, "g.yaml")[0]
    assert result.msg.endswith("- at '/spec': missing property 'size'")
    options = Options("1.31.0", schema_locations=(str(tmp_path / "broken" / template),))
    result = Validator(options).validate_token(doc, "g.yaml")[0]
    assert (result.status, result.msg) == (Status.ERROR, "could not find schema for Gizmo")


def test_unreachable_http_location_fails_clearly() -> None:
    options = Options("1.31.0", schema_locations=("http://127.0.0.1:9/schemas",), schema_cache=None)
    result = Validator(options).validate_token(
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "c.yaml"
    )[0]
    assert result.status is Status.ERROR
    assert result.msg.startswith(
        "failed downloading schema at "
        "http://127.0.0.1:9/schemas/v1.31.0-standalone/configmap-v1.json: "
    )


# ---------------------------------------------------------------- CRDs


CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  names: {kind: Certificate, plural: certificates}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [secretName]
              properties:
                secretName: {type: string}
                duration: {type: string, nullable: true}
                dnsNames: {type: array, items: {type: string}}
"""


def test_crd_openapi_schema_converts_like_openapi2jsonschema() -> None:
    converted = convert(
        {
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "properties": {
                        "port": {
                            "x-kubernetes-int-or-string": True,
                            "anyOf": [{"type": "integer"}, {"type": "string"}],
                        },
                        "note": {"type": "string", "nullable": True},
                        "free": {
                            "type": "object",
                            "x-kubernetes-preserve-unknown-fields": True,
                            "properties": {"a": {"type": "string"}},
                        },
                    },
                },
            },
        }
    )
    spec = converted["properties"]["spec"]
    assert "additionalProperties" not in converted
    assert spec["additionalProperties"] is False
    assert spec["properties"]["port"] == {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert spec["properties"]["note"]["type"] == ["string", "null"]
    assert "additionalProperties" not in spec["properties"]["free"]


def test_crd_schemas_come_from_every_served_version_and_from_v1beta1_crds() -> None:
    schema = {"type": "object", "properties": {"spec": {"type": "object", "required": ["size"]}}}
    v1 = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.com",
            "names": {"kind": "Gizmo"},
            "versions": [
                {"name": "v1", "schema": {"openAPIV3Schema": schema}},
                {"name": "v2"},  # no schema: nothing to check against
                "not a version",
            ],
        },
    }
    v1beta1 = {
        "apiVersion": "apiextensions.k8s.io/v1beta1",
        "kind": "CustomResourceDefinition",
        "spec": {
            "group": "example.com",
            "version": "v1alpha1",
            "names": {"kind": "Widget"},
            "validation": {"openAPIV3Schema": schema},
        },
    }
    assert list(crd_schemas(v1)) == [("example.com", "Gizmo", "v1")]
    assert list(crd_schemas(v1beta1)) == [("example.com", "Widget", "v1alpha1")]
    assert crd_schemas({"kind": "CustomResourceDefinition", "spec": "broken"}) == {}


def test_validate_checks_custom_resources_against_a_v1beta1_crd_among_its_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"crd.yaml": (
        "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\n"
        "metadata: {name: widgets.example.com}\nspec:\n  group: example.com\n"
        "  version: v1alpha1\n  names: {kind: Widget, plural: widgets}\n  validation:\n"
        "    openAPIV3Schema:\n      properties:\n        spec: {type: object, required: [size]}\n"
        "---\napiVersion: example.com/v1alpha1\nkind: Widget\nmetadata: {name: w}\nspec: {}\n"
    )})  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate", "-skip", "CustomResourceDefinition", "crd.yaml"])
    assert (result.code, result.out) == (
        1,
        "crd.yaml - Widget w is invalid: problem validating schema. Check JSON formatting: "
        f"jsonschema validation failed with '{(tmp_path / 'crd.yaml').as_uri()}#' "
        "- at '/spec': missing property 'size'\n",
    )


def test_render_validates_custom_resources_against_crds_in_the_same_cluster() -> None:
    origin = Origin(PurePosixPath("charts/cert-manager/crds.yaml"), 1)
    crd = Manifest(yaml.safe_load(CRD), origin)
    good = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"secretName": "web-tls"},
    }
    bad = {
        **good,
        "metadata": {"name": "bad", "namespace": "shop"},
        "spec": {"dnsNames": "a.example"},
    }
    cert_origin = Origin(PurePosixPath("charts/issuers/certificate.yaml.j2"), 3)
    findings = validate_cluster(
        [crd, Manifest(good, cert_origin), Manifest(bad, cert_origin)], "1.31.0", REPO
    )
    assert [str(f) for f in findings] == [
        "charts/issuers/certificate.yaml.j2:3: Certificate shop/bad: does not match the schema of "
        "cert-manager.io/v1 Certificate: at '/spec': missing property 'secretName'; "
        "at '/spec/dnsNames': got string, want array [schema]\n"
        "  hint: fix the field at that path; `kubectl explain certificate` describes the fields "
        "Kubernetes 1.31.0 accepts"
    ]
    alone = validate_cluster([Manifest(good, cert_origin)], "1.31.0", REPO)
    assert [str(f) for f in alone] == [
        "charts/issuers/certificate.yaml.j2:3: Certificate shop/web: "
        "no schema for cert-manager.io/v1 "
        "Certificate in Kubernetes 1.31.0 [schema]\n"
        "  hint: render its CustomResourceDefinition in this cluster or add "
        "schemas/crds/cert-manager.io/certificate_v1.json (see docs/validation.md)"
    ]
    assert (
        validate_cluster([Manifest(good, cert_origin)], "1.31.0", REPO, ignore_missing_schemas=True)
        == []
    )


def test_engine_numbers_and_missing_identity_are_judged_as_json() -> None:
    origin = Origin(PurePosixPath("charts/web/main.jsonnet"), 1)
    body = {
        "apiVersion": "v1",
        "kind": "ReplicationController",
        "metadata": {"name": "rc"},
        "spec": {"replicas": 2.0, "selector": {"app": "rc"}},
    }
    assert validate_cluster([Manifest(body, origin)], "1.31.0", REPO) == []
    findings = validate_cluster(
        [Manifest({"kind": "ConfigMap", "metadata": {"name": "x"}}, origin)], "1.31.0", REPO
    )
    assert [(f.message, f.hint) for f in findings] == [
        (
            "error while parsing: missing 'apiVersion' key",
            "every rendered object needs a string apiVersion and kind",
        )
    ]


GITOPS_OBJECTS = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: cert-manager, namespace: argocd}
spec:
  project: eks-prod-platform
  source:
    repoURL: https://git.example.com/fleet.git
    targetRevision: main
    path: rendered/eks-prod/010-cert-manager
  destination: {server: https://kubernetes.default.svc, namespace: cert-manager}
  syncPolicy:
    automated: {prune: true, selfHeal: true}
    syncOptions: [CreateNamespace=true, ServerSideApply=true]
    retry: {limit: 5, backoff: {duration: 10s, factor: 2, maxDuration: 3m}}
  ignoreDifferences:
    - group: admissionregistration.k8s.io
      kind: ValidatingWebhookConfiguration
      jqPathExpressions: ['.webhooks[].clientConfig.caBundle']
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: tenant-shop, namespace: argocd}
spec:
  sourceRepos: ["*"]
  sourceNamespaces: [ns-shop]
  destinations: [{server: https://kubernetes.default.svc, namespace: ns-shop}]
  clusterResourceWhitelist: []
  namespaceResourceBlacklist: [{group: "", kind: ResourceQuota}]
  roles:
    - name: owner
      groups: [shop-admins]
      policies: ["p, proj:tenant-shop:owner, applications, *, tenant-shop/*, allow"]
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: fleet, namespace: flux-system}
spec:
  interval: 1m
  url: https://git.example.com/fleet.git
  ref: {branch: main}
  secretRef: {name: fleet-auth}
  ignore: |
    /*
    !/rendered/kind-local/
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: cert-manager, namespace: flux-system}
spec:
  interval: 10m
  retryInterval: 1m
  path: ./rendered/kind-local/010-cert-manager
  prune: true
  wait: true
  sourceRef: {kind: GitRepository, name: fleet}
  dependsOn: [{name: priority-classes}]
  decryption: {provider: sops, secretRef: {name: sops-age}}
"""


def test_shipped_gitops_schemas_accept_what_we_generate_and_catch_typos() -> None:
    origin = Origin(PurePosixPath("rendered/x.yaml"), 1)
    manifests = [Manifest(b, origin) for b in yaml.safe_load_all(GITOPS_OBJECTS)]
    assert validate_cluster(manifests, "1.31.0", REPO) == []
    typo = dict(
        manifests[3].body, spec={**manifests[3].body["spec"], "intervall": "5m", "prune": "yes"}
    )
    findings = validate_cluster([Manifest(typo, origin)], "1.31.0", REPO)
    assert [f.message for f in findings] == [
        "does not match the schema of kustomize.toolkit.fluxcd.io/v1 Kustomization: "
        "at '/spec/prune': got string, want boolean; "
        "at '/spec': additional properties 'intervall' not allowed"
    ]


@pytest.mark.parametrize(
    ("crd_file", "schema_file"),
    [
        ("argocd-applications.yaml", "argoproj.io/application_v1alpha1.json"),
        ("argocd-appprojects.yaml", "argoproj.io/appproject_v1alpha1.json"),
        ("flux-kustomizations.yaml", "kustomize.toolkit.fluxcd.io/kustomization_v1.json"),
        ("flux-gitrepositories.yaml", "source.toolkit.fluxcd.io/gitrepository_v1.json"),
    ],
)
def test_shipped_schemas_agree_with_upstream_crds(crd_file: str, schema_file: str) -> None:
    """Every field the upstream CRD knows is known to our (closed) schema, and every object
    the upstream CRD accepts in the GitOps sample is accepted by ours."""
    upstream = next(d for d in yaml.safe_load_all((SHARED_CRDS / crd_file).read_text()) if d)
    ours = json.loads((REPO / "generator/schemas/crds" / schema_file).read_text())
    version = schema_file.rsplit("_", 1)[1].removesuffix(".json")
    converted = next(s for k, s in crd_schemas(upstream).items() if k[2] == version)
    missing: list[str] = []

    def walk(up: dict[str, Any], mine: dict[str, Any], path: str) -> None:
        if up.get("type") == "array" or mine.get("type") == "array":
            walk(up.get("items", {}), mine.get("items", {}), path + "[]")
            return
        for name, child in (up.get("properties") or {}).items():
            if name in (mine.get("properties") or {}):
                walk(child, mine["properties"][name], f"{path}.{name}")
            elif mine.get("additionalProperties") is False:
                missing.append(f"{path}.{name}")

    walk(converted, ours, "")
    assert missing == []
    samples = [
        d
        for d in yaml.safe_load_all(GITOPS_OBJECTS)
        if d["kind"] == ours["properties"]["kind"]["enum"][0]
    ]
    crd_validator = Validator(
        V131, {k: (s, "crd:upstream") for k, s in crd_schemas(upstream).items()}
    )
    for sample in samples:
        assert crd_validator.validate_body(sample).status is Status.VALID


# ---------------------------------------------------------------- verdict cache


def test_warm_run_reuses_verdicts_without_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(
        tmp_path,
        {"m/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: 1}\n"},
    )
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / ".generator-cache/validate"
    cold = run(["m"], V131, cache_dir=cache)
    assert [r.status for r in cold] == [Status.INVALID]

    def no_parsing(*args: object, **kwargs: object) -> object:
        raise AssertionError("a cached document was parsed again")

    monkeypatch.setattr(run_module, "Validator", no_parsing)
    assert run(["m"], V131, cache_dir=cache) == cold


def test_changed_options_do_not_reuse_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(
        tmp_path, {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nextra: 1\n"}
    )
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    assert run(["a.yaml"], V131, cache_dir=cache)[0].status is Status.VALID
    assert (
        run(["a.yaml"], Options("1.31.0", strict=True), cache_dir=cache)[0].status is Status.INVALID
    )


def test_large_inputs_use_worker_processes_with_the_same_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    values = ["1" if i % 7 == 0 else "'1'" for i in range(300)]
    docs = [
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{k: {v}}}\n"
        for i, v in enumerate(values)
    ]
    write_tree(tmp_path, {"big.yaml": "---\n".join(docs)})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_module, "PARALLEL_THRESHOLD", 100)
    parallel = run(["big.yaml"], V131, workers=2)
    serial = run(["big.yaml"], V131, workers=1)
    assert parallel == serial
    assert sum(r.status is Status.INVALID for r in serial) == 43


# ---------------------------------------------------------------- command line


def test_cli_accepts_kubeconform_single_dash_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(REPO / "tests/validate/corpus/02-invalid-types.yaml", tmp_path / "x.yaml")
    monkeypatch.chdir(tmp_path)
    result = run_cli(
        [
            "validate",
            "-summary",
            "-output",
            "json",
            "-kubernetes-version",
            "1.31.0",
            "-skip",
            "Deployment",
            "-n",
            "1",
            "x.yaml",
        ]
    )
    assert result.code == 1
    document = json.loads(result.out)
    assert document["summary"] == {"valid": 0, "invalid": 1, "errors": 0, "skipped": 1}
    assert [r["name"] for r in document["resources"]] == ["numbers"]
    ok = run_cli(["validate", "-output=text", "-summary", "-skip=Deployment,ConfigMap", "x.yaml"])
    assert (ok.code, ok.out) == (
        0,
        "Summary: 2 resources found in 1 file - Valid: 0, Invalid: 0, Errors: 0, Skipped: 2\n",
    )


def test_cli_rejects_bad_values_with_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad_output = run_cli(["validate", "-output", "yaml", "x.yaml"])
    assert (bad_output.code, bad_output.err) == (
        2,
        "error: 'outputFormat' must be 'json', 'junit', 'pretty', 'tap' or 'text'\n"
        "  hint: pass -output with one of: json, junit, pretty, tap, text\n",
    )
    bad_cache = run_cli(["validate", "-cache", "missing", "x.yaml"])
    assert bad_cache.err == (
        "error: failed opening cache folder missing: stat missing: no such file or directory\n"
        "  hint: create the folder first, or leave out -cache\n"
    )
    bad_version = run_cli(["validate", "-kubernetes-version", "v1.31.0", "x.yaml"])
    assert bad_version.code == 2
    assert "v1.31.0 is not a valid version" in bad_version.err
    write_tree(tmp_path, {"x.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"})
    bad_template = run_cli(["validate", "-schema-location", "{{ .Group | lower }}", "x.yaml"])
    assert (bad_template.code, bad_template.out, bad_template.err) == (
        2,
        "",
        "error: failed initialising schema location registry: template: {{ .Group | lower }}/"
        "{{ .NormalizedKubernetesVersion }}-standalone{{ .StrictSuffix }}/{{ .ResourceKind }}"
        "{{ .KindSuffix }}.json: unsupported template action '{{.Group | lower}}'\n"
        "  hint: fix the -schema-location template\n",
    )
    assert not (tmp_path / ".generator-cache").exists()


def test_a_terminal_or_dev_null_on_stdin_is_refused() -> None:
    """kubeconform refuses any character device on stdin instead of waiting for input."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "generator", "validate", "-summary"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        cwd=REPO,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        "error: failing to read data from stdin\n"
        "  hint: pipe manifests in (cat x.yaml | generator validate) or name files or folders\n",
    )


def test_empty_files_and_unreadable_ones_each_get_one_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {
        "d/empty.yaml": "",
        "d/comment.yaml": "# only a comment\n",
        "d/list.yaml": "apiVersion: v1\nkind: List\nitems: []\n",
    })  # fmt: skip
    (tmp_path / "d/dangling.yaml").symlink_to("nowhere.yaml")
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate", "-output", "tap", "d"])
    assert (result.code, result.out) == (
        1,
        "TAP version 13\n"
        "ok 1 - d/comment.yaml (empty)\n"
        "not ok 2 - d/dangling.yaml: open d/dangling.yaml: no such file or directory\n"
        "ok 3 - d/empty.yaml (empty)\n"
        "ok 4 - d/list.yaml (empty)\n"
        "1..4\n",
    )
    junit = run_cli(["validate", "-output", "junit", "d/empty.yaml", "d/comment.yaml"])
    assert junit.out.splitlines()[1:] == [
        '  <testsuite name="d/empty.yaml" id="1" tests="0" failures="0" errors="0" disabled="0"'
        ' skipped="0"></testsuite>',
        '  <testsuite name="d/comment.yaml" id="2" tests="0" failures="0" errors="0" disabled="0"'
        ' skipped="0"></testsuite>',
        "</testsuites>",
    ]
    summary = run_cli(["validate", "-summary", "d"])
    assert summary.out == (
        "d/dangling.yaml - failed validation: open d/dangling.yaml: no such file or directory\n"
        "Summary: 1 resource found in 4 files - Valid: 0, Invalid: 0, Errors: 1, Skipped: 0\n"
    )


def test_version_flag_prints_the_generator_version() -> None:
    from generator import __version__

    result = run_cli(["validate", "-v"])
    assert (result.code, result.out) == (0, f"v{__version__.removeprefix('v')}\n")


def test_engine_kubeconform_fails_clearly_without_a_binary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run_cli(["validate", "--engine", "kubeconform", "-summary", "x.yaml"])
    assert (result.code, result.err) == (
        2,
        "error: --engine kubeconform: no 'kubeconform' binary on PATH\n"
        "  hint: install kubeconform v0.7 or drop --engine kubeconform to use the built-in "
        "validator, which accepts the same flags\n",
    )


def test_engine_kubeconform_hands_over_files_and_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "bin/kubeconform"
    write_tree(tmp_path, {"bin/kubeconform": '#!/bin/sh\necho "$@" > "${0%/*}/args"\nexit 1\n'})
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake.parent))
    result = run_cli(
        [
            "validate",
            "--engine",
            "kubeconform",
            "-strict",
            "-summary",
            "-skip",
            "Secret",
            "-schema-location",
            "default",
            "-kubernetes-version",
            "1.31.0",
            "a.yaml",
            "dir",
        ]
    )
    assert result.code == 1
    assert (tmp_path / "bin/args").read_text() == (
        "-strict -summary -output text -kubernetes-version 1.31.0 -skip Secret "
        "-schema-location default -n 4 -- a.yaml dir\n"
    )


# ---------------------------------------------------------------- in the render


def test_render_is_refused_for_an_invalid_resource_and_rendered_stays_untouched(
    minimal_repo: Path,
) -> None:
    before = snapshot(minimal_repo / "rendered")
    chart = minimal_repo / "charts/web/configmap.yaml"
    chart.write_text(chart.read_text() + "  retries: 3\n", encoding="utf-8")
    (minimal_repo / "charts/web/job.yaml").write_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n"
        "    spec:\n      restartPolicy: Never\n      containers:\n        - name: migrate\n"
        "          image: migrate:latest\n"
        "          resources: {requests: {cpu: 10m}, limits: {cpu: 10m}}\n",
        encoding="utf-8",
    )
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 1
    assert (
        "charts/web/configmap.yaml:1: ConfigMap web/web-settings: does not match the schema of "
        "v1 ConfigMap: at '/data/retries': got number, want null or string [schema]\n"
        "  hint: fix the field at that path; `kubectl explain configmap` describes the fields "
        "Kubernetes 1.31.0 accepts\n"
    ) in result.err
    assert (
        "charts/web/job.yaml:1: Job web/migrate: container 'migrate' image 'migrate:latest' "
        "uses the 'latest' tag [image-pinned]\n"
    ) in result.err
    assert snapshot(minimal_repo / "rendered") == before


def test_policies_flag_reports_violations_in_every_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(
        tmp_path,
        {
            "app/pod.yaml": (
                "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n"
                "spec:\n  containers:\n    - name: web\n      image: nginx\n"
            )
        },
    )
    monkeypatch.chdir(tmp_path)
    text = run_cli(["validate", "--policies", "-summary", "./app"])
    assert (text.code, text.out) == (
        1,
        "app/pod.yaml - Pod web is invalid: policy image-pinned: "
        "container 'web' image 'nginx' has no tag\n"
        "app/pod.yaml - Pod web is invalid: policy container-resources: container 'web' declares "
        "no resource requests or limits\n"
        "Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0, "
        "Policy findings: 2\n",
    )
    as_json = json.loads(
        run_cli(["validate", "--policies", "-summary", "-output", "json", "app"]).out
    )
    assert as_json["summary"] == {
        "valid": 1,
        "invalid": 0,
        "errors": 0,
        "skipped": 0,
        "policyFindings": 2,
    }
    assert [r["msg"].split(":")[0] for r in as_json["resources"]] == [
        "policy image-pinned",
        "policy container-resources",
    ]
    tap = run_cli(["validate", "--policies", "-output", "tap", "app"])
    assert tap.out.splitlines()[2] == (
        "not ok 2 - app/pod.yaml (v1/Pod/shop/web): policy image-pinned: "
        "container 'web' image 'nginx' has no tag"
    )
    assert run_cli(["validate", "-summary", "app"]).code == 0


def test_bad_ignore_pattern_is_a_discovery_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {"a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    monkeypatch.chdir(tmp_path)
    result = run_cli(["validate", "-ignore-filename-pattern", "(", "a.yaml"])
    assert (result.code, result.out) == (
        1,
        "a.yaml - failed validation: error parsing regexp: missing closing ): `(`\n",
    )


KUBECONFORM = shutil.which("kubeconform")


@pytest.mark.skipif(
    KUBECONFORM is None, reason="no kubeconform binary on PATH for the differential test"
)
@pytest.mark.parametrize(
    "flags", [[], ["-strict"], ["-skip", "ConfigMap", "-ignore-missing-schemas"]]
)
def test_results_match_kubeconform_on_the_corpus(
    flags: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same statuses and identities as kubeconform, compared as unordered collections."""
    import hashlib
    import subprocess

    from generator.validate.schemas import builtin_root

    cache = tmp_path / "cache"
    cache.mkdir()
    url = "https://kubernetes.io/api/_definitions.json"
    strict = "-strict" in flags
    folder = builtin_root() / ("v1.31.0-local-strict" if strict else "v1.31.0-local")
    shutil.copy(folder / "_definitions.json", cache / hashlib.sha256(url.encode()).hexdigest())
    location = f"{builtin_root()}/{{{{ .NormalizedKubernetesVersion }}}}-local{{{{ .StrictSuffix }}}}/{{{{ .ResourceKind }}}}{{{{ .KindSuffix }}}}.json"
    monkeypatch.chdir(REPO / "tests/validate")
    common = ["-output", "json", "-verbose", "-kubernetes-version", "1.31.0", *flags]
    theirs = subprocess.run(
        [str(KUBECONFORM), *common, "-cache", str(cache), "-schema-location", location, "corpus"],
        capture_output=True,
        text=True,
        check=False,
    )
    ours = run_cli(["validate", *common, "--no-extensions", "--no-verdict-cache", "corpus"])
    assert ours.code == theirs.returncode

    def verdicts(text: str) -> list[tuple[str, ...]]:
        return sorted(
            (r["filename"], r["kind"], r["name"], r["version"], r["status"])
            for r in json.loads(text)["resources"]
        )

    assert verdicts(ours.out) == verdicts(theirs.stdout)


def test_error_walk_agrees_with_the_compiled_validator() -> None:
    """The message walk and jsonschema-rs give the same verdict on mutated objects."""
    import copy
    import random

    from generator.validate.core import to_json
    from generator.validate.explain import explain

    corpus = REPO / "tests/validate/corpus"
    bodies = [
        d
        for name in ("01-valid.yaml", "10-anchors.yaml", "12-generate-name.yaml")
        for d in yaml.safe_load_all((corpus / name).read_text())
    ]
    rng = random.Random(5)
    for strict in (False, True):
        validator = Validator(Options("1.31.0", strict=strict))
        for body in bodies:
            schema = validator.registry.find(body["kind"], body["apiVersion"])
            assert schema is not None
            leaves = list(_paths(body))
            for _ in range(60):
                mutated = copy.deepcopy(body)
                path = rng.choice(leaves)
                target = mutated
                for step in path[:-1]:
                    target = target[step]
                target[path[-1]] = rng.choice([1, "x", True, None, [1], {"extra": 1}, 2.5])
                mutated = to_json(mutated)
                verdict = schema.validator.is_valid(mutated)
                assert verdict == (explain(schema, mutated) is None), (path, mutated)


def _paths(value: object, path: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*path, index)
            yield from _paths(item, (*path, index))


def test_go_flag_spellings_are_understood() -> None:
    from generator.validate.flags import kubeconform_args

    assert kubeconform_args(
        ["-strict", "-summary", "-summary=false", "-verbose=true", "-output=json", "-n=2",
         "-schema-location", "default", "-ignore-filename-pattern=x", "-", "--", "-strict"]
    ) == [
        "--strict", "--verbose", "--output=json", "-n", "2", "--schema-location", "default",
        "--ignore-filename-pattern=x", "-", "--", "-strict",
    ]  # fmt: skip


def test_editing_a_local_schema_invalidates_cached_verdicts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tree(tmp_path, {
        "a.yaml": "apiVersion: demo.example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n",
        "schemas/demo.example.com/gizmo_v1.json": json.dumps({"type": "object"}),
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    template = "schemas/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    options = Options("1.31.0", schema_locations=(template,))
    cache = tmp_path / "cache"
    assert run(["a.yaml"], options, cache_dir=cache)[0].status is Status.VALID
    schema = tmp_path / "schemas/demo.example.com/gizmo_v1.json"
    schema.write_text(json.dumps({"type": "object", "required": ["spec"]}))
    os.utime(schema, ns=(1, 1))
    assert run(["a.yaml"], options, cache_dir=cache)[0].status is Status.INVALID


@pytest.mark.parametrize("version", ["1.19.4", "1.31", "v1.31.0"])
def test_a_cluster_version_without_bundled_schemas_is_reported_once(version: str) -> None:
    from generator.errors import GeneratorError
    from generator.validate.schemas import builtin_versions

    origin = Origin(PurePosixPath("charts/web/cm.yaml"), 1)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    with pytest.raises(GeneratorError) as caught:
        validate_cluster([Manifest(body, origin)], version, REPO)
    (low_major, low_minor), *_, (high_major, high_minor) = builtin_versions()
    assert str(caught.value) == (
        f"no bundled Kubernetes schemas for kubernetesVersion '{version}'\n"
        f"  hint: set kubernetesVersion to a version from {low_major}.{low_minor}.0 to "
        f"{high_major}.{high_minor}.x, or upgrade the kubernetes-validate package"
    )


def test_a_failed_download_is_not_retried_for_every_resource(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from generator.validate import schemas

    calls: list[str] = []

    def offline(self: object, url: str) -> bytes | None:
        calls.append(url)
        raise schemas.SchemaError(f"failed downloading schema at {url}: network is unreachable")

    monkeypatch.setattr(schemas.HttpFetcher, "_download", offline)
    validator = Validator(Options("1.31.0", schema_locations=("https://schemas.example",)))
    docs = [
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n".encode() for i in range(3)
    ]
    results = [validator.validate_token(d, "c.yaml")[0] for d in docs]
    assert {r.msg for r in results} == {
        "failed downloading schema at "
        "https://schemas.example/v1.31.0-standalone/configmap-v1.json: network is unreachable"
    }
    assert len(calls) == 1


def test_engine_output_with_non_string_keys_is_judged_not_crashed() -> None:
    origin = Origin(PurePosixPath("charts/web/main.jsonnet"), 1)
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {1: "x"}}
    assert validate_cluster([Manifest(body, origin)], "1.31.0", REPO) == []
    labels = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "labels": {True: 5}},
    }
    findings = validate_cluster([Manifest(labels, origin)], "1.31.0", REPO)
    assert [f.message for f in findings] == [
        "does not match the schema of v1 ConfigMap: at '/metadata/labels/true': "
        "got number, want null or string"
    ]


def test_repository_crd_schemas_linked_outside_are_refused_but_explicit_locations_are_read(
    tmp_path: Path,
) -> None:
    from generator.errors import GeneratorError

    schema = {"type": "object", "required": ["spec"]}
    write_tree(tmp_path, {"outside/gizmo_v1alpha1.json": json.dumps(schema)})
    (tmp_path / "repo/schemas/crds").mkdir(parents=True)
    (tmp_path / "repo/schemas/crds/demo.example.com").symlink_to(tmp_path / "outside")
    doc = b"apiVersion: demo.example.com/v1alpha1\nkind: Gizmo\nmetadata: {name: g}\n"
    crd_dir = tmp_path / "repo/schemas/crds"
    with pytest.raises(GeneratorError) as caught:
        Validator(Options("1.31.0", extra_schema_dirs=(crd_dir,))).validate_token(doc, "g.yaml")
    assert str(caught.value) == (
        "schemas/crds/demo.example.com/gizmo_v1alpha1.json: schema file "
        "'schemas/crds/demo.example.com/gizmo_v1alpha1.json' leaves the repository (it resolves "
        f"to '{tmp_path}/outside/gizmo_v1alpha1.json')\n"
        "  hint: keep schemas/crds/ inside the repository: copy the schema files in instead of "
        "linking to them (or pass -schema-location to `generator validate`)"
    )
    template = str(crd_dir / "{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json")
    result = Validator(Options("1.31.0", schema_locations=(template,))).validate_token(
        doc, "g.yaml"
    )[0]
    assert result.status == Status.INVALID


RENDERED_GITOPS_FILES = (
    "kind-local/apps/application-kind-local-gateway.yaml",
    "linode-sandbox/flux/kustomization-cert-manager.yaml",
)


def test_validate_inside_rendered_keeps_its_cache_in_the_repository_cache_folder(
    minimal_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(minimal_repo / "rendered")
    for _ in range(2):  # the second run must not trip over files the first one left
        result = run_cli(["validate", "-summary", "."])
        assert (result.code, result.err) == (0, ""), result.out
        assert "Invalid: 0, Errors: 0" in result.out
    assert not list((minimal_repo / "rendered").rglob(".generator-cache"))
    assert list((minimal_repo / ".generator-cache/validate").iterdir())


def test_validate_skips_cache_folders_in_the_tree(tmp_path: Path) -> None:
    write_tree(tmp_path, {"tree/.generator-cache/validate/x.json": '{"not": "a resource"}'})
    result = run_cli(["validate", "-summary", str(tmp_path / "tree")])
    assert result.code == 0
    assert result.out.startswith("Summary: 0 resource found in 0 file - Valid: 0")


def test_validate_outside_a_repository_uses_the_user_cache_and_the_shipped_gitops_schemas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import EXAMPLE

    outside = tmp_path / "manifests"
    for name in RENDERED_GITOPS_FILES:
        write_tree(outside, {Path(name).name: (EXAMPLE / "rendered" / name).read_bytes()})
    monkeypatch.chdir(outside)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    result = run_cli(["validate", "-summary", "."])
    assert (result.code, result.err) == (0, "")
    assert "2 resources found in 2 files - Valid: 2, Invalid: 0, Errors: 0, Skipped: 0" in (
        result.out
    )
    assert sorted(p.name for p in outside.iterdir()) == sorted(
        Path(n).name for n in RENDERED_GITOPS_FILES
    )
    assert list((tmp_path / "cache/platform-generator/validate").iterdir())
