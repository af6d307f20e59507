"""Paths or stdin → Results: kubeconform's file discovery (walk, extension filter, ignore
patterns), CRD pre-pass, verdict cache, and two worker processes for large inputs."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from generator.model import Manifest, Origin
from generator.policies import check_manifests
from generator.validate import cache as verdicts
from generator.validate.core import (
    Options,
    Result,
    Row,
    Status,
    Validator,
    crds_in_tokens,
    from_row,
    to_row,
)
from generator.validate.decode import DecodeError, decode, split_documents

EXTENSIONS = (".yaml", ".yml", ".json")
# Below this many uncached documents, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 2000


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    line: int
    token: bytes


def discover(
    paths: Sequence[str], ignore_patterns: Sequence[str]
) -> Iterator[tuple[str, bytes | None, Result | None]]:
    """(filename, content, discovery error) for each file, in filepath.Walk order."""
    patterns = []
    problem = ""
    for pattern in ignore_patterns:
        try:
            patterns.append(re.compile(pattern))
        except re.error as e:
            problem = f"error parsing regexp: {_go_regexp_problem(e.msg)}: `{pattern}`"
            break
    for root in paths:
        if problem:
            yield root, None, Result(root, "", "", "", "", Status.ERROR, problem)
            continue
        try:
            os.lstat(root)
        except FileNotFoundError:
            message = f"lstat {root}: no such file or directory"
            yield root, None, Result(root, "", "", "", "", Status.ERROR, message)
            continue
        for path in _walk(root):
            if not path.lower().endswith(EXTENSIONS):
                continue
            if any(p.search(path) for p in patterns):
                continue
            try:
                with open(path, "rb") as handle:
                    yield path, handle.read(), None
            except OSError as e:
                message = f"open {path}: {e.strerror.lower() if e.strerror else e}"
                yield path, None, Result(path, "", "", "", "", Status.ERROR, message)


# Go's regexp/syntax wording for the mistakes people make in ignore patterns.
_REGEXP_PROBLEMS = {
    "missing ), unterminated subpattern": "missing closing )",
    "unbalanced parenthesis": "unexpected )",
    "unterminated character set": "missing closing ]",
    "nothing to repeat": "missing argument to repetition operator",
    "multiple repeat": "invalid nested repetition operator",
}


def _go_regexp_problem(problem: str) -> str:
    return _REGEXP_PROBLEMS.get(problem, problem)


def _walk(root: str) -> Iterator[str]:
    # filepath.Walk: lexical order, symlinked directories not followed (not even the root)
    if os.path.islink(root) or not os.path.isdir(root):
        if not (os.path.islink(root) and os.path.isdir(root)):
            yield root
        return
    names = sorted(os.listdir(root))
    for name in names:
        if name == ".generator-cache":
            continue  # the generator's own cache files, wherever a tree holds them
        child = os.path.normpath(os.path.join(root, name))
        if os.path.isdir(child) and not os.path.islink(child):
            yield from _walk(child)
        elif not (os.path.islink(child) and os.path.isdir(child)):
            yield child


def documents_of(filename: str, data: bytes, *, keep_empty: bool) -> list[Document]:
    out = []
    line = 1
    position = 0
    for offset, token in split_documents(data):
        line += data.count(b"\n", position, offset)
        position = offset
        if token or keep_empty:
            out.append(Document(filename, line, token))
    return out


def run(
    paths: Sequence[str],
    options: Options,
    *,
    ignore_patterns: Sequence[str] = (),
    stdin: BinaryIO | None = None,
    cache_dir: Path | None = None,
    workers: int = 2,
    policies: bool = False,
) -> list[Result]:
    """kubeconform's run: every result, in walk and document order (like `-n 1`)."""
    items: list[Document | Result] = []
    empty_files: list[str] = []
    if not paths or list(paths) == ["-"]:
        data = (stdin or sys.stdin.buffer).read()
        items.extend(documents_of("stdin", data, keep_empty=True))
    else:
        for filename, data, error in discover(paths, ignore_patterns):
            if error is not None:
                items.append(error)
                continue
            documents = documents_of(filename, data or b"", keep_empty=False)
            if not documents:
                empty_files.append(filename)
                items.append(Result(filename, "", "", "", "", Status.EMPTY))
            items.extend(documents)
    documents = [item for item in items if isinstance(item, Document)]
    crds = crds_in_tokens([(d.filename, d.token) for d in documents]) if options.input_crds else {}
    store = None
    if cache_dir is not None:
        store = verdicts.VerdictCache(cache_dir, _fingerprint(options, crds))
    verdicts_by_index: dict[int, list[Result]] = {}
    pending: list[tuple[int, str, Document]] = []
    for index, document in enumerate(items):
        if not isinstance(document, Document):
            continue
        key = verdicts.token_key(document.token) if store is not None else ""
        cached = store.get(key, document.filename, document.line) if store is not None else None
        if cached is not None:
            verdicts_by_index[index] = cached
        else:
            pending.append((index, key, document))
    for (index, key, _), results in zip(
        pending, _validate_all(pending, options, crds, workers), strict=True
    ):
        verdicts_by_index[index] = results
        if store is not None and not any(
            r.status is Status.ERROR and "downloading" in r.msg for r in results
        ):
            store.put(key, results)
    if store is not None:
        store.save()
    out: list[Result] = []
    for index, item in enumerate(items):
        out.extend([item] if isinstance(item, Result) else verdicts_by_index[index])
    if policies:
        out.extend(policy_results(documents))
    return _empty_for_listless_files(out, items)


def policy_results(documents: Sequence[Document]) -> list[Result]:
    """The catalog-free platform policies over decoded documents, as invalid results."""
    manifests = []
    filenames = {PurePosixPath(d.filename): d.filename for d in documents}
    for document in documents:
        try:
            value = decode(document.token)
        except DecodeError:
            continue
        if isinstance(value, dict):
            origin = Origin(PurePosixPath(document.filename), document.line)
            manifests.append(Manifest(value, origin))
    results = []
    for finding in check_manifests(manifests):
        key = finding.key
        results.append(
            Result(
                filenames[finding.origin.path],
                key.kind if key else "",
                key.name if key else "",
                key.namespace if key else "",
                key.api_version if key else "",
                Status.INVALID,
                f"policy {finding.rule}: {finding.message}",
                (("", f"policy {finding.rule}: {finding.message}"),),
                finding.origin.line,
                policy=True,
            )
        )
    return results


def _empty_for_listless_files(
    results: list[Result], items: list[Document | Result]
) -> list[Result]:
    # a file whose only content is Lists with no items still counts once, as an empty result
    seen = {r.filename for r in results}
    for item in items:
        if isinstance(item, Document) and item.filename not in seen:
            seen.add(item.filename)
            results.append(Result(item.filename, "", "", "", "", Status.EMPTY))
    return results


def _validate_all(
    pending: list[tuple[int, str, Document]],
    options: Options,
    crds: Any,
    workers: int,
) -> list[list[Result]]:
    documents = [d for _, _, d in pending]
    if not documents:
        return []
    if workers > 1 and len(documents) >= PARALLEL_THRESHOLD and _can_fork():
        import multiprocessing

        # forked workers inherit the documents; only index ranges go out and plain tuples
        # come back, which pickle far faster than Result objects
        _WORKER["documents"] = documents
        _WORKER["validator"] = Validator(options, crds)
        step = -(-len(documents) // workers)
        ranges = [(i, min(i + step, len(documents))) for i in range(0, len(documents), step)]
        try:
            # the main process takes the first share itself instead of waiting idle
            with multiprocessing.get_context("fork").Pool(len(ranges) - 1) as pool:
                others = pool.map_async(_validate_range, ranges[1:])
                parts = [_validate_range(ranges[0]), *others.get()]
        finally:
            _WORKER.clear()
        rows = [document_rows for part in parts for document_rows in part]
        return [
            [from_row(row, d.filename, d.line) for row in document_rows]
            for d, document_rows in zip(documents, rows, strict=True)
        ]
    validator = Validator(options, crds)
    return [validator.validate_token(d.token, d.filename, d.line) for d in documents]


def _can_fork() -> bool:
    return sys.platform != "win32" and hasattr(os, "fork")


_WORKER: dict[str, Any] = {}


def _validate_range(bounds: tuple[int, int]) -> list[list[Row]]:
    validator: Validator = _WORKER["validator"]
    documents: list[Document] = _WORKER["documents"]
    return [
        [to_row(r) for r in validator.validate_token(d.token, d.filename, d.line)]
        for d in documents[bounds[0] : bounds[1]]
    ]


def _static_part(template: str) -> Path:
    """The folder (or file) a local schema location reads from, before any template field."""
    prefix = template.removeprefix("file://").split("{{", 1)[0]
    if "{{" in template and not prefix.endswith("/"):
        return Path(prefix).parent
    return Path(prefix)


def _fingerprint(options: Options, crds: Any) -> str:
    import importlib.metadata

    from generator import __version__

    local = [
        verdicts.tree_signature(_static_part(t))
        for t in options.schema_locations
        if t != "default" and not t.startswith("http")
    ]
    local += [verdicts.tree_signature(folder) for folder in options.extra_schema_dirs]
    # the CRD's file URL appears in messages: the same CRD in another file is another verdict
    crd_part = sorted((list(k), v[0], v[1]) for k, v in crds.items())
    return verdicts.fingerprint(
        [
            __version__,
            importlib.metadata.version("kubernetes-validate"),
            importlib.metadata.version("jsonschema-rs"),
            options.kubernetes_version,
            options.strict,
            sorted(options.skip),
            sorted(options.reject),
            options.ignore_missing_schemas,
            list(options.schema_locations),
            [str(folder) for folder in options.extra_schema_dirs],
            local,
            crd_part,
        ]
    )
