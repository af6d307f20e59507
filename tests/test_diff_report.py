"""The pull-request comment, JSON and text built from a Comparison: layout, escaping and the
GitHub comment size limit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

import pytest

from generator.diff.attention import attention
from generator.diff.compare import diff_trees
from generator.diff.platform import ClusterInfo
from generator.diff.report import GITHUB_COMMENT_LIMIT, MARKER, as_json, markdown, text
from generator.diff.revisions import Comparison, Staleness
from generator.diff.rules import RuleContext
from generator.diff.trees import Revision
from generator.model import RenderedFile
from generator.yamlio import dump_manifest

CLUSTERS = {"dev-1": ClusterInfo("dev", False), "prod-1": ClusterInfo("prod", True)}


def files(bodies: Mapping[str, Mapping[str, Any]]) -> list[RenderedFile]:
    return [RenderedFile(PurePosixPath(p), dump_manifest(b)) for p, b in bodies.items()]


def comparison(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    report = diff_trees(files(old), files(new))
    return Comparison(
        Revision("origin/main", "a" * 40),
        Revision("working tree", ""),
        "committed",
        report,
        CLUSTERS,
        tuple(attention(RuleContext(report, CLUSTERS))),
        (),
    )


def config_map(name: str, lines: int, version: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "monitoring"},
        "data": {
            f"rule-{i:04d}": f"expr: up{{job='{name}-{i}'}} == 0 # {version}" for i in range(lines)
        },
    }


def big_change(resources: int, lines: int) -> Comparison:
    old, new = {}, {}
    for cluster in ("dev-1", "prod-1"):
        for i in range(resources):
            path = f"{cluster}/040-monitoring/configmap-rules-{i:03d}.yaml"
            old[path] = config_map(f"rules-{i:03d}", lines, "v1")
            new[path] = config_map(f"rules-{i:03d}", lines, "v2")
    return comparison(old, new)


def summary_of(md: str) -> str:
    return md.split("\n#### ")[0]


def test_comment_starts_with_the_marker_and_the_summary_table() -> None:
    md = markdown(big_change(2, 3))
    assert md.splitlines()[:10] == [
        MARKER,
        "### Rendered changes: `origin/main` (aaaaaaaaaaaa) → `working tree`",
        "",
        "| Cluster | Environment | Added | Changed | Removed |",
        "|:--|:--|--:|--:|--:|",
        "| `dev-1` | dev | 0 | 2 | 0 |",
        "| `prod-1` | prod (production) | 0 | 2 | 0 |",
        "| **Total** | | **0** | **4** | **0** |",
        "",
        "Compared the committed `rendered/` trees.",
    ]
    assert md.count("<details>") == 4
    assert "Some diffs were shortened" not in md


def test_huge_diff_stays_under_githubs_limit_and_keeps_the_summary() -> None:
    huge = big_change(120, 60)
    md = markdown(huge)
    assert len(md) <= GITHUB_COMMENT_LIMIT
    assert summary_of(md) == summary_of(markdown(big_change(1, 1))).replace(
        "| 1 |", "| 120 |"
    ).replace("**2**", "**240**")
    assert (
        "> Some diffs were shortened or left out to fit the comment size limit; "
        "run `generator diff --base origin/main` locally" in md
    )
    assert "#### Not shown (" in md
    assert md.rstrip().endswith("locally for all of them.")


def test_one_enormous_resource_diff_is_cut_and_says_so() -> None:
    md = markdown(big_change(1, 3000))
    assert len(md) <= GITHUB_COMMENT_LIMIT
    assert "more diff lines not shown" in md
    assert md.count("<details>") == 2  # both clusters still get a (shortened) diff


@pytest.mark.parametrize("limit", [3_000, 10_000, 30_000])
def test_any_limit_is_respected(limit: int) -> None:
    assert len(markdown(big_change(40, 20), max_chars=limit)) <= limit


def test_backticks_and_html_in_content_cannot_break_the_comment() -> None:
    body = config_map("fences", 1, "v1")
    changed = {**body, "data": {"script": "```\n</details><script>alert(1)</script>\n````"}}
    md = markdown(comparison({"dev-1/010-x/cm.yaml": body}, {"dev-1/010-x/cm.yaml": changed}))
    assert "`````diff" in md  # a fence longer than the longest backtick run inside
    summary = next(line for line in md.splitlines() if line.startswith("<details>"))
    assert (
        summary == "<details><summary><code>~ 010-x: ConfigMap monitoring/fences</code></summary>"
    )


def test_no_change_says_so() -> None:
    same = {"dev-1/010-x/cm.yaml": config_map("a", 1, "v1")}
    c = comparison(same, same)
    assert markdown(c).endswith(
        "No rendered resource changes. Compared the committed `rendered/` trees.\n"
    )
    assert (
        text(c) == "origin/main → working tree: Compared the committed rendered/ trees.\n"
        "no rendered resource changes\n"
    )


def test_json_lists_every_change_with_its_diff() -> None:
    document = json.loads(as_json(big_change(1, 2)))
    assert document["mode"] == "committed"
    assert document["summary"]["prod-1"] == {
        "added": 0,
        "changed": 1,
        "removed": 0,
        "environment": "prod",
        "production": True,
    }
    (first, _) = document["changes"]
    assert {k: v for k, v in first.items() if k != "diff"} == {
        "status": "changed",
        "cluster": "dev-1",
        "component": "040-monitoring",
        "oldComponent": "040-monitoring",
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "namespace": "monitoring",
        "name": "rules-000",
        "oldPath": "rendered/dev-1/040-monitoring/configmap-rules-000.yaml",
        "newPath": "rendered/dev-1/040-monitoring/configmap-rules-000.yaml",
    }
    assert "+  rule-0001: \"expr: up{job='rules-000-1'} == 0 # v2\"" in first["diff"].splitlines()


def test_a_limit_smaller_than_the_summary_still_holds() -> None:
    md = markdown(big_change(3, 3), max_chars=400)
    assert len(md) <= 400
    assert md.startswith(MARKER)
    assert md.rstrip().endswith("locally for all of them.")


def test_text_output_is_plain_text_without_markdown() -> None:
    old = {"prod-1/020-web/deployment-web.yaml": deployment("nginx:1.26", 2)}
    new = {"prod-1/020-web/deployment-web.yaml": deployment("nginx:1.27", 3)}
    assert "`" not in text(comparison(old, new))


def test_text_lists_attention_and_a_stale_tree() -> None:
    old = {"prod-1/020-web/deployment-web.yaml": deployment("nginx:1.26", 2)}
    new = {"prod-1/020-web/deployment-web.yaml": deployment("nginx:1.27", 3)}
    c = comparison(old, new)
    stale = Comparison(
        c.base, c.head, "render", c.report, c.clusters, c.attention, (Staleness(c.base, 2),)
    )
    assert text(stale).splitlines()[:7] == [
        "origin/main → working tree: Both revisions were rendered from their catalogs (--render).",
        "warning: rendered/ at origin/main is stale (2 resources differ from a fresh render)",
        "needs attention:",
        "  [medium] Replica changes in production (production-replicas): prod-1: "
        "Deployment web/web replicas 2 → 3",
        "  [medium] New and changed images (image): prod-1: Deployment web/web container web: "
        "nginx:1.26 → 1.27",
        "changes per cluster:",
        "  prod-1: +0 ~1 -0",
    ]


def deployment(image: str, replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "web"},
        "spec": {
            "replicas": replicas,
            "template": {"spec": {"containers": [{"name": "web", "image": image}]}},
        },
    }
