"""Property tests: a Secret value, in any spelling Hypothesis finds (kind and apiVersion in any
case, data/stringData/binaryData, items of any *List, kubectl's last-applied annotation, a
hand-written sops block over ENC[...]-looking values), never reaches rendered/, any diff
format or a message."""

from __future__ import annotations

import base64
import json
import string
from pathlib import Path, PurePosixPath
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.diff import diff_trees, markdown
from generator.diff.attention import attention
from generator.diff.platform import ClusterInfo
from generator.diff.report import as_json, text
from generator.diff.revisions import Comparison
from generator.diff.rules.context import RuleContext
from generator.diff.trees import Revision
from generator.model import Manifest, Origin, RenderedFile
from generator.policies import check_secrets
from generator.yamlio import dump_manifest
from tests.conftest import MINIMAL, run_cli, snapshot, write_tree

# A value no generated name, key or message can contain by chance.
values = st.text(string.ascii_letters + string.digits, min_size=8, max_size=16).map(
    lambda s: f"Zq{s}Xv"
)
keys = st.sampled_from(["password", "token", ".dockerconfigjson", "tls.key", "a_b-c"])
fields = st.sampled_from(["data", "stringData", "binaryData"])


def _case_variants(word: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(word), max_size=len(word)).map(
        lambda upper: "".join(
            c.upper() if u else c.lower() for c, u in zip(word, upper, strict=True)
        )
    )


@st.composite
def secret_documents(draw: st.DrawFn, value: str) -> dict[str, Any]:
    """One document that holds `value` as a Secret value, spelt some way."""
    encoded = base64.b64encode(value.encode()).decode()
    stored = value if draw(st.booleans()) else encoded
    secret: dict[str, Any] = {
        "apiVersion": draw(st.sampled_from(["v1", "V1"])),
        "kind": draw(_case_variants("secret")),
        "metadata": {"name": draw(st.sampled_from(["s", "db", "registry"]))},
        draw(fields): {draw(keys): stored},
    }
    if draw(st.booleans()):  # encryption claimed, not proved
        secret = {
            k: (
                {kk: f"ENC[AES256_GCM,data:{stored}]" for kk in v}
                if k in ("data", "stringData", "binaryData")
                else v
            )
            for k, v in secret.items()
        }
        secret["sops"] = draw(
            st.sampled_from(
                [
                    {},
                    {"mac": "ENC[AES256_GCM,data:bWFj]", "version": "3.9.1"},
                    {"mac": "x", "version": "3.9.1", "lastmodified": "now", "age": [{"r": 1}]},
                    {"mac": "ENC[m]", "version": "3", "lastmodified": "now", "age": []},
                ]
            )
        )
    wrapper = draw(st.sampled_from(["none", "list", "annotation", "both"]))
    if wrapper in ("list", "both"):
        secret = {
            "apiVersion": "v1",
            "kind": draw(st.sampled_from(["List", "SecretList", "secretlist"])),
            "items": [secret],
        }
    if wrapper in ("annotation", "both"):
        secret = {
            "apiVersion": "v1",
            "kind": draw(st.sampled_from(["ConfigMap", "Secret"])),
            "metadata": {
                "name": "holder",
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration": json.dumps(secret)
                },
            },
        }
    return secret


def _leaks(value: str, text: str) -> bool:
    encoded = base64.b64encode(value.encode()).decode()
    return value in text or encoded in text


@settings(max_examples=100, deadline=None)
@given(data=st.data(), value=values)
def test_the_policy_finds_every_spelling_and_names_no_value(
    data: st.DataObject, value: str
) -> None:
    body = data.draw(secret_documents(value))
    findings = check_secrets([Manifest(body, Origin(PurePosixPath("charts/web/s.yaml"), 1))])
    assert findings, body
    assert {f.rule for f in findings} == {"no-plaintext-secrets"}
    assert not _leaks(value, "\n".join(str(f) for f in findings))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), old=values, new=values)
def test_no_diff_format_prints_a_value(data: st.DataObject, old: str, new: str) -> None:
    count = data.draw(st.integers(1, 3))
    before = [data.draw(secret_documents(old)) for _ in range(count)]
    after = [data.draw(secret_documents(new)) for _ in range(count)]

    def tree(documents: list[dict[str, Any]]) -> list[RenderedFile]:
        return [
            RenderedFile(PurePosixPath(f"dev-1/010-web/s{i}.yaml"), dump_manifest(d))
            for i, d in enumerate(documents)
        ]

    report = diff_trees(tree(before), tree(after))
    clusters = {"dev-1": ClusterInfo("prod", True)}
    comparison = Comparison(
        Revision("main", "a" * 40),
        Revision("HEAD", "b" * 40),
        "committed",
        report,
        clusters,
        tuple(attention(RuleContext(report, clusters))),
        (),
    )
    shown = markdown(comparison) + as_json(comparison) + text(comparison, color=True)
    assert not _leaks(old, shown)
    assert not _leaks(new, shown)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), value=values, validate=st.booleans())
def test_render_writes_no_value_and_says_none(
    tmp_path_factory: Any, data: st.DataObject, value: str, validate: bool
) -> None:
    repo = write_tree(tmp_path_factory.mktemp("repo"), MINIMAL)
    assert run_cli(["render", "--repo", str(repo)]).code == 0
    before = snapshot(repo / "rendered")
    documents = [data.draw(secret_documents(value)) for _ in range(data.draw(st.integers(1, 2)))]
    write_tree(repo, {"charts/web/secret.yaml": "---\n".join(dump_manifest(d) for d in documents)})
    options = [] if validate else ["--no-validate"]
    result = run_cli(["render", "--no-cache", *options, "--repo", str(repo)])
    # Refused either way: a no-plaintext-secrets finding (exit 1), or bad input (exit 2: a
    # sops block that is not SOPS metadata, two documents of one name), never our bug.
    assert (result.code, "[no-plaintext-secrets]" in result.err) in ((1, True), (2, False))
    assert "Traceback" not in result.err
    assert not _leaks(value, result.out + result.err)
    assert snapshot(repo / "rendered") == before
    cache = Path(repo, ".generator-cache")
    assert not any(_leaks(value, p.read_text()) for p in cache.rglob("*.json"))
