"""Time `generator diff` on the example platform: committed trees and --render, median of 5.

The example platform is copied into a temporary git repository, rendered and committed; then
the cert-manager version is raised, rendered and committed again, and the CLI compares the two
commits as it would in a pull request.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = [sys.executable, "-m", "generator"]
INPUTS = ("catalog", "charts", "overlays", "schemas")
OPERATOR = "catalog/operators/010-cert-manager.yaml"
RUNS = 5


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=repo, capture_output=True, text=True, check=False)


def git(repo: Path, *args: str) -> None:
    done = run(repo, "git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", *args)
    if done.returncode:
        sys.exit(f"git {' '.join(args)} failed: {done.stderr}")


def prepare(repo: Path) -> None:
    for folder in INPUTS:
        if (ROOT / folder).is_dir():
            shutil.copytree(ROOT / folder, repo / folder)
    git(repo, "init", "-q", "-b", "main")
    for message in ("example platform", "bump cert-manager"):
        if message.startswith("bump"):
            path = repo / OPERATOR
            path.write_text(
                re.sub(
                    r"^(  version: v\d+\.\d+\.)(\d+)$",
                    lambda m: m[1] + str(int(m[2]) + 1),
                    path.read_text(),
                    count=1,
                    flags=re.MULTILINE,
                )
            )
        done = run(repo, *GENERATOR, "render")
        if done.returncode:
            sys.exit(f"generator render failed:\n{done.stderr}")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", message)


def median_seconds(repo: Path, *options: str) -> tuple[float, str]:
    command = [
        *GENERATOR,
        "diff",
        "--base",
        "HEAD~1",
        "--head",
        "HEAD",
        "--format",
        "markdown",
        *options,
    ]
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = run(repo, *command)
        times.append(time.perf_counter() - start)
        if done.returncode != 1:  # 1 = changes found, as expected
            sys.exit(f"generator diff exited {done.returncode}:\n{done.stderr}")
    summary = next(line for line in done.stdout.splitlines() if line.startswith("| **Total**"))
    return statistics.median(times), summary


def main() -> None:
    if not (ROOT / OPERATOR).is_file():
        sys.exit(f"the example platform has no {OPERATOR}")
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as folder:
        repo = Path(folder)
        prepare(repo)
        files = sum(1 for _ in (repo / "rendered").rglob("*.yaml"))
        print(f"example platform: {files} rendered files; change: cert-manager version bump")
        for label, options in (
            ("committed rendered/ trees", ()),
            ("--render (both revisions)", ("--render",)),
        ):
            seconds, summary = median_seconds(repo, *options)
            print(
                f"generator diff, {label}: median {seconds * 1000:.0f} ms of {RUNS} runs  {summary}"
            )


if __name__ == "__main__":
    main()
