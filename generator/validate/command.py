"""`generator validate` argv (kubeconform's spellings accepted) → options → run → output
text and exit code; or a hand-off to a kubeconform binary."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from generator.errors import GeneratorError
from generator.validate.cluster import CRD_SCHEMA_DIR, SHIPPED_CRD_SCHEMA_DIR
from generator.validate.core import Options, parse_kinds
from generator.validate.output import FORMATS, Report, render
from generator.validate.run import run
from generator.validate.schemas import LocationError, check_version

CACHE_FOLDER = ".generator-cache"  # a platform repository's (git-ignored) cache folder


def platform_root(start: Path) -> Path | None:
    """The platform repository holding `start`: the nearest folder, from `start` up, with a
    catalog/platform.yaml; None outside any."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / "catalog" / "platform.yaml").is_file():
            return folder
    return None


def cache_root(repo: Path | None) -> Path:
    """Where validate keeps its caches: the repository's .generator-cache/, or outside a
    repository the user's cache folder ($XDG_CACHE_HOME, else ~/.cache), never the tree that
    is being validated."""
    if repo is not None:
        return repo / CACHE_FOLDER
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "platform-generator"


@dataclass(frozen=True, slots=True)
class Request:
    """Everything `generator validate` was asked to do."""

    paths: tuple[str, ...]
    options: Options
    output: str = "text"
    summary: bool = False
    verbose: bool = False
    ignore_patterns: tuple[str, ...] = ()
    exit_on_error: bool = False
    workers: int = 2
    verdict_cache: Path | None = None
    policies: bool = False


def build_request(params: dict[str, Any], cwd: Path) -> Request:
    """Click parameters → a Request, checking values the way kubeconform does at startup.
    Caches and schemas/crds/ come from the platform repository holding `cwd`, if any."""
    if params["output"] not in FORMATS:
        raise GeneratorError(
            "'outputFormat' must be 'json', 'junit', 'pretty', 'tap' or 'text'",
            hint="pass -output with one of: json, junit, pretty, tap, text",
        )
    try:
        check_version(params["kubernetes_version"])
    except LocationError as e:
        raise GeneratorError(str(e), hint="pass a full version such as 1.31.0, or master") from e
    schema_cache = params["cache"]
    if schema_cache is not None and not Path(schema_cache).is_dir():
        raise GeneratorError(
            f"failed opening cache folder {schema_cache}: stat {schema_cache}: "
            "no such file or directory",
            hint="create the folder first, or leave out -cache",
        )
    extensions = not params["no_extensions"]
    repo = platform_root(cwd)
    caches = cache_root(repo)
    # a repository's own CRD schemas, then the Argo CD and Flux ones shipped with the generator
    crd_dirs = (*((repo / CRD_SCHEMA_DIR,) if repo else ()), SHIPPED_CRD_SCHEMA_DIR)
    options = Options(
        kubernetes_version=params["kubernetes_version"],
        strict=params["strict"],
        skip=parse_kinds(params["skip"]),
        reject=parse_kinds(params["reject"]),
        ignore_missing_schemas=params["ignore_missing_schemas"],
        schema_locations=tuple(params["schema_location"]),
        schema_cache=Path(schema_cache) if schema_cache else caches / "schemas",
        insecure_skip_tls_verify=params["insecure_skip_tls_verify"],
        input_crds=extensions,
        extra_schema_dirs=tuple(d for d in crd_dirs if d.is_dir()) if extensions else (),
    )
    return Request(
        paths=tuple(params["paths"]),
        options=options,
        output=params["output"],
        summary=params["summary"],
        verbose=params["verbose"],
        ignore_patterns=tuple(params["ignore_filename_pattern"]),
        exit_on_error=params["exit_on_error"],
        workers=max(1, min(params["n"], os.cpu_count() or 1)),
        verdict_cache=None if params["no_verdict_cache"] else caches / "validate",
        policies=params["policies"],
    )


def execute(request: Request, stdin: BinaryIO | None = None) -> tuple[str, int]:
    """(output text, exit code) of a validation run."""
    started = time.perf_counter()
    reading_stdin = not request.paths or list(request.paths) == ["-"]
    if reading_stdin and stdin is None and _stdin_is_character_device():
        raise GeneratorError(
            "failing to read data from stdin",
            hint="pipe manifests in (cat x.yaml | generator validate) or name files or folders",
        )
    try:
        results = run(
            request.paths,
            request.options,
            ignore_patterns=request.ignore_patterns,
            stdin=stdin,
            cache_dir=request.verdict_cache,
            workers=request.workers,
            policies=request.policies,
        )
    except LocationError as e:
        raise GeneratorError(str(e), hint="fix the -schema-location template") from e
    if request.exit_on_error:
        first = next((i for i, r in enumerate(results) if r.failed), None)
        if first is not None:
            results = results[: first + 1]
    report = Report(
        summary=request.summary,
        verbose=request.verbose,
        stdin=reading_stdin,
        seconds=time.perf_counter() - started,
    )
    code = 1 if any(r.failed for r in results) else 0
    return render(results, request.output, report), code


def _stdin_is_character_device() -> bool:
    """kubeconform refuses a terminal on stdin, and any character device (< /dev/null) too."""
    import stat

    try:
        return stat.S_ISCHR(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False  # no real file descriptor (tests, embedded use): read what is there


def handoff(argv: Sequence[str]) -> int:
    """--engine kubeconform: the same files and flags, run by a kubeconform binary."""
    binary = shutil.which("kubeconform")
    if binary is None:
        raise GeneratorError(
            "--engine kubeconform: no 'kubeconform' binary on PATH",
            hint="install kubeconform v0.7 or drop --engine kubeconform to use the built-in "
            "validator, which accepts the same flags",
        )
    return subprocess.run([binary, *argv], check=False).returncode


def kubeconform_argv(params: dict[str, Any]) -> list[str]:
    """Our parsed parameters back in kubeconform's spelling, for the hand-off."""
    argv: list[str] = []
    for flag in ("strict", "summary", "verbose", "ignore_missing_schemas", "exit_on_error",
                 "insecure_skip_tls_verify", "debug"):  # fmt: skip
        if params[flag]:
            argv.append("-" + flag.replace("_", "-"))
    for flag in ("output", "kubernetes_version", "skip", "reject", "cache"):
        if params[flag]:
            argv += ["-" + flag.replace("_", "-"), str(params[flag])]
    for flag in ("schema_location", "ignore_filename_pattern"):
        for value in params[flag]:
            argv += ["-" + flag.replace("_", "-"), value]
    argv += ["-n", str(params["n"])]
    return [*argv, "--", *params["paths"]] if params["paths"] else argv


def version_text() -> str:
    from generator import __version__

    return f"v{__version__}" if not __version__.startswith("v") else __version__
