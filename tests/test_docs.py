"""The examples in docs/ and README.md work as written.

Every YAML snippet parses. A snippet whose first line names a file of the repository
(`# catalog/tenants/payments.yaml`, `// charts/hello/main.jsonnet`) is written into a copy of
the example platform, in the order the page shows them; one marked `(excerpt)` is merged into
the example's file of that name instead of replacing it. Each page's platform must then
render without a finding: a snippet is what users copy, so it must work."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLE, REPO, copy_repo, run_cli

BLOCK = re.compile(r"^```([a-z0-9]*)\n(.*?)^```", re.S | re.M)
NAMED = re.compile(r"^(?:#|//) ((?:catalog|charts|overlays)/[-a-zA-Z0-9_./]+)( \(excerpt\))?\s*$")
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def blocks(page: Path) -> list[tuple[int, str, str]]:
    text = page.read_text(encoding="utf-8")
    return [
        (text[: m.start()].count("\n") + 1, m.group(1), m.group(2)) for m in BLOCK.finditer(text)
    ]


YAML_SNIPPETS = [
    (f"{page.relative_to(REPO)}:{line}", body)
    for page in PAGES
    for line, language, body in blocks(page)
    if language in ("yaml", "yml")
]


@pytest.mark.parametrize(("where", "text"), YAML_SNIPPETS, ids=[w for w, _ in YAML_SNIPPETS])
def test_yaml_snippet_parses(where: str, text: str) -> None:
    list(yaml.safe_load_all(text))


def named_snippets(page: Path) -> list[tuple[str, bool, str]]:
    found = []
    for _, _, body in blocks(page):
        match = NAMED.match(body.splitlines()[0]) if body.strip() else None
        if match and ".." not in match.group(1):
            found.append((match.group(1), bool(match.group(2)), body))
    return found


PAGES_WITH_FILES = [p for p in PAGES if named_snippets(p)]


@pytest.mark.parametrize("page", PAGES_WITH_FILES, ids=[p.name for p in PAGES_WITH_FILES])
def test_the_files_a_page_shows_render_in_the_example_platform(page: Path, tmp_path: Path) -> None:
    repo = copy_repo(EXAMPLE, tmp_path / "repo")
    for relpath, excerpt, body in named_snippets(page):
        target = repo / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        if excerpt:
            merged = _merge(yaml.safe_load(target.read_text()), yaml.safe_load(body))
            target.write_text(yaml.safe_dump(merged, sort_keys=False), encoding="utf-8")
        else:
            target.write_text(body, encoding="utf-8")
    result = run_cli(["render", "--repo", str(repo)])
    assert (result.code, result.err) == (0, ""), result.err


def _merge(base: Any, excerpt: Any) -> Any:
    if isinstance(base, dict) and isinstance(excerpt, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in excerpt.items()}}
    return excerpt


def test_the_docs_show_catalog_files_to_check() -> None:
    shown = [r for p in PAGES for r, _, _ in named_snippets(p) if r.startswith("catalog/")]
    assert len(shown) >= 3
