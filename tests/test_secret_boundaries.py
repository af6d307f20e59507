"""No Secret value reaches rendered/, a diff or a message: the SOPS pass-through copies only a
document that reads back as that one SOPS-encrypted object; every spelling of a Secret is
checked by the render policy and hidden by diff; messages name keys, never values."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from generator.diff import diff_revisions, markdown
from generator.diff.report import as_json, text
from generator.live.compare import differences
from generator.secrets import LAST_APPLIED
from tests.conftest import run_cli, snapshot, write_tree
from tests.test_diff import Repo

VALUE = "hunter2"
VALUE_B64 = base64.b64encode(VALUE.encode()).decode()  # aHVudGVyMg==
SOPS_METADATA = """\
sops:
  age:
    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p
      enc: YWdl
  lastmodified: recent
  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]
  version: 3.9.1
"""
ENCRYPTED = (
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: tok\n  namespace: web\ndata:\n"
    "  token: ENC[AES256_GCM,data:Zm9vYmFy,iv:aXY=,tag:dGFn,type:str]\n" + SOPS_METADATA
)
FLOW = (
    "{apiVersion: v1, kind: Secret, metadata: {name: tok, namespace: web}, data: {token: "
    "'ENC[x]'}, sops: {mac: 'ENC[m]', version: '3.9.1', lastmodified: recent, age: "
    "[{recipient: r, enc: e}]}}"
)
SOPS_FILE = "charts/web/tok.sops.yaml"
NOT_COPYABLE = (
    "SOPS-encrypted Secret web/tok is not a document that can be copied as written\n  hint: "
    "keep the file as sops wrote it: a block mapping starting on the line after its '---', "
    "nothing else in that document, no control characters, comments only as sops encrypts "
    "them\n"
)
NOT_SOPS_HINT = (
    "  hint: encrypt the file with sops, which writes mac, lastmodified, version and the "
    "recipients' keys; never write or edit the 'sops' block by hand\n"
)

# case: (text of charts/web/tok.sops.yaml, stderr of `generator render`, exit 2)
SOPS_CASES = {
    # Before: the document's text was taken from the line after `--- {...}`: the next
    # document's lines, or the file's last line, reached rendered/ as the Secret.
    "flow_mapping_on_the_separator_line": (
        f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n--- {FLOW}\n",
        f"error: {SOPS_FILE}:4: " + NOT_COPYABLE,
    ),
    "flow_mapping_on_the_separator_then_a_comment": (
        f"--- {FLOW}\n# {VALUE}\n",
        f"error: {SOPS_FILE}:1: " + NOT_COPYABLE,
    ),
    # Before: a NUL inside the document let text other than that document reach rendered/.
    # A NUL is refused by both parsers at its line and column before a document is copied.
    "nul_byte_inside_the_document": (
        ENCRYPTED + f"\x00\nstringData:\n  leak: {VALUE}\n",
        f"error: {SOPS_FILE}:15:1: malformed YAML: control character U+0000 is not allowed\n"
        '  hint: remove it; write it as an escape ("\\x1b") inside a double-quoted string if '
        "the value needs it\n",
    ),
    "plaintext_comment_inside_the_document": (
        ENCRYPTED.replace("data:\n", f"data:\n  # password: {VALUE}\n"),
        f"error: {SOPS_FILE}:1: " + NOT_COPYABLE,
    ),
    "enc_values_under_an_empty_sops_block": (
        ENCRYPTED.replace(SOPS_METADATA, "sops: {}\n"),
        f"error: {SOPS_FILE}:1: Secret web/tok has a 'sops' block but is not SOPS-encrypted: its "
        "'sops' block lacks 'mac', 'lastmodified', 'version'\n" + NOT_SOPS_HINT,
    ),
    "sops_block_without_mac_and_lastmodified": (
        ENCRYPTED.replace("  lastmodified: recent\n", "").replace(
            "  mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]\n", ""
        ),
        f"error: {SOPS_FILE}:1: Secret web/tok has a 'sops' block but is not SOPS-encrypted: its "
        "'sops' block lacks 'mac', 'lastmodified'\n" + NOT_SOPS_HINT,
    ),
    "sops_block_with_a_plain_mac": (
        ENCRYPTED.replace("mac: ENC[AES256_GCM,data:bWFj,iv:aXY=,tag:dGFn,type:str]", "mac: x"),
        f"error: {SOPS_FILE}:1: Secret web/tok has a 'sops' block but is not SOPS-encrypted: its "
        "'sops.mac' is not an ENC[...] value\n" + NOT_SOPS_HINT,
    ),
    "sops_block_without_a_recipient": (
        ENCRYPTED.replace(
            "  age:\n    - recipient: age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
            "\n      enc: YWdl\n",
            "  age: []\n  pgp: []\n",
        ),
        f"error: {SOPS_FILE}:1: Secret web/tok has a 'sops' block but is not SOPS-encrypted: its "
        "'sops' block names no key (age, pgp, kms, gcp_kms, azure_kv, hc_vault)\n" + NOT_SOPS_HINT,
    ),
    # Before: the List's items were written with the List's text, or silently without it.
    "sops_block_on_a_secret_list": (
        "apiVersion: v1\nkind: SecretList\nitems:\n- apiVersion: v1\n  kind: Secret\n"
        f"  metadata: {{name: a, namespace: web}}\n  stringData: {{a: {VALUE}}}\n" + SOPS_METADATA,
        f"error: {SOPS_FILE}:1: SOPS-encrypted SecretList cannot be passed through item by item\n"
        "  hint: encrypt each object as a document of its own\n",
    ),
    "sops_block_on_an_item_of_a_list": (
        "apiVersion: v1\nkind: List\nitems:\n- " + ENCRYPTED.replace("\n", "\n  ").rstrip() + "\n",
        f"error: {SOPS_FILE}:1: Secret web/tok carries a 'sops' block inside a List\n  hint: SOPS "
        "encrypts whole documents: encrypt the object as a document of its own, outside the "
        "List\n",
    ),
}


def test_a_real_sops_document_is_copied_byte_for_byte(minimal_repo: Path) -> None:
    cluster = (minimal_repo / "catalog/clusters/dev-1.yaml").read_text()
    other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    write_tree(
        minimal_repo,
        {
            "catalog/clusters/dev-1.yaml": cluster.replace("argocd", "flux"),
            SOPS_FILE: f"# encrypted\n---\n{ENCRYPTED}...\n# {VALUE}\n---\n{other}",
        },
    )
    assert run_cli(["render", "--repo", str(minimal_repo)]).code == 0
    written = (minimal_repo / "rendered/dev-1/010-web/secret-tok.yaml").read_text()
    assert written.endswith(f"# Source: {SOPS_FILE}\n" + ENCRYPTED)
    assert VALUE not in written


SECRET = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n"
CHART = {
    "catalog/operators/020-leak.yaml": "namespace: leak\n",
    "charts/leak/Chart.yaml": "apiVersion: v2\nname: leak\nversion: 0.1.0\n",
}
LIST_OF_ONE = (
    "apiVersion: v1\nkind: SecretList\nitems:\n- "
    + (SECRET + f"stringData:\n  password: {VALUE}\n").replace("\n", "\n  ").rstrip()
    + "\n"
)
APPLIED = json.dumps(
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"pw": VALUE_B64}}
)

# case: (files, the finding's first line under --no-validate)
SPELLING_CASES = {
    "kind_in_any_letter_case": (
        {"charts/web/s.yaml": SECRET.replace("Secret", "sECRET") + f"stringData:\n  pw: {VALUE}\n"},
        "charts/web/s.yaml:1: sECRET web/s: Secret carries plaintext stringData ('pw')",
    ),
    "api_version_in_capitals": (
        {"charts/web/s.yaml": SECRET.replace("v1", "V1") + f"data:\n  pw: {VALUE_B64}\n"},
        "charts/web/s.yaml:1: Secret web/s: Secret carries plaintext data ('pw')",
    ),
    "binary_data": (
        {"charts/web/s.yaml": SECRET + f"binaryData:\n  key.bin: {VALUE_B64}\n"},
        "charts/web/s.yaml:1: Secret web/s: Secret carries plaintext binaryData ('key.bin')",
    ),
    "item_of_a_secret_list": (
        {"charts/web/s.yaml": LIST_OF_ONE},
        "charts/web/s.yaml:1: Secret web/s: Secret carries plaintext stringData ('password')",
    ),
    "item_of_a_helm_secret_list": (
        {**CHART, "charts/leak/templates/s.yaml": LIST_OF_ONE},
        "charts/leak/templates/s.yaml:1: Secret leak/s: Secret carries plaintext stringData "
        "('password')",
    ),
    "inside_last_applied_configuration": (
        {
            "charts/web/s.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"
            f"  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: '{APPLIED}'\n"
        },
        "charts/web/s.yaml:1: ConfigMap web/c: Secret carries plaintext metadata.annotations"
        "[kubectl.kubernetes.io/last-applied-configuration].data ('pw')",
    ),
    "enc_values_under_a_hand_written_sops_block": (
        {
            **CHART,
            "charts/leak/templates/s.yaml": SECRET
            + f"data:\n  pw: ENC[AES256_GCM,data:{VALUE_B64},type:str]\n"
            + "sops:\n  mac: ENC[AES256_GCM,data:bWFj,type:str]\n  version: 3.9.1\n",
        },
        "charts/leak/templates/s.yaml:1: Secret leak/s: Secret carries plaintext data ('pw'): "
        "its 'sops' block lacks 'lastmodified'",
    ),
}
PLAINTEXT_HINT = (
    "  hint: encrypt every value with SOPS, or render an ExternalSecret or SealedSecret "
    "instead; this rule cannot be waived\n"
)


@pytest.mark.parametrize("case", sorted(SPELLING_CASES))
def test_every_spelling_of_a_secret_is_refused_naming_keys_only(
    minimal_repo: Path, case: str
) -> None:
    files, finding = SPELLING_CASES[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    catalog = (
        "catalog/operators/020-leak.yaml"
        if "charts/leak" in finding
        else ("catalog/operators/010-web.yaml")
    )
    result = run_cli(["render", "--no-cache", "--no-validate", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (
        1,
        "warning: --no-validate: no schema or policy checks except no-plaintext-secrets\n"
        f"{finding} [no-plaintext-secrets]\n{PLAINTEXT_HINT}  catalog: {catalog}\n"
        "  clusters: dev-1\n1 finding(s): rendered/ was not changed\n",
    )
    validated = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert validated.code == 1
    assert f"{finding} [no-plaintext-secrets]\n" in validated.err
    for output in (result.err, validated.err):
        assert VALUE not in output
        assert VALUE_B64 not in output
    assert snapshot(minimal_repo / "rendered") == before


KUSTOMIZATION = "overlays/clusters/dev-1/web/kustomization.yaml"
NOT_QUOTED = "(not quoted: it may hold a value)"

# case: (files, stderr): the message points at the key or line, never quotes the value
MESSAGE_CASES = {
    "secret_generator_literal_without_a_key": (
        {KUSTOMIZATION: f"secretGenerator:\n- name: creds\n  literals:\n  - {VALUE}\n"},
        f"error: {KUSTOMIZATION}:4:5: secretGenerator 'creds': literal 1 is not of the form "
        f"key=value {NOT_QUOTED}\n  hint: write literals as KEY=VALUE\n",
    ),
    "secret_generator_literal_with_an_empty_key": (
        {KUSTOMIZATION: f"secretGenerator:\n- name: creds\n  literals:\n  - ={VALUE}\n"},
        f"error: {KUSTOMIZATION}:4:5: secretGenerator 'creds': literal 1 is not of the form "
        f"key=value {NOT_QUOTED}\n  hint: write literals as KEY=VALUE\n",
    ),
    "secret_generator_env_line_without_equals": (
        {
            KUSTOMIZATION: "secretGenerator:\n- name: creds\n  envs:\n  - creds.env\n",
            "overlays/clusters/dev-1/web/creds.env": f"USER=admin\n{VALUE}\n",
        },
        f"error: {KUSTOMIZATION}:4:5: overlays/clusters/dev-1/web/creds.env:2: the line has no "
        f"'=' {NOT_QUOTED}\n  hint: write KEY=VALUE; values are never taken from the "
        "environment here\n",
    ),
    "replacement_index_out_of_range_for_a_secret_value": (
        {
            KUSTOMIZATION: "resources:\n- token.yaml\nreplacements:\n- source:\n    kind: Secret\n"
            "    name: token\n    fieldPath: data.token\n    options:\n      delimiter: ':'\n"
            "      index: 4\n  targets:\n  - select: {kind: ConfigMap}\n"
            "    fieldPaths: [data.mode]\n",
            "overlays/clusters/dev-1/web/token.yaml": (
                f"{SECRET.replace('name: s', 'name: token')}data:\n  token: {VALUE_B64}\n"
            ),
        },
        f"error: {KUSTOMIZATION}:4:3: replacement failed: options.index 4 is out of range: the "
        "value of 'data.token' splits into 1 piece(s) at the delimiter\n  hint: check the source "
        "and target selectors and field paths of this replacement\n",
    ),
}


BAD_INPUT = {
    **{f"sops_{case}": ({SOPS_FILE: text}, err) for case, (text, err) in SOPS_CASES.items()},
    **MESSAGE_CASES,
}


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
def test_bad_secret_input_is_refused_without_quoting_a_value(minimal_repo: Path, case: str) -> None:
    files, expected = BAD_INPUT[case]
    before = snapshot(minimal_repo / "rendered")
    write_tree(minimal_repo, files)
    result = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (result.code, result.err) == (2, expected)
    assert VALUE not in result.err
    assert VALUE_B64 not in result.err
    assert snapshot(minimal_repo / "rendered") == before


def _hostile(value: str) -> dict[str, Any]:
    """A committed rendered/ tree holding one value in every spelling of a Secret."""
    encoded = base64.b64encode(value.encode()).decode()
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "a", "namespace": "x"}}
    base = "rendered/dev-1/010-web"
    return {
        f"{base}/lower.yaml": {**secret, "kind": "secret", "stringData": {"k": value}},
        f"{base}/upper.yaml": {**secret, "apiVersion": "V1", "data": {"k": encoded}},
        f"{base}/binary.yaml": {**secret, "binaryData": {"k.bin": encoded}},
        f"{base}/field.yaml": {**secret, "metadata": {"name": "f"}, "stringData": value},
        f"{base}/list.yaml": {
            "apiVersion": "v1",
            "kind": "SecretList",
            "items": [{**secret, "metadata": {"name": "i"}, "data": {"k": encoded}}],
        },
        f"{base}/applied.yaml": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": "c",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                        {**secret, "stringData": {"k": value}}
                    )
                },
            },
        },
        f"{base}/not-an-object.yaml": f"- kind: Secret\n  stringData: {{k: {value}}}\n",
        f"{base}/fake-sops.yaml": {
            **secret,
            "metadata": {"name": "s"},
            "data": {"k": f"ENC[AES256_GCM,data:{encoded}]"},
            "sops": {},
        },
    }


def test_diff_prints_no_secret_value_in_any_format_whatever_the_tree_holds(
    tmp_path: Path,
) -> None:
    repo = Repo(tmp_path)
    repo.commit("catalog", {"catalog/clusters/dev-1.yaml": "name: dev-1\nenvironment: dev\n"})
    repo.commit("old", _hostile("0ld-s3cr3t"))
    repo.commit("new", _hostile("n3w-s3cr3t"))
    for base in ("HEAD~1", "HEAD~2"):  # every object changed, then every object added
        comparison = diff_revisions(repo.path, base, "HEAD")
        assert len(comparison.report.changes) == 8
        outputs = markdown(comparison) + as_json(comparison) + text(comparison, color=True)
        for secret in ("0ld-s3cr3t", "n3w-s3cr3t"):
            assert secret not in outputs
            assert base64.b64encode(secret.encode()).decode() not in outputs
        assert "(hidden" in outputs


def test_diff_render_refuses_what_render_refuses(minimal_repo: Path) -> None:
    repo = Repo(minimal_repo)
    repo.commit("platform")
    write_tree(minimal_repo, {"charts/web/s.yaml": SECRET + f"stringData:\n  pw: {VALUE}\n"})
    for fmt in ("markdown", "json", "text"):
        outcome = run_cli(
            ["diff", "--repo", str(minimal_repo), "--render", "--base", "HEAD", "--format", fmt]
        )
        assert (outcome.code, outcome.out) == (2, "")
        assert outcome.err == (
            "error: cannot render revision 'working tree' (working tree)\nrender refuses this catalog:\n"
            "charts/web/s.yaml:1: Secret web/s: Secret carries plaintext stringData ('pw') "
            f"[no-plaintext-secrets]\n{PLAINTEXT_HINT}  catalog: catalog/operators/010-web.yaml\n"
            "  clusters: dev-1\n  hint: fix the catalog at that revision, or compare the "
            "committed rendered/ trees by leaving out --render\n"
        )


def test_diff_does_not_read_a_rendered_file_linked_out_of_the_repository(tmp_path: Path) -> None:
    outside = write_tree(tmp_path / "outside", {"cm.yaml": f"kind: ConfigMap\ndata: {VALUE}\n"})
    repo = Repo(write_tree(tmp_path / "platform", {"catalog/clusters/dev-1.yaml": "name: dev-1\n"}))
    repo.commit("catalog")
    link = repo.path / "rendered/dev-1/010-web/configmap-c.yaml"
    link.parent.mkdir(parents=True)
    link.symlink_to(outside / "cm.yaml")
    result = run_cli(["diff", "--repo", str(repo.path), "--base", "HEAD"])
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        "error: rendered/dev-1/010-web/configmap-c.yaml: file "
        "'rendered/dev-1/010-web/configmap-c.yaml' leaves the repository (it resolves to "
        f"'{outside}/cm.yaml')\n  hint: keep inputs inside the repository: copy the file in "
        "instead of linking to it\n"
    )


@pytest.mark.parametrize(
    ("wanted", "live"),
    [
        ({"kind": "Secret", "binaryData": {"k": "YQ=="}}, {"binaryData": {"k": VALUE_B64}}),
        (
            {"kind": "secret", "metadata": {"name": "s"}},
            {"metadata": {"name": "s", "annotations": {LAST_APPLIED: APPLIED}}},
        ),
        (
            {"kind": "ConfigMap", "metadata": {"annotations": {LAST_APPLIED: "{}"}}},
            {"metadata": {"annotations": {LAST_APPLIED: APPLIED}}},
        ),
        (
            {"kind": "SecretList", "items": [{"kind": "Secret", "data": {"k": "YQ=="}}]},
            {"items": [{"kind": "Secret", "data": {"k": VALUE_B64}}]},
        ),
    ],
)
def test_drift_hides_every_secret_value_it_finds(
    wanted: dict[str, Any], live: dict[str, Any]
) -> None:
    found = differences(wanted, live, kind=str(wanted["kind"]), exact=True)
    assert found
    assert all(d.secret for d in found if VALUE_B64 in str(d.live) or VALUE in str(d.live))
