"""The command line's contract: help with examples, version, exit codes, streams."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator import __version__
from generator.cli import cli
from tests.conftest import run_cli


def test_version() -> None:
    result = run_cli(["--version"])
    assert (result.code, result.out) == (0, f"generator, version {__version__}\n")


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help_with_examples(command: str) -> None:
    result = run_cli([command, "--help"])
    assert result.code == 0
    assert "Example" in result.out, f"'generator {command} --help' shows no examples"


def test_unknown_command_is_a_usage_error() -> None:
    result = run_cli(["rendr"])
    assert result.code == 2
    assert "No such command 'rendr'" in result.err


def test_render_reports_its_result_on_stdout_and_quiet_silences_it(minimal_repo: Path) -> None:
    loud = run_cli(["render", "--no-cache", "--repo", str(minimal_repo)])
    assert (loud.code, loud.err) == (0, "")
    assert loud.out == "rendered 7 files for 1 cluster(s): 0 added, 0 changed, 0 removed\n"
    quiet = run_cli(["-q", "render", "--repo", str(minimal_repo)])
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")


def test_invalid_objects_exit_1_and_leave_rendered_untouched(minimal_repo: Path) -> None:
    from tests.conftest import snapshot, write_tree

    before = snapshot(minimal_repo / "rendered")
    write_tree(
        minimal_repo,
        {
            "charts/web/service.yaml": "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n    - port: eighty\n"
        },
    )
    result = run_cli(["render", "--repo", str(minimal_repo)])
    assert result.code == 1
    assert result.err.splitlines()[0].startswith(
        "charts/web/service.yaml:1: Service web/web: does not match the schema of v1 Service"
    )
    assert result.err.splitlines()[-3:] == [
        "  catalog: catalog/operators/010-web.yaml",
        "  clusters: dev-1",
        "1 finding(s): rendered/ was not changed",
    ]
    assert snapshot(minimal_repo / "rendered") == before


def test_no_validate_is_loud(minimal_repo: Path) -> None:
    result = run_cli(["render", "--no-validate", "--repo", str(minimal_repo)])
    assert result.code == 0
    assert (
        "warning: --no-validate: no schema or policy checks except no-plaintext-secrets"
        in result.err
    )


def test_python_dash_m_entry_point(minimal_repo: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "generator", "lint", "--repo", str(minimal_repo)],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "catalog is valid: 1 clusters, 1 operators, 0 tenants, 1 units\n",
        "",
    )


def test_no_validate_still_refuses_plaintext_secrets(minimal_repo: Path) -> None:
    from tests.conftest import snapshot, write_tree

    before = snapshot(minimal_repo / "rendered")
    secret = (
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n"
    )
    write_tree(minimal_repo, {"charts/web/secret.yaml": secret})
    result = run_cli(["render", "--no-validate", "--repo", str(minimal_repo)])
    assert result.code == 1
    assert (
        "charts/web/secret.yaml:1: Secret web/db: Secret carries plaintext stringData ('password') [no-plaintext-secrets]"
        in result.err
    )
    assert "hunter2" not in result.err
    assert snapshot(minimal_repo / "rendered") == before
