"""The render-diff GitHub workflow: valid against GitHub's workflow schema (offline), runs the
checks in order, and keeps one sticky comment (its script run under node with a fake API)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diff.report import MARKER

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github/workflows/render-diff.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def workflow() -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return loaded


def steps() -> list[dict[str, Any]]:
    (job,) = workflow()["jobs"].values()
    found: list[dict[str, Any]] = job["steps"]
    return found


def check_schema(path: Path) -> subprocess.CompletedProcess[str]:
    if not CHECK_JSONSCHEMA.exists():
        pytest.skip("check-jsonschema is not installed next to this Python")
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


# this repository's workflows, and the one `generator init` writes into a new repository
WORKFLOWS = [
    *sorted((ROOT / ".github/workflows").glob("*.yml")),
    ROOT / "generator/starter/repo/dot-github/workflows/render-diff.yml",
]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: str(p.relative_to(ROOT)))
def test_workflows_match_githubs_schema(path: Path) -> None:
    result = check_schema(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOW.read_text().replace("runs-on: ubuntu-latest", "runs-on: [1, {}]"))
    result = check_schema(broken)
    assert result.returncode == 1
    assert "Schema validation errors were encountered" in result.stdout + result.stderr


def test_runs_on_pull_requests_and_pushes_to_main_with_a_comment_permission() -> None:
    document = workflow()
    # PyYAML reads the bare key `on` as True (YAML 1.1); GitHub reads it as "on".
    assert document[True] == {"pull_request": None, "push": {"branches": ["main"]}}
    assert document["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_checks_run_in_order_then_the_diff_against_the_base_branch() -> None:
    commands = [s.get("run", "") for s in steps()]
    # make check validates each cluster at its own kubernetesVersion (render --check), not at
    # one fixed version as a separate `generator validate rendered/` would.
    check = next(i for i, c in enumerate(commands) if "make check" in c)
    test = next(i for i, c in enumerate(commands) if c.strip() == "make test")
    diff = next(i for i, c in enumerate(commands) if "generator diff" in c)
    assert check < test < diff
    assert not any("generator validate" in c for c in commands)
    assert "make render" in commands[check]  # the failure says how to fix it
    assert '--base "origin/$BASE_REF" --head HEAD $RENDER_FLAG' in commands[diff]
    assert "--format markdown" in commands[diff]
    # User-controlled names reach the shell through the environment, never spliced in.
    assert steps()[diff]["env"]["BASE_REF"] == "${{ github.base_ref }}"
    # A stale rendered/ fails the check, and the diff then renders both sides itself.
    assert steps()[check]["id"] == "fresh"
    assert steps()[diff]["env"]["RENDER_FLAG"] == (
        "${{ steps.fresh.outcome == 'failure' && '--render' || '' }}"
    )
    assert steps()[diff]["if"] == "${{ !cancelled() && github.event_name == 'pull_request' }}"
    checkout = steps()[0]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["fetch-depth"] == 0


def sticky_script() -> str:
    step = next(s for s in steps() if str(s.get("uses", "")).startswith("actions/github-script@"))
    script: str = step["with"]["script"]
    assert MARKER in script
    return script


HARNESS = """
const fs = require("fs");
const state = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const calls = [];
const github = {
  paginate: async (fn, args) => { calls.push(["list", args.issue_number]); return state.comments; },
  rest: { issues: {
    listComments: "listComments",
    updateComment: async (args) => { calls.push(["update", args.comment_id, args.body]); },
    createComment: async (args) => {
      calls.push(["create", args.issue_number, args.body]);
      return { data: { html_url: "https://example.invalid/c" } };
    },
  } },
};
const context = { repo: { owner: "acme", repo: "fleet" }, issue: { number: 7 } };
const core = { info: () => {} };
const run = new Function("require", "github", "context", "core",
  "return (async () => {" + state.script + "})();");
run(require, github, context, core).then(() => console.log(JSON.stringify(calls)));
"""


def run_sticky(tmp_path: Path, comments: list[dict[str, Any]]) -> list[list[Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed; the comment script cannot be exercised")
    (tmp_path / "comment.md").write_text(f"{MARKER}\n### Rendered changes\n")
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"script": sticky_script(), "comments": comments}))
    harness = tmp_path / "harness.js"
    harness.write_text(HARNESS)
    result = subprocess.run(
        [node, str(harness), str(state)],
        env={"COMMENT_FILE": str(tmp_path / "comment.md"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    calls: list[list[Any]] = json.loads(result.stdout)
    return calls


def test_first_run_creates_the_comment(tmp_path: Path) -> None:
    human = {"id": 1, "user": {"type": "User"}, "body": f"quoting the bot: {MARKER}"}
    assert run_sticky(tmp_path, [human]) == [
        ["list", 7],
        ["create", 7, f"{MARKER}\n### Rendered changes\n"],
    ]


def test_later_runs_update_the_same_comment(tmp_path: Path) -> None:
    comments = [
        {"id": 1, "user": {"type": "User"}, "body": "looks good"},
        {"id": 2, "user": {"type": "Bot"}, "body": f"{MARKER}\nold diff"},
    ]
    assert run_sticky(tmp_path, comments) == [
        ["list", 7],
        ["update", 2, f"{MARKER}\n### Rendered changes\n"],
    ]
