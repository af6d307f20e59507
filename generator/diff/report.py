"""Comparison → text for people and machines: a Markdown pull-request comment that fits
GitHub's size limit, JSON, and terminal text (ANSI colours on request)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

import click

from generator.diff.attention import CATEGORIES, by_category
from generator.diff.compare import Change
from generator.diff.revisions import Comparison

# Finds the previous comment, so the workflow edits it instead of adding one per push.
MARKER = "<!-- platform-generator:render-diff -->"
# GitHub refuses comment bodies longer than 65,536 characters.
GITHUB_COMMENT_LIMIT = 65_536
DIFF_LINE_LIMIT = 400  # lines of one resource diff before it is cut, whatever the budget
ATTENTION_LIMIT = 30  # items per attention category in Markdown
SYMBOL = {"added": "+", "removed": "-", "changed": "~", "moved": "→"}


def _title(comparison: Comparison) -> str:
    base, head = comparison.base, comparison.head
    return f"`{base.label}` ({base.short}) → `{head.label}`" + (
        f" ({head.short})" if head.sha else ""
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _clusters_list(names: Sequence[str]) -> str:
    shown = ", ".join(f"`{n}`" for n in names[:8])
    return shown + (f" and {len(names) - 8} more" if len(names) > 8 else "")


def _fence(lines: Sequence[str]) -> str:
    """A backtick fence longer than any run of backticks inside the diff."""
    longest = max((len(m) for line in lines for m in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def _mode_line(comparison: Comparison, code: str = "`") -> str:
    """`code` wraps names: a backtick for Markdown, nothing for the terminal."""
    if comparison.mode == "render":
        return f"Both revisions were rendered from their catalogs ({code}--render{code})."
    return f"Compared the committed {code}rendered/{code} trees."


def _summary(comparison: Comparison) -> list[str]:
    report = comparison.report
    lines = [MARKER, f"### Rendered changes: {_title(comparison)}", ""]
    for stale in comparison.stale:
        lines.append(
            f"> [!WARNING]\n> `rendered/` at `{stale.revision.label}` is stale: a fresh render "
            f"differs in {stale.resources} resource(s). Run `generator render` and commit it."
        )
        lines.append("")
    if not report:
        lines += [f"No rendered resource changes. {_mode_line(comparison)}", ""]
        return lines
    lines += [
        "| Cluster | Environment | Added | Changed | Removed |",
        "|:--|:--|--:|--:|--:|",
    ]
    totals = [0, 0, 0]
    for cluster in report.clusters:
        counts = report.counts(cluster)
        row = [counts["added"], counts["changed"], counts["removed"]]
        totals = [a + b for a, b in zip(totals, row, strict=True)]
        info = comparison.clusters.get(cluster)
        environment = info.environment if info else ""
        if info and info.production:
            environment += " (production)"
        name = cluster or "(top level)"
        lines.append(
            f"| `{_cell(name)}` | {_cell(environment)} | " + " | ".join(map(str, row)) + " |"
        )
    lines.append("| **Total** | | " + " | ".join(f"**{n}**" for n in totals) + " |")
    unchanged = len((report.old_clusters | report.new_clusters) - set(report.clusters))
    others = f"{unchanged} other cluster(s) unchanged. " if unchanged else ""
    lines += ["", others + _mode_line(comparison), ""]
    return lines


def _attention(comparison: Comparison, limit: int) -> list[str]:
    grouped = by_category(comparison.attention)
    if not grouped:
        return []
    report = comparison.report
    everywhere = set(report.old_clusters | report.new_clusters)
    lines = ["#### Needs attention", ""]
    for category, title in CATEGORIES.items():
        items = grouped.get(category, [])
        if not items:
            continue
        lines.append(f"- **{title}** ({len(items)})")
        for item in items[:limit]:
            where = f"{_clusters_list(item.clusters)}: "
            if len(everywhere) > 1 and set(item.clusters) == everywhere:
                where = "every cluster: "
            lines.append(f"  - {'' if category == 'cluster' else where}{item.message}")
        if len(items) > limit:
            lines.append(f"  - … and {len(items) - limit} more")
    return [*lines, ""]


def _summary_line(change: Change) -> str:
    text = f"{SYMBOL[change.status]} {change.component or '(cluster)'}: {change.key}"
    if change.status == "moved" and change.old is not None:
        text += f" (from {change.old.component})"
    return html.escape(text)


def _details(change: Change, max_lines: int) -> tuple[str, bool]:
    """One collapsible resource diff and whether it was cut short."""
    lines = list(change.diff)
    cut = len(lines) > max_lines
    if cut:
        lines = [*lines[:max_lines], f"… {len(change.diff) - max_lines} more diff lines not shown"]
    if not lines:
        lines = ["(content unchanged)"]
    fence = _fence(lines)
    body = "\n".join(lines)
    return (
        f"<details><summary><code>{_summary_line(change)}</code></summary>\n\n"
        f"{fence}diff\n{body}\n{fence}\n\n</details>\n",
        cut,
    )


def markdown(comparison: Comparison, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """The pull-request comment. The summary always stays; the attention list is shortened
    and resource diffs are cut, then listed by name only, to stay within max_chars."""
    note = (
        "\n> [!NOTE]\n> Some diffs were shortened or left out to fit the comment size limit; "
        f"run `generator diff --base {comparison.base.label}` locally for all of them.\n"
    )
    summary = _summary(comparison)
    for limit in (ATTENTION_LIMIT, 10, 3, 0):
        head = "\n".join(summary + _attention(comparison, limit))
        if len(head) + len(note) + 200 <= max_chars:
            break
    else:
        # Only thousands of changed clusters get here: keep as much of the table as fits.
        return "\n".join(summary)[: max_chars - len(note)] + note
    budget = max_chars - len(head) - len(note)
    reserve = min(4_000, budget // 10)  # for the names of diffs that do not fit
    budget -= reserve
    parts: list[str] = []
    truncated = False
    left_out: list[Change] = []
    current = None
    changes = comparison.report.changes
    for position, change in enumerate(changes):
        name = change.cluster or "(top level)"
        heading = f"\n#### `{name}`\n\n" if change.cluster != current else ""
        # Each remaining diff gets a fair share, so a few huge ones cannot crowd out the rest.
        share = budget // (len(changes) - position)
        for max_lines in (DIFF_LINE_LIMIT, 120, 40, 8):
            block, cut = _details(change, max_lines)
            block = heading + block
            if len(block) <= share:
                break
        if len(block) > budget:
            left_out.append(change)
            continue
        truncated = truncated or cut
        current = change.cluster
        parts.append(block)
        budget -= len(block)
    if left_out:
        truncated = True
        parts.append(_left_out(left_out, budget + reserve))
    return head + "".join(parts) + (note if truncated else "")


def _left_out(changes: Sequence[Change], budget: int) -> str:
    """Names of the resources whose diffs did not fit, as many as the budget allows."""
    text = f"\n#### Not shown ({len(changes)} resources)\n\n"
    for i, change in enumerate(changes):
        line = f"- `{change.cluster}` {_summary_line(change)}\n"
        rest = f"- … and {len(changes) - i} more\n"
        if len(text) + len(line) + len(rest) + 40 > budget:
            return text + rest
        text += line
    return text


def as_json(comparison: Comparison) -> str:
    """Stable machine-readable form: sorted keys, one entry per changed resource."""

    def revision(r: Any) -> dict[str, str]:
        return {"label": r.label, "sha": r.sha}

    report = comparison.report
    document = {
        "base": revision(comparison.base),
        "head": revision(comparison.head),
        "mode": comparison.mode,
        "summary": {
            cluster: {
                **report.counts(cluster),
                "environment": comparison.clusters[cluster].environment
                if cluster in comparison.clusters
                else "",
            }
            for cluster in report.clusters
        },
        "attention": [
            {"category": a.category, "message": a.message, "clusters": list(a.clusters)}
            for a in comparison.attention
        ],
        "stale": [
            {"revision": revision(s.revision), "resources": s.resources} for s in comparison.stale
        ],
        "changes": [
            {
                "status": c.status,
                "cluster": c.cluster,
                "component": c.component,
                "oldComponent": c.old.component if c.old else None,
                "apiVersion": c.key.api_version,
                "kind": c.key.kind,
                "namespace": c.key.namespace,
                "name": c.key.name,
                "oldPath": f"rendered/{c.old.path}" if c.old else None,
                "newPath": f"rendered/{c.new.path}" if c.new else None,
                "diff": "\n".join(c.diff) + "\n" if c.diff else "",
            }
            for c in report.changes
        ],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _paint(line: str, color: bool) -> str:
    if not color:
        return line
    if line.startswith(("+++", "---")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


def text(comparison: Comparison, color: bool = False) -> str:
    """Terminal form: counts, attention, then every diff in full."""
    report = comparison.report
    out = [f"{comparison.base.label} → {comparison.head.label}: {_mode_line(comparison, '')}"]
    out += [
        f"warning: rendered/ at {s.revision.label} is stale ({s.resources} resources differ "
        "from a fresh render)"
        for s in comparison.stale
    ]
    if not report:
        return "\n".join([*out, "no rendered resource changes"]) + "\n"
    for cluster in report.clusters:
        c = report.counts(cluster)
        out.append(f"{cluster or '(top level)'}: +{c['added']} ~{c['changed']} -{c['removed']}")
    if comparison.attention:
        out.append(click.style("needs attention:", bold=True) if color else "needs attention:")
        for item in comparison.attention:
            where = "" if item.category == "cluster" else f"{', '.join(item.clusters)}: "
            out.append(f"  {CATEGORIES[item.category]}: {where}{item.message.replace('`', '')}")
    for change in report.changes:
        header = f"{SYMBOL[change.status]} {change.cluster}/{change.component}: {change.key}"
        out += ["", click.style(header, bold=True) if color else header]
        out += [_paint(line, color) for line in change.diff]
    return "\n".join(out) + "\n"
