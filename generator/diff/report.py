"""Comparison → text for people and machines: a Markdown pull-request comment that fits
GitHub's size limit, JSON, and terminal text (ANSI colours on request)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from typing import Any

import click

from generator.diff.attention import Attention, by_rule
from generator.diff.compare import Change
from generator.diff.headline import Intent
from generator.diff.revisions import Comparison
from generator.diff.rules import BY_ID, RULES
from generator.diff.rules.context import GITOPS_FOLDERS

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


def _sources(sources: Sequence[str], code: str = "`") -> str:
    shown = ", ".join(f"{code}{s}{code}" for s in sources[:3])
    more = f" and {len(sources) - 3} more" if len(sources) > 3 else ""
    return f" ({shown}{more})" if sources else ""


def intent_line(intent: Intent, code: str = "`") -> str:
    """`Tenant `billing` added: `eks-prod` +11 (catalog/tenants/billing.yaml)`."""
    counts = ", ".join(str(c) for c in intent.clusters[:8])
    if len(intent.clusters) > 8:
        counts += f" and {len(intent.clusters) - 8} more"
    text = intent.message + (f": {counts}" if counts else "") + _sources(intent.sources)
    return text if code == "`" else text.replace("`", code)


def _where(item: Attention, everywhere: set[str]) -> str:
    if item.rule == "cluster-removed":
        return ""
    if len(everywhere) > 1 and set(item.clusters) == everywhere:
        return "every cluster: "
    return f"{_clusters_list(item.clusters)}: "


def attention_line(item: Attention, everywhere: set[str], code: str = "`") -> str:
    text = _where(item, everywhere) + item.message + _sources(item.sources)
    return text if code == "`" else text.replace("`", code)


def _table(comparison: Comparison) -> list[str]:
    report = comparison.report
    lines = [
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
    return [*lines, "", others + _mode_line(comparison), ""]


def _head(comparison: Comparison) -> list[str]:
    """Title, stale warnings and what the change does."""
    lines = [MARKER, f"### Rendered changes: {_title(comparison)}", ""]
    for stale in comparison.stale:
        lines.append(
            f"> [!WARNING]\n> `rendered/` at `{stale.revision.label}` is stale: a fresh render "
            f"differs in {stale.resources} resource(s). Run `generator render` and commit it."
        )
        lines.append("")
    if comparison.headline:
        lines += ["#### What this change does", ""]
        lines += [f"- {intent_line(i)}" for i in comparison.headline]
        lines.append("")
    if not comparison.report:
        lines += [f"No rendered resource changes. {_mode_line(comparison)}", ""]
    return lines


def _next(comparison: Comparison) -> list[str]:
    if not comparison.next_steps:
        return []
    lines = ["#### After merge", ""]
    for step in comparison.next_steps:
        info = comparison.clusters.get(step.cluster)
        environment = f" ({info.environment})" if info and info.environment else ""
        lines.append(f"- `{step.cluster}`{environment}: {step.message}")
    return [*lines, ""]


def _summary(comparison: Comparison, limit: int) -> list[str]:
    """Everything before the resource diffs, most important first."""
    if not comparison.report:
        return _head(comparison)
    return (
        _head(comparison) + _attention(comparison, limit) + _next(comparison) + _table(comparison)
    )


def _attention(comparison: Comparison, limit: int) -> list[str]:
    grouped = by_rule(comparison.attention)
    if not grouped:
        return []
    report = comparison.report
    everywhere = set(report.old_clusters | report.new_clusters)
    lines = ["#### Needs attention", ""]
    for rule in RULES:
        items = grouped.get(rule.id, [])
        if not items:
            continue
        lines.append(f"- **{rule.title}** ({len(items)}, {rule.severity}, `{rule.id}`)")
        for item in items[:limit]:
            lines.append(f"  - {attention_line(item, everywhere)}")
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


def _new_component(changes: Sequence[Change]) -> str:
    """The objects of a folder that is new on its cluster, by name: their content is in the
    pull request's own file diff, and a routine addition should not fill the comment."""
    first = changes[0]
    names = "".join(f"- `{html.escape(str(c.key))}`\n" for c in changes)
    summary = html.escape(f"+ {first.component}: {len(changes)} new object(s)")
    return f"<details><summary><code>{summary}</code></summary>\n\n{names}\n</details>\n"


def _blocks(comparison: Comparison) -> list[tuple[str, list[Change]]]:
    """("diff" or "group", changes) per block in report order: one resource diff, or every
    object of a component folder that is new on its cluster."""
    report = comparison.report
    new = report.new_components - report.old_components
    blocks: list[tuple[str, list[Change]]] = []
    for change in report.changes:
        place = (change.cluster, change.component)
        grouped = (
            change.status == "added" and place in new and change.component not in GITOPS_FOLDERS
        )
        if grouped and blocks and blocks[-1][0] == "group":
            last = blocks[-1][1][0]
            if (last.cluster, last.component) == place:
                blocks[-1][1].append(change)
                continue
        blocks.append(("group" if grouped else "diff", [change]))
    return blocks


def markdown(comparison: Comparison, max_chars: int = GITHUB_COMMENT_LIMIT) -> str:
    """The pull-request comment. The summary always stays; the attention list is shortened
    and resource diffs are cut, then listed by name only, to stay within max_chars."""
    note = (
        "\n> [!NOTE]\n> Some diffs were shortened or left out to fit the comment size limit; "
        f"run `generator diff --base {comparison.base.label}` locally for all of them.\n"
    )
    for limit in (ATTENTION_LIMIT, 10, 3, 0):
        summary = _summary(comparison, limit)
        head = "\n".join(summary)
        if len(head) + len(note) + 200 <= max_chars:
            break
    else:
        # Only thousands of changed clusters get here: keep as much of the table as fits.
        return head[: max_chars - len(note)] + note
    budget = max_chars - len(head) - len(note)
    reserve = min(4_000, budget // 10)  # for the names of diffs that do not fit
    budget -= reserve
    parts: list[str] = []
    truncated = False
    left_out: list[Change] = []
    current = None
    blocks = _blocks(comparison)
    for position, (kind, changes) in enumerate(blocks):
        change = changes[0]
        name = change.cluster or "(top level)"
        heading = f"\n#### `{name}`\n\n" if change.cluster != current else ""
        # Each remaining diff gets a fair share, so a few huge ones cannot crowd out the rest.
        share = budget // (len(blocks) - position)
        cut = False
        if kind == "group":
            block = heading + _new_component(changes)
        else:
            for max_lines in (DIFF_LINE_LIMIT, 120, 40, 8):
                block, cut = _details(change, max_lines)
                block = heading + block
                if len(block) <= share:
                    break
        if len(block) > budget:
            left_out += changes
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
        "headline": [
            {
                "kind": i.kind,
                "message": i.message,
                "clusters": [
                    {
                        "cluster": c.cluster,
                        "added": c.added,
                        "changed": c.changed,
                        "removed": c.removed,
                    }
                    for c in i.clusters
                ],
                "sources": list(i.sources),
            }
            for i in comparison.headline
        ],
        "summary": {
            cluster: {
                **report.counts(cluster),
                "environment": comparison.clusters[cluster].environment
                if cluster in comparison.clusters
                else "",
                "production": cluster in comparison.clusters
                and comparison.clusters[cluster].production,
            }
            for cluster in report.clusters
        },
        "attention": [
            {
                "rule": a.rule,
                "severity": a.severity,
                "title": a.title,
                "message": a.message,
                "clusters": list(a.clusters),
                "sources": list(a.sources),
            }
            for a in comparison.attention
        ],
        "next": [
            {
                "cluster": n.cluster,
                "engine": n.engine,
                "runner": n.runner,
                "automated": n.automated,
                "prune": n.prune,
                "message": n.message,
            }
            for n in comparison.next_steps
        ],
        "inputs": [
            {"status": i.status, "path": i.path, "oldPath": i.old_path} for i in comparison.inputs
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


def _bold(line: str, color: bool) -> str:
    return click.style(line, bold=True) if color else line


def text(comparison: Comparison, color: bool = False) -> str:
    """Terminal form: what the change does, attention, what happens next, counts, then every
    diff in full."""
    report = comparison.report
    out = [f"{comparison.base.label} → {comparison.head.label}: {_mode_line(comparison, '')}"]
    out += [
        f"warning: rendered/ at {s.revision.label} is stale ({s.resources} resources differ "
        "from a fresh render)"
        for s in comparison.stale
    ]
    if comparison.headline:
        out.append(_bold("what this change does:", color))
        out += [f"  {intent_line(i, '')}" for i in comparison.headline]
    if not report:
        return "\n".join([*out, "no rendered resource changes"]) + "\n"
    if comparison.attention:
        everywhere = set(report.old_clusters | report.new_clusters)
        out.append(_bold("needs attention:", color))
        for item in comparison.attention:
            rule = BY_ID[item.rule]
            line = attention_line(item, everywhere, "")
            out.append(f"  [{rule.severity}] {rule.title} ({rule.id}): {line}")
    if comparison.next_steps:
        out.append(_bold("after merge:", color))
        for step in comparison.next_steps:
            info = comparison.clusters.get(step.cluster)
            environment = f" ({info.environment})" if info and info.environment else ""
            out.append(f"  {step.cluster}{environment}: {step.message.replace('`', '')}")
    out.append(_bold("changes per cluster:", color))
    for cluster in report.clusters:
        c = report.counts(cluster)
        out.append(f"  {cluster or '(top level)'}: +{c['added']} ~{c['changed']} -{c['removed']}")
    for change in report.changes:
        header = f"{SYMBOL[change.status]} {change.cluster}/{change.component}: {change.key}"
        if change.status == "moved" and change.old is not None:
            header += f" (from {change.old.component})"
        out += ["", _bold(header, color)]
        out += [_paint(line, color) for line in change.diff]
    return "\n".join(out) + "\n"
