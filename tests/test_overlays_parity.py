"""Differential tests: our Kustomize builder against committed `kubectl kustomize` output,
and against kubectl itself when it is on PATH."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.errors import GeneratorError
from generator.overlays.build import build
from generator.yamlio import ManifestLoader, dump_stream

HERE = Path(__file__).parent / "kustomize"
CASES = sorted(p for p in (HERE / "cases").iterdir() if p.is_dir())
ERRORS = sorted(p for p in (HERE / "errors").iterdir() if p.is_dir() and not p.name.startswith("_"))
KUBECTL = shutil.which("kubectl")
NO_KUBECTL = "kubectl is not on PATH; the committed expected.yaml files still guard behaviour"


def documents(text: str) -> list[Any]:
    return [d for d in yaml.load_all(text, Loader=ManifestLoader) if d is not None]


def ours(case: Path) -> list[Any]:
    return documents(dump_stream([r.body for r in build(case, case)]))


@cache
def kubectl_results() -> dict[str, subprocess.CompletedProcess[str]]:
    """`kubectl kustomize` for every case at once, in threads: about a second in all."""
    assert KUBECTL is not None

    def run(case: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [KUBECTL, "kustomize", str(case)], capture_output=True, text=True, check=False
        )

    every = [*CASES, *ERRORS]
    with ThreadPoolExecutor(max_workers=8) as pool:
        return {case.name: result for case, result in zip(every, pool.map(run, every), strict=True)}


def test_the_parity_suite_has_a_hundred_build_and_thirty_error_cases() -> None:
    assert (len(CASES) >= 100, len(ERRORS) >= 30) == (True, True)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_build_matches_committed_kustomize_output(case: Path) -> None:
    expected = documents((case / "expected.yaml").read_text(encoding="utf-8"))
    assert ours(case) == expected


@pytest.mark.skipif(KUBECTL is None, reason=NO_KUBECTL)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_build_matches_kubectl_kustomize(case: Path) -> None:
    result = kubectl_results()[case.name]
    assert result.returncode == 0, result.stderr
    assert ours(case) == documents(result.stdout)


@pytest.mark.parametrize("case", ERRORS, ids=[c.name for c in ERRORS])
def test_bad_kustomization_fails_with_exact_message(case: Path) -> None:
    with pytest.raises(GeneratorError) as caught:
        build(case, case)
    assert str(caught.value) + "\n" == (case / "expected.txt").read_text(encoding="utf-8")


@pytest.mark.skipif(KUBECTL is None, reason=NO_KUBECTL)
@pytest.mark.parametrize("case", ERRORS, ids=[c.name for c in ERRORS])
def test_kubectl_kustomize_fails_on_the_same_input(case: Path) -> None:
    assert kubectl_results()[case.name].returncode != 0
