"""Render-and-diff for pull requests: two git revisions → Comparison → Markdown, JSON or text."""

from __future__ import annotations

from generator.diff.compare import Change, DiffReport, diff_trees
from generator.diff.report import as_json, markdown, text
from generator.diff.revisions import Comparison, diff_revisions

__all__ = [
    "Change",
    "Comparison",
    "DiffReport",
    "as_json",
    "diff_revisions",
    "diff_trees",
    "markdown",
    "text",
]
