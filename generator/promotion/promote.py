"""`generator promote`: one environment's pinned versions → `operators.<name>.values` of the next
environment's file, edited in place (every byte outside the edited lines kept), then rendered."""

from __future__ import annotations

import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from generator.errors import GeneratorError
from generator.model import Catalog, Environment
from generator.promotion.versions import environment_pins


@dataclass(frozen=True, slots=True)
class Change:
    operator: str
    path: tuple[str, ...]  # under values
    old: str  # "" when the target had none
    new: str


@dataclass(frozen=True, slots=True)
class Promotion:
    source: str
    target: str
    path: PurePosixPath  # the target environment's catalog file
    before: str
    after: str
    changes: tuple[Change, ...]

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                f"a/{self.path}",
                f"b/{self.path}",
            )
        )


def plan_promotion(
    repo: Path,
    catalog: Catalog,
    operators: Sequence[str],
    target: str,
    source: str | None = None,
    skip: bool = False,
) -> Promotion:
    """What promoting `operators` (every operator when empty) into `target` changes."""
    stages = sorted(catalog.environments, key=lambda e: e.order)
    to = _environment(stages, target, "--to")
    before = [e for e in stages if e.order < to.order]
    if source is None:
        if not before:
            raise GeneratorError(
                f"'{to.name}' is the first environment: there is nothing to promote from",
                to.origin,
                "promote into a later environment, or give --from",
            )
        frm = before[-1]
    else:
        frm = _environment(stages, source, "--from")
    if frm.order >= to.order:
        raise GeneratorError(
            f"--from {frm.name} (order {frm.order}) does not come before --to {to.name} "
            f"(order {to.order})",
            hint="promote from an earlier environment to a later one; to roll back, edit "
            f"{to.origin.path} by hand",
        )
    skipped = [e.name for e in stages if frm.order < e.order < to.order]
    if skipped and not skip:
        raise GeneratorError(
            f"promoting from {frm.name} to {to.name} skips {', '.join(skipped)}",
            hint=f"promote to {skipped[0]} first, or pass --skip to promote past it",
        )
    names = {o.name: o for o in catalog.operators}
    for name in operators:
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            raise GeneratorError(
                f"unknown operator '{name}'",
                hint=f"did you mean '{close[0]}'?"
                if close
                else f"use one of: {', '.join(sorted(names))}",
            )
    changes = []
    for operator in sorted(catalog.operators, key=lambda o: (o.order, o.name)):
        if operators and operator.name not in operators:
            continue
        have = environment_pins(catalog, to, operator)
        for path, pin in sorted(environment_pins(catalog, frm, operator).items()):
            old = have[path].value if path in have else ""
            if old != pin.value:
                changes.append(Change(operator.name, path, old, pin.value))
    text = (repo / to.origin.path).read_text(encoding="utf-8")
    after = set_values(
        text, [(("operators", c.operator, "values", *c.path), c.new) for c in changes]
    )
    return Promotion(frm.name, to.name, PurePosixPath(to.origin.path), text, after, tuple(changes))


def _environment(stages: Sequence[Environment], name: str, option: str) -> Environment:
    for e in stages:
        if e.name == name:
            return e
    raise GeneratorError(
        f"{option}: unknown environment '{name}'",
        hint="use one of: " + ", ".join(e.name for e in stages),
    )


def set_values(text: str, edits: Sequence[tuple[tuple[str, ...], str]]) -> str:
    """The YAML text with each key path set, every other byte as it was.

    ruamel's round trip keeps comments and key order but may re-indent lists or rewrite `null`
    elsewhere in the file, so only the lines its dump changed are spliced into the original.
    """
    if not edits:
        return text
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    document = yaml.load(text)
    untouched = _dump(yaml, document)
    for path, value in edits:
        node = document
        for key in path[:-1]:
            child = node.get(key)
            if not isinstance(child, dict):
                child = CommentedMap()
                node[key] = child
            node = child
        node[path[-1]] = value
    return _splice(text, untouched, _dump(yaml, document))


def _dump(yaml: Any, document: Any) -> str:
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _splice(original: str, untouched: str, edited: str) -> str:
    """Apply the change untouched → edited to original, anchored on lines the three share."""
    o = original.splitlines(keepends=True)
    u = untouched.splitlines(keepends=True)
    e = edited.splitlines(keepends=True)
    same: dict[int, int] = {}  # line of untouched → the same line of original
    for tag, i1, i2, j1, _ in difflib.SequenceMatcher(None, u, o, autojunk=False).get_opcodes():
        if tag == "equal":
            same.update({i1 + k: j1 + k for k in range(i2 - i1)})
    out = list(o)
    hunks = difflib.SequenceMatcher(None, u, e, autojunk=False).get_opcodes()
    for tag, i1, i2, j1, j2 in reversed(hunks):
        if tag == "equal":
            continue
        start = same[i1 - 1] + 1 if i1 and i1 - 1 in same else (0 if not i1 else -1)
        if start < 0 or any(same.get(i) != start + i - i1 for i in range(i1, i2)):
            raise GeneratorError(
                "cannot edit this file without reformatting the lines around the change",
                hint="write the value by hand, or keep the environment's `operators:` block in "
                "block style",
            )
        out[start : start + (i2 - i1)] = e[j1:j2]
    result = "".join(out)
    if original.endswith("\n") and not result.endswith("\n"):  # pragma: no cover
        result += "\n"
    return result


def apply_promotion(repo: Path, promotion: Promotion) -> dict[str, list[str]]:
    """Write the target file and render; per cluster, the rendered files that changed.

    The catalog file is put back as it was when the render fails or finds problems, so a
    refused promotion leaves the repository unchanged.
    """
    from generator import pipeline

    path = repo / promotion.path
    path.write_text(promotion.after, encoding="utf-8")
    try:
        result = pipeline.render_all(repo)
        if result.findings:
            raise GeneratorError(
                "the promoted catalog renders with findings:\n"
                + "\n".join(str(f) for f in result.findings),
                hint="fix them, or promote a version that passes validation",
            )
        stale = pipeline.stale_files(repo, result)
        pipeline.write(repo, result)
    except BaseException:
        path.write_text(promotion.before, encoding="utf-8")
        raise
    by_cluster: dict[str, list[str]] = {}
    for line in stale:
        state, _, rel = line.partition(": ")
        _, cluster, rest = rel.split("/", 2)  # rendered/<cluster>/<file>
        by_cluster.setdefault(cluster, []).append(f"{state}: {rest}")
    return by_cluster
