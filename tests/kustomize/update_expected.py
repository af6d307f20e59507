"""Rewrite the committed expectations: cases/*/expected.yaml from `kubectl kustomize`, and
errors/*/expected.txt from our builder (review the diff before committing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

from generator.errors import GeneratorError  # noqa: E402
from generator.overlays.build import build  # noqa: E402


def main() -> None:
    for case in sorted((HERE / "cases").iterdir()):
        out = subprocess.run(
            ["kubectl", "kustomize", str(case)], capture_output=True, text=True, check=True
        )
        (case / "expected.yaml").write_text(out.stdout, encoding="utf-8")
    for case in sorted((HERE / "errors").iterdir()):
        if case.name.startswith("_"):
            continue
        try:
            build(case, case)
        except GeneratorError as e:
            (case / "expected.txt").write_text(str(e) + "\n", encoding="utf-8")
        else:
            print(f"{case.name}: builds without error", file=sys.stderr)


if __name__ == "__main__":
    main()
