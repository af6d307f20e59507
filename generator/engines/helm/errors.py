"""Helm's error text (an SDK exception or the binary's stderr) → GeneratorError at the template,
values file or Chart.yaml it names."""

from __future__ import annotations

import re

from generator.engines.helm.chart import Chart, check_chart_files, repo_path, where
from generator.errors import GeneratorError
from generator.model import Origin, RenderUnit

_PARSE = re.compile(r"parse error at \((?P<file>[^():]+):(?P<line>\d+)\): (?P<msg>.*)", re.S)
_EXEC = re.compile(
    r"execution error at \((?P<file>[^():]+):(?P<line>\d+):(?P<col>\d+)\): (?P<msg>.*)", re.S
)
_FRAME = re.compile(
    r"(?:template: )?(?P<file>[^\s():]+\.(?:yaml|yml|tpl|txt|json)):(?P<line>\d+)"
    r"(?::(?P<col>\d+))?:?(?P<msg>.*)",
    re.S,
)
_YAML = re.compile(r"YAML parse error on (?P<file>[^:\s]+): (?P<msg>.*)", re.S)
_MISSING = re.compile(r"at <(?P<path>[^>]+)>:\s*map has no entry for key \"(?P<key>[^\"]+)\"")
_SCHEMA = "values don't meet the specifications of the schema(s)"


def translate(
    detail: str, chart: Chart, unit: RenderUnit, hint: str, *, exit_status: int | None
) -> GeneratorError:
    """A helm error text (SDK exception or binary stderr) → GeneratorError at the template."""
    prefix = where(unit)
    text = detail.strip()
    if "cannot load values.yaml" in text or text.startswith(_SCHEMA):
        check_chart_files(chart, unit)  # a broken file is named with its own line and column
    if text.startswith(_SCHEMA):
        return GeneratorError(
            f"{prefix}: values do not satisfy the chart's values.schema.json: "
            f"{' '.join(text.split(chr(10), 1)[-1].split())}",
            unit.origin,
            f"fix the value in the operator's values or in operators.{unit.name}.values of an "
            f"environment or cluster; the schema is {chart.path}/values.schema.json",
        )
    for pattern, what in ((_PARSE, "template parse error"), (_EXEC, "template failed")):
        match = pattern.match(text)
        if match:
            return GeneratorError(
                f"{prefix}: {what}: {' '.join(match['msg'].split())}",
                Origin(repo_path(match["file"], chart), int(match["line"]), _column(match)),
                "fix the template syntax" if what.endswith("parse error") else
                "set the value named above in the catalog or fix the template",
            )  # fmt: skip
    match = _YAML.match(text)
    if match:
        return GeneratorError(
            f"{prefix}: template '{match['file']}' rendered invalid YAML: "
            f"{' '.join(match['msg'].split())}",
            Origin(repo_path(match["file"], chart), 1),
            "check indentation in the template (nindent/toYaml)",
        )
    match = _FRAME.match(text)
    missing = _MISSING.search(text)
    if match and missing:  # helm.strict: the template read a value nobody set
        return GeneratorError(
            f"{prefix}: template reads {missing['path']}, which is not set (helm.strict)",
            Origin(repo_path(match["file"], chart), int(match["line"]), _column(match)),
            f"set {missing['key']} in the catalog ({unit.kind} values) or the chart's "
            "values.yaml, or guard it with `default` / `if`",
        )
    if match:
        return GeneratorError(
            f"{prefix}: template error: {' '.join(match['msg'].split())}",
            Origin(repo_path(match["file"], chart), int(match["line"]), _column(match)),
            "fix the template at that position",
        )
    status = f" (helm exit status {exit_status})" if exit_status is not None else ""
    return GeneratorError(
        f"{prefix}: helm could not render chart '{chart.name}'{status}: {' '.join(text.split())}",
        Origin(chart.path / "Chart.yaml", 1),
        hint,
    )


def _column(match: re.Match[str]) -> int:
    # Go's text/template counts columns from 0; Origin counts from 1 (0 = unknown).
    column = match.groupdict().get("col")
    return int(column) + 1 if column else 0
