"""Command outcomes (render, lint, problems) → the JSON documents `--format json` prints.

Every document has `ok`; a failed run lists `errors` (bad input, exit 2) or `findings`
(invalid objects, exit 1), each with the place as separate fields so tools need not parse
`file:line:col`. The shapes are documented in docs/commands.md.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from generator.errors import GeneratorError, GeneratorErrors
from generator.model import Finding, Origin


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def errors_document(error: GeneratorError) -> dict[str, Any]:
    errors = error.errors if isinstance(error, GeneratorErrors) else [error]
    return {"ok": False, "errors": [_problem(e.message, e.origin, e.hint) for e in errors]}


def findings_document(findings: Sequence[Finding]) -> dict[str, Any]:
    return {
        "ok": False,
        "findings": [
            _problem(f.message, f.origin, f.hint)
            | {
                "rule": f.rule,
                "resource": str(f.key) if f.key else "",
                "catalog": f.catalog,
                "clusters": list(f.clusters),
            }
            for f in findings
        ],
    }


def _problem(message: str, origin: Origin | None, hint: str | None) -> dict[str, Any]:
    return {
        "file": str(origin.path) if origin else "",
        "line": origin.line if origin else 0,
        "column": origin.column if origin else 0,
        "message": message,
        "hint": hint or "",
    }
