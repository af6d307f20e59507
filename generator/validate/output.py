"""[Result] → kubeconform's output text: text, pretty, json, junit and tap, byte for byte
(junit's run time aside)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from generator.gojson import go_json
from generator.validate.core import Result, Status

FORMATS = ("json", "junit", "pretty", "tap", "text")
GREEN, RED, YELLOW, RESET = "\033[32m", "\033[31m", "\033[33m", "\033[0m"


@dataclass(frozen=True, slots=True)
class Report:
    """What the writers need beyond the results."""

    summary: bool = False
    verbose: bool = False
    stdin: bool = False
    seconds: float = 0.0  # junit's run time


def render(results: Sequence[Result], output: str, report: Report) -> str:
    writer = {"text": text, "pretty": pretty, "json": as_json, "junit": junit, "tap": tap}[output]
    return writer(results, report)


def _counts(results: Sequence[Result]) -> dict[Status, int]:
    """kubeconform's counts: resources by verdict; policy findings are counted apart."""
    counts = dict.fromkeys(Status, 0)
    for result in results:
        if not result.policy:
            counts[result.status] += 1
    return counts


def summary_line(results: Sequence[Result], report: Report) -> str:
    counts = _counts(results)
    total = sum(counts[s] for s in Status if s is not Status.EMPTY)
    files = len({r.filename for r in results})
    plural_r = "s" if total > 1 else ""
    where = "parsing stdin" if report.stdin else f"in {files} file{'s' if files > 1 else ''}"
    policy = sum(r.policy for r in results)
    return (
        f"Summary: {total} resource{plural_r} found {where} - Valid: {counts[Status.VALID]}, "
        f"Invalid: {counts[Status.INVALID]}, Errors: {counts[Status.ERROR]}, "
        f"Skipped: {counts[Status.SKIPPED]}" + (f", Policy findings: {policy}" if policy else "")
    )


def text(results: Sequence[Result], report: Report) -> str:
    lines = []
    for r in results:
        if r.status is Status.VALID and report.verbose:
            lines.append(f"{r.filename} - {r.kind} {r.name} is valid")
        elif r.status is Status.INVALID:
            lines.append(f"{r.filename} - {r.kind} {r.name} is invalid: {r.msg}")
        elif r.status is Status.ERROR:
            if r.kind and r.name:
                lines.append(f"{r.filename} - {r.kind} {r.name} failed validation: {r.msg}")
            else:
                lines.append(f"{r.filename} - failed validation: {r.msg}")
        elif r.status is Status.SKIPPED and report.verbose:
            lines.append(f"{r.filename} - {r.name} {r.kind} skipped")
    if report.summary:
        lines.append(summary_line(results, report))
    return "".join(line + "\n" for line in lines)


def pretty(results: Sequence[Result], report: Report) -> str:
    lines = []
    for r in results:
        if r.status is Status.VALID and report.verbose:
            lines.append(f"{GREEN}✔{RESET} {r.filename}: {GREEN}{r.kind} {r.name} is valid{RESET}")
        elif r.status is Status.INVALID:
            lines.append(
                f"{RED}✖{RESET} {r.filename}: {RED}{r.kind} {r.name} is invalid: {r.msg}{RESET}"
            )
        elif r.status is Status.ERROR:
            subject = f"{r.kind} failed validation" if r.kind and r.name else "failed validation"
            lines.append(f"{RED}✖{RESET} {r.filename}: {RED}{subject}: {r.name} {r.msg}{RESET}")
        elif r.status is Status.SKIPPED and report.verbose:
            subject = " ".join(p for p in (r.kind, r.name) if p)
            shown = f"{subject} skipped" if subject else "skipped"
            lines.append(f"{YELLOW}-{RESET} {r.filename}: {YELLOW}{shown}{RESET}")
    if report.summary:
        lines.append(summary_line(results, report))
    return "".join(line + "\n" for line in lines)


def as_json(results: Sequence[Result], report: Report) -> str:
    listed = []
    for r in results:
        if not report.verbose and not r.failed:
            continue
        entry: dict[str, object] = {
            "filename": r.filename,
            "kind": r.kind,
            "name": r.name,
            "version": r.version,
            "status": r.status.value,
            "msg": r.msg,
        }
        if r.status is Status.EMPTY:
            entry = dict.fromkeys(entry, "")
        if r.validation_errors:
            entry["validationErrors"] = [{"path": p, "msg": m} for p, m in r.validation_errors]
        listed.append(entry)
    document: dict[str, object] = {"resources": listed}
    if report.summary:
        counts = _counts(results)
        document["summary"] = {
            "valid": counts[Status.VALID],
            "invalid": counts[Status.INVALID],
            "errors": counts[Status.ERROR],
            "skipped": counts[Status.SKIPPED],
        }
        if policy := sum(r.policy for r in results):
            document["summary"]["policyFindings"] = policy  # type: ignore[index]
    return go_json(document, indent=2) + "\n"


def _xml_attr(value: str) -> str:
    # encoding/xml's EscapeText
    out = []
    for ch in value:
        out.append(
            {
                '"': "&#34;",
                "'": "&#39;",
                "&": "&amp;",
                "<": "&lt;",
                ">": "&gt;",
                "\t": "&#x9;",
                "\n": "&#xA;",
                "\r": "&#xD;",
            }.get(ch, ch)
        )
    return "".join(out)


def _go_float(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def junit(results: Sequence[Result], report: Report) -> str:
    suites: dict[str, list[Result]] = {}
    for r in results:
        suites.setdefault(r.filename, [])
        if r.status is not Status.EMPTY:
            suites[r.filename].append(r)
    counts = _counts(results)
    total = sum(len(cases) for cases in suites.values())
    lines = [
        f'<testsuites name="kubeconform" time="{_go_float(report.seconds)}" tests="{total}" '
        f'failures="{counts[Status.INVALID]}" disabled="{counts[Status.SKIPPED]}" '
        f'errors="{counts[Status.ERROR]}">'
    ]
    for number, (filename, cases) in enumerate(suites.items(), start=1):
        suite = _counts(cases)
        head = (
            f'  <testsuite name="{_xml_attr(filename)}" id="{number}" tests="{len(cases)}" '
            f'failures="{suite[Status.INVALID]}" errors="{suite[Status.ERROR]}" disabled="0" '
            f'skipped="{suite[Status.SKIPPED]}">'
        )
        if not cases:
            lines.append(head + "</testsuite>")
            continue
        lines.append(head)
        for r in cases:
            name = f"{r.namespace}/{r.name}" if r.namespace else r.name
            case = (
                f'    <testcase name="{_xml_attr(name)}" '
                f'classname="{_xml_attr(r.kind)}@{_xml_attr(r.version)}" time="0">'
            )
            child = {
                Status.INVALID: f'<failure message="{_xml_attr(r.msg)}" type=""></failure>',
                Status.ERROR: f'<error message="{_xml_attr(r.msg)}" type=""></error>',
                Status.SKIPPED: '<skipped message=""></skipped>',
            }.get(r.status)
            if child is None:
                lines.append(case + "</testcase>")
            else:
                lines.extend([case, "      " + child, "    </testcase>"])
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines) + "\n"


def tap(results: Sequence[Result], report: Report) -> str:
    lines = ["TAP version 13"] if results else []
    for n, r in enumerate(results, start=1):
        identity = f"({r.version}/{r.kind}/{r.namespace}/{r.name})"
        if r.status is Status.VALID:
            lines.append(f"ok {n} - {r.filename} {identity}")
        elif r.status is Status.INVALID:
            lines.append(f"not ok {n} - {r.filename} {identity}: {r.msg}")
        elif r.status is Status.ERROR:
            lines.append(f"not ok {n} - {r.filename}: {r.msg}")
        elif r.status is Status.SKIPPED:
            lines.append(f"ok {n} - {r.filename} {identity} # skip")
        else:
            lines.append(f"ok {n} - {r.filename} (empty)")
    lines.append(f"1..{len(results)}")
    return "\n".join(lines) + "\n"
