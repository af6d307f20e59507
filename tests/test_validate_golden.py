"""`generator validate` over the corpus in tests/validate/corpus/: every output format and
the main flags, compared with golden files (`pytest --update-golden` rewrites them)."""

from __future__ import annotations

import difflib
import io
import re
from pathlib import Path

import pytest

from generator.validate.command import Request, execute
from generator.validate.core import Options, parse_kinds
from generator.validate.schemas import builtin_root

HERE = Path(__file__).parent / "validate"
GOLDEN = HERE / "golden"
BASE = Options(kubernetes_version="1.31.0")
SKIP_REJECT = Options(
    kubernetes_version="1.31.0",
    skip=parse_kinds(" ConfigMap , v1/Namespace,"),
    reject=parse_kinds("apps/v1/Deployment,Job"),
    ignore_missing_schemas=True,
)

# name → (paths, options, request fields)
CASES: dict[str, tuple[tuple[str, ...], Options, dict[str, object]]] = {
    "text": (("corpus",), BASE, {}),
    "text-summary": (("corpus",), BASE, {"summary": True}),
    "text-verbose": (("corpus",), BASE, {"summary": True, "verbose": True}),
    "strict": (("corpus",), Options(kubernetes_version="1.31.0", strict=True), {"summary": True}),
    "json": (("corpus",), BASE, {"output": "json"}),
    "json-verbose": (("corpus",), BASE, {"output": "json", "summary": True, "verbose": True}),
    "junit": (("corpus",), BASE, {"output": "junit"}),
    "tap": (("corpus",), BASE, {"output": "tap"}),
    "pretty": (("corpus",), BASE, {"output": "pretty", "summary": True, "verbose": True}),
    "skip-reject": (("corpus",), SKIP_REJECT, {"summary": True, "verbose": True}),
    **{
        f"skip-reject-{output}": (("corpus",), SKIP_REJECT, {"output": output, "verbose": True})
        for output in ("pretty", "tap", "junit")
    },
    "ignore-pattern": (
        ("corpus",),
        BASE,
        {"summary": True, "ignore_patterns": ("skipped/", "1[0-4]-")},
    ),
    "no-extensions": (
        ("corpus/sub",),
        Options(kubernetes_version="1.31.0", input_crds=False),
        {"summary": True},
    ),
    "exit-on-error": (("corpus",), BASE, {"summary": True, "exit_on_error": True}),
    "missing-path": (
        ("corpus/01-valid.yaml", "nope.yaml", "corpus/notes.txt"),
        BASE,
        {"summary": True, "verbose": True},
    ),
}


def normalise(text: str) -> str:
    text = text.replace(builtin_root().as_uri(), "file:///SCHEMAS")
    text = text.replace(HERE.resolve().as_uri(), "file:///HERE")
    return re.sub(r'(<testsuites name="kubeconform" time=")[^"]*"', r'\g<1>TIME"', text)


def run_case(name: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, int]:
    paths, options, fields = CASES[name]
    monkeypatch.chdir(HERE)
    request = Request(paths=paths, options=options, workers=1, verdict_cache=None, **fields)  # type: ignore[arg-type]
    text, code = execute(request)
    return normalise(text) + f"exit code: {code}\n", code


@pytest.mark.parametrize("name", sorted(CASES))
def test_output_matches_golden(
    name: str, monkeypatch: pytest.MonkeyPatch, update_golden: bool
) -> None:
    actual, _ = run_case(name, monkeypatch)
    golden = GOLDEN / f"{name}.txt"
    if update_golden:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(actual, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    diff = "".join(
        difflib.unified_diff(expected.splitlines(True), actual.splitlines(True), "golden", "actual")
    )
    assert actual == expected, diff


def test_stdin_reports_filename_stdin_and_keeps_empty_documents(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n\n---\nkind: x\n"
    request = Request(paths=("-",), options=BASE, summary=True, output="tap", verdict_cache=None)
    text, code = execute(request, stdin=io.BytesIO(data))
    assert text == (
        "TAP version 13\n"
        "ok 1 - stdin (v1/ConfigMap//a)\n"
        "ok 2 - stdin (empty)\n"
        "not ok 3 - stdin: error while parsing: missing 'apiVersion' key\n"
        "1..3\n"
    )
    assert code == 1
    text, _ = execute(
        Request(paths=(), options=BASE, summary=True, verdict_cache=None), stdin=io.BytesIO(data)
    )
    assert text.endswith(
        "Summary: 2 resources found parsing stdin - Valid: 1, Invalid: 0, Errors: 1, Skipped: 0\n"
    )


def test_summary_uses_singular_for_zero_and_one(monkeypatch: pytest.MonkeyPatch) -> None:
    text, code = execute(
        Request(paths=("-",), options=BASE, summary=True, verdict_cache=None), stdin=io.BytesIO(b"")
    )
    assert (text, code) == (
        "Summary: 0 resource found parsing stdin - Valid: 0, Invalid: 0, Errors: 0, Skipped: 0\n",
        0,
    )
    monkeypatch.chdir(HERE)
    text, _ = execute(
        Request(
            paths=("corpus/12-generate-name.yaml",), options=BASE, summary=True, verdict_cache=None
        )
    )
    assert (
        text
        == "Summary: 1 resource found in 1 file - Valid: 1, Invalid: 0, Errors: 0, Skipped: 0\n"
    )
