"""RenderUnit whose component has a main.jsonnet → [Manifest], one bounded evaluation each.

Two interchangeable evaluators sit behind one call: rjsonnet (jrsonnet, the default) and the
`jsonnet` package (the C++ reference implementation, module `_jsonnet`). Both receive the same
keyword arguments: ext_codes, tla_codes, import_callback and native_callbacks.
"""

from __future__ import annotations

import errno
import json
import os
import posixpath
import re
import stat
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import import_module
from pathlib import Path, PurePosixPath
from typing import Any, NamedTuple, NoReturn

from generator.engines.jsonnet_natives import NATIVE_CALLBACKS
from generator.engines.limits import run_bounded
from generator.errors import GeneratorError
from generator.model import Manifest, Origin, Reads, Rendered, RenderUnit
from generator.paths import read_text
from generator.yamlio import MAX_NESTING, nesting_error

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "jsonnet"
SHIPPED_NAME = PurePosixPath("generator/jsonnet")  # how shipped files appear in messages
_SHIPPED = os.path.realpath(SHIPPED_DIR)
BUILTIN_PREFIX = PurePosixPath("builtin")  # unit.component.path for components we ship
USER_LIB = PurePosixPath("charts/lib")
ENGINES = {"rjsonnet": "rjsonnet", "jsonnet": "_jsonnet"}
DEFAULT_ENGINE = "rjsonnet"
CONTEXT_NAMES = ("platform", "environment", "cluster", "component", "values", "tenant")
MAX_STACK_LINES = 12
# The evaluated snippet only imports the main file: rjsonnet resolves a snippet's own imports
# against the working directory, so the main file must arrive through the import callback too.
ENTRY = "(main)"


def render(unit: RenderUnit, repo: Path, *, engine: str | None = None) -> list[Manifest]:
    """Evaluate the unit's main.jsonnet and flatten the result into Kubernetes objects.

    `engine` overrides the choice made by the component's `.engine` file or the platform.
    Evaluation runs in a child process bounded in time and memory (limits.py): both
    evaluators are native code that can abort or panic on hostile input.
    """
    return list(rendered(unit, repo, engine=engine).manifests)


class Request(NamedTuple):
    """What the bounded worker needs for one evaluation: plain text only, cheap to pickle."""

    label: str  # how messages name the unit
    engine: str
    ext_codes: dict[str, str]  # the context as JSON, by name
    tla_codes: dict[str, str]
    repo: str
    main: str  # repo-relative name of main.jsonnet, as messages show it
    folder: str  # the component folder on disk
    source: str  # main.jsonnet's text


class Evaluated(NamedTuple):
    """The worker's answer: the output JSON, the repo files the imports read (or looked for),
    and the value paths the imported files name."""

    text: str
    files: tuple[str, ...]
    values: frozenset[tuple[str, ...]]


def rendered(unit: RenderUnit, repo: Path, *, engine: str | None = None) -> Rendered:
    """The objects and what was read: the component folder as a whole (main file, `.engine`,
    local imports) and every import resolved elsewhere, with the places searched before it.

    Only the evaluation itself runs in the worker; the request and the answer are plain text,
    and the output is parsed here."""
    from generator.engines.value_reads import jsonnet_reads

    repo = repo.resolve()
    folder, main_name = main_file(unit, repo)
    prefix = f"{unit.label}: "
    origin = Origin(main_name)
    source = read_main(folder, repo, main_name, prefix)
    chosen = engine or choose_engine(unit, repo, folder)
    codes = {name: json.dumps(unit.context.get(name)) for name in CONTEXT_NAMES}
    tla_codes = top_level_codes(source, codes, main_name, prefix)
    request = Request(
        unit.label, chosen, codes, tla_codes, str(repo), str(main_name), str(folder), source
    )
    answer: Evaluated = run_bounded(evaluated, (request,), unit.label, origin)
    result = parse_output(answer.text, origin)
    manifests = tuple(Manifest(body, origin) for body in flatten(result, "result", origin, prefix))
    shipped = unit.component.path.parts[:1] == BUILTIN_PREFIX.parts
    paths = jsonnet_reads(source, True) | answer.values
    return Rendered(
        manifests,
        Reads(
            files=frozenset(map(PurePosixPath, answer.files)),
            folders=frozenset() if shipped else frozenset({unit.component.path}),
            values=frozenset(("values", *p) for p in paths),
        ),
    )


def rendered_together(units: Sequence[RenderUnit], repo: Path) -> dict[str, Rendered]:
    """Units of a component we ship (the builtin tenant), by dirname, each unit's part of one
    evaluation per component and engine: the shipped library is parsed once and the bounded
    worker asked once, instead of once per unit (20 tenants on a cluster: 20 parses), and
    the context is not passed as ext vars, which every evaluation would parse.

    Only shipped components qualify. Their files import nothing from the repository, and the
    batch passes no ext vars: a shipped file that read one would fail the batch. A unit whose
    part cannot be had this way (any error, in the batch or in its own objects) is left out,
    to be evaluated alone by rendered(), whose message then names it."""
    groups: dict[tuple[PurePosixPath, str], list[RenderUnit]] = {}
    for unit in units:
        if unit.component.path.parts[:1] != BUILTIN_PREFIX.parts:
            continue
        folder, _ = main_file(unit, repo)
        try:
            chosen = choose_engine(unit, repo, folder)
        except GeneratorError:
            continue
        groups.setdefault((unit.component.path, chosen), []).append(unit)
    done: dict[str, Rendered] = {}
    for (_, chosen), members in groups.items():  # one alone too: no context to parse
        done.update(_evaluated_together(members, repo.resolve(), chosen))
    return done


def _evaluated_together(
    units: Sequence[RenderUnit], repo: Path, engine: str
) -> dict[str, Rendered]:
    from generator.engines.value_reads import jsonnet_reads

    folder, main_name = main_file(units[0], repo)
    origin = Origin(main_name)
    try:
        source = read_main(folder, repo, main_name, "")
        if top_level_parameters(source) is None:  # not a function: nothing to call
            return {}
        calls = []
        for unit in units:
            codes = {name: json.dumps(unit.context.get(name)) for name in CONTEXT_NAMES}
            passed = top_level_codes(source, codes, main_name, "")
            calls.append(", ".join(f"{name}={code}" for name, code in passed.items()))
        # named as a sibling of main.jsonnet, so that `import 'main.jsonnet'` finds it
        together = ",\n".join(f"main({arguments})" for arguments in calls)
        snippet = f"local main = import 'main.jsonnet';\n[\n{together}\n]\n"
        label = f"{units[0].cluster.name}: {main_name} ({len(units)} units together)"
        request = Request(
            label, engine, {}, {}, str(repo), str(main_name.parent / ENTRY), str(folder), snippet
        )
        answer: Evaluated = run_bounded(evaluated, (request,), label, origin)
        results = parse_output(answer.text, origin)
    except GeneratorError:
        return {}
    if not isinstance(results, list) or len(results) != len(units):
        return {}
    reads = Reads(
        files=frozenset(map(PurePosixPath, answer.files)),
        values=frozenset(("values", *p) for p in jsonnet_reads(source, True) | answer.values),
    )
    done: dict[str, Rendered] = {}
    for unit, result in zip(units, results, strict=True):
        try:
            bodies = flatten(result, "result", origin, f"{unit.label}: ")
        except GeneratorError:
            continue
        done[unit.dirname] = Rendered(tuple(Manifest(body, origin) for body in bodies), reads)
    return done


def evaluated(request: Request) -> Evaluated:
    """One evaluation, in the bounded worker: the output and what the imports read."""
    from generator.engines.value_reads import jsonnet_reads

    as_bytes = request.engine == "jsonnet"
    importer = Importer(
        request.repo, request.main, request.source, request.folder, as_bytes=as_bytes
    )
    try:
        text = evaluate(request.engine, request.ext_codes, request.tla_codes, importer)
    except RuntimeError as e:
        prefix = f"{request.label}: "
        if importer.problem is not None:
            problem = importer.problem
            raise GeneratorError(prefix + problem.message, problem.origin, problem.hint) from e
        raise translate_error(str(e), prefix, PurePosixPath(request.main), request.engine) from e
    values = frozenset().union(*(jsonnet_reads(s, False) for s in importer.sources))
    return Evaluated(text, tuple(sorted(importer.read)), values)


def read_main(folder: Path, repo: Path, main_name: PurePosixPath, prefix: str) -> str:
    """main.jsonnet's text: a repository file through the checks every input gets."""
    try:
        return (
            read_text(
                folder / "main.jsonnet",
                repo,
                "file",
                str(main_name),
                Origin(main_name),
                rel=main_name,
            )
            if folder.is_relative_to(repo)
            else (folder / "main.jsonnet").read_text(encoding="utf-8")  # shipped with us
        )
    except OSError as e:
        raise GeneratorError(
            f"{prefix}cannot read main.jsonnet: {e}",
            Origin(main_name),
            "make sure the component folder holds a readable UTF-8 main.jsonnet",
        ) from e


def main_file(unit: RenderUnit, repo: Path) -> tuple[Path, PurePosixPath]:
    """The component folder on disk and the repo-relative name of its main.jsonnet."""
    path = unit.component.path
    if path.parts[:1] == BUILTIN_PREFIX.parts:
        rest = PurePosixPath(*path.parts[1:])
        return SHIPPED_DIR / rest, SHIPPED_NAME / rest / "main.jsonnet"
    return repo / path, path / "main.jsonnet"


def choose_engine(unit: RenderUnit, repo: Path, folder: Path) -> str:
    """The component's `.engine` file wins over the platform's `jsonnet.engine`."""
    marker = folder / ".engine"
    if marker.is_file():
        shipped = not marker.is_relative_to(repo)
        rel = PurePosixPath(marker.name if shipped else marker.relative_to(repo).as_posix())
        origin = Origin(rel, 1, 1)
        text = (
            marker.read_text("utf-8")
            if shipped
            else read_text(marker, repo, "file", str(rel), origin, rel=rel)
        )
        name = text.strip()
        if name not in ENGINES:
            raise GeneratorError(
                f"unknown Jsonnet engine '{name}'",
                origin,
                f"write one of: {', '.join(ENGINES)} (or delete the file to use the platform's)",
            )
        return name
    platform = unit.context.get("platform") or {}
    configured = str((platform.get("jsonnet") or {}).get("engine") or DEFAULT_ENGINE)
    if configured not in ENGINES:
        raise GeneratorError(
            f"unknown Jsonnet engine '{configured}'",
            Origin(PurePosixPath("catalog/platform.yaml")),
            f"set jsonnet.engine to one of: {', '.join(ENGINES)}",
        )
    return configured


def evaluate(
    engine: str,
    ext_codes: Mapping[str, str],
    tla_codes: Mapping[str, str],
    importer: Importer,
) -> str:
    """One call into the chosen binding; the whole context (as JSON) also goes in as ext vars,
    for libraries."""
    module = import_module(ENGINES[engine])
    text: str = module.evaluate_snippet(
        ENTRY,
        f"import {json.dumps(ENTRY)}",
        ext_codes=dict(ext_codes),
        tla_codes=dict(tla_codes),
        import_callback=importer,
        native_callbacks=NATIVE_CALLBACKS,
        max_trace=MAX_STACK_LINES,
    )
    return text


# ---------------------------------------------------------------- top-level arguments

TOKEN = re.compile(  # also scanned for value reads (value_reads.py)
    r"""(?P<skip>\s+|//[^\n]*|\#[^\n]*|/\*.*?\*/)
      |(?P<string>\|\|\|.*?\|\|\||@?"(?:[^"\\]|\\.)*"|@?'(?:[^'\\]|\\.)*')
      |(?P<word>[A-Za-z_][A-Za-z0-9_]*)
      |(?P<punct>.)""",
    re.VERBOSE | re.DOTALL,
)


def _tokens(source: str) -> Iterator[str]:
    for match in TOKEN.finditer(source):
        if match.lastgroup == "string":
            yield '""'
        elif match.lastgroup != "skip":
            yield match.group()


@lru_cache(maxsize=256)  # every unit of a component has the same main file
def top_level_parameters(source: str) -> tuple[str, ...] | None:
    """Parameter names of the file's top-level `function(...)`, None when it is no function.

    Skips leading `local ...;` and `assert ...;` (nested ones included); a file whose value is
    computed some other way (an import, a parenthesised function) yields None.
    """
    tokens = _tokens(source)
    for token in tokens:
        if token in ("local", "assert"):
            pending, depth = 1, 0
            for inner in tokens:
                if inner in "([{":
                    depth += 1
                elif inner in ")]}":
                    depth -= 1
                elif depth == 0 and inner in ("local", "assert"):
                    pending += 1
                elif depth == 0 and inner == ";":
                    pending -= 1
                    if not pending:
                        break
            continue
        if token != "function" or next(tokens, "") != "(":
            return None
        names: list[str] = []
        depth, expect_name = 1, True
        for inner in tokens:
            if inner in "([{":
                depth += 1
            elif inner in ")]}":
                depth -= 1
                if not depth:
                    return tuple(names)
            elif depth == 1 and inner == ",":
                expect_name = True
            elif depth == 1 and expect_name and inner.isidentifier():
                names.append(inner)
                expect_name = False
        return None
    return None


def top_level_codes(
    source: str, codes: Mapping[str, str], main: PurePosixPath, prefix: str
) -> dict[str, str]:
    """Pass exactly the context entries the main function declares (all when unknown); `codes`
    holds every context entry as JSON text."""
    declared = top_level_parameters(source)
    names = CONTEXT_NAMES if declared is None else declared
    twice = [n for i, n in enumerate(names) if n in names[:i]]
    if twice:  # jrsonnet panics on a function with a parameter declared twice
        raise GeneratorError(
            f"{prefix}top-level parameter '{twice[0]}' is declared twice",
            Origin(main, *_position(source, twice[0])),
            "declare each parameter once",
        )
    unknown = [n for n in names if n not in CONTEXT_NAMES]
    if unknown:
        raise GeneratorError(
            f"{prefix}top-level parameter '{unknown[0]}' is not provided by the generator",
            Origin(main, *_position(source, unknown[0])),
            f"declare only these parameters: {', '.join(CONTEXT_NAMES)}",
        )
    return {n: codes[n] for n in names}


def _position(text: str, needle: str) -> tuple[int, int]:
    index = text.find(needle)
    if index < 0:
        return (0, 0)
    line = text.count("\n", 0, index) + 1
    return (line, index - (text.rfind("\n", 0, index) + 1) + 1)


# ---------------------------------------------------------------- imports


# what pathlib's exists() and is_file() take for "nothing there"
_ABSENT = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _resolve(real_base: str, rel: str) -> tuple[str, os.stat_result | None]:
    """Path(real_base, rel).resolve() and a stat of the result in one: the real path and its
    status, None when nothing is there. A symlink loop raises RuntimeError, as resolve() does."""
    real = _realpath_below(real_base, rel)
    try:
        return real, os.stat(real)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise RuntimeError(f"Symlink loop from {e.filename!r}") from e
        if e.errno in _ABSENT:
            return real, None
        raise


def _realpath_below(real_base: str, rel: str) -> str:
    """os.path.realpath(real_base + "/" + rel) when real_base is absolute, normalised and free
    of symlinks: only the components of `rel` are looked at, the way realpath() walks them;
    a symlink among them hands the whole path to realpath()."""
    path = real_base
    for name in rel.split("/"):
        if not name or name == ".":
            continue
        if name == "..":
            path = posixpath.dirname(path)
            continue
        joined = posixpath.join(path, name)
        try:
            is_link = stat.S_ISLNK(os.lstat(joined).st_mode)
        except OSError:  # absent: realpath() goes on joining the names
            is_link = False
        if is_link:
            return os.path.realpath(f"{real_base}/{rel}")
        path = joined
    return path


def _real_folder(folder: str, repo: str) -> str:
    """os.path.realpath(folder) for a folder below the (resolved) repository or the shipped
    libraries, walking only the part below them."""
    for root, real_root in ((repo, repo), (str(SHIPPED_DIR), _SHIPPED)):
        below = _below(folder, root)
        if below is not None:
            return _realpath_below(real_root, below)
    return os.path.realpath(folder)


def _below(path: str, root: str) -> str | None:
    """`path` relative to `root` ("." for root itself), None when it lies elsewhere; both
    normalised, `root` absolute when `path` is."""
    if path == root:
        return "."
    prefix = root if root.endswith("/") else root + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


class Importer:
    """import_callback shared by both bindings; files get repo-relative names.

    Search order: the importing file's folder, the repository's charts/lib/ (so a platform team
    can shadow a shipped library), then the shipped libraries. Nothing outside the repository
    or the shipped folder is read. A refusal is kept in `problem` because the bindings only pass
    the exception text on. Paths are plain strings: this runs for every import of every unit.
    """

    def __init__(self, repo: str, main: str, source: str, folder: str, *, as_bytes: bool) -> None:
        self.repo = repo  # resolved
        self.main = main
        self.source = source
        # message name of a folder → its real path
        self.folders = {str(PurePosixPath(main).parent): _real_folder(folder, repo)}
        self.as_bytes = as_bytes
        self.problem: GeneratorError | None = None
        # repo files imported, and those searched first and absent: a file created there
        # would be imported instead
        self.read: set[str] = set()
        self.sources: list[str] = []  # text of every file imported, scanned for value reads

    def __call__(self, base: str, rel: str) -> tuple[str, str | bytes]:
        if rel == ENTRY:
            return self.main, self.source.encode("utf-8") if self.as_bytes else self.source
        base = base.rstrip("/") or "."
        here = self.folders.get(base) or os.path.realpath(os.path.join(self.repo, base))
        if posixpath.isabs(rel) or not rel:
            return self._refuse(
                f"import '{rel}' is an absolute path",
                PurePosixPath(base),
                rel,
                "import by a path relative to the importing file or by a library name",
            )
        for real_base, below in ((here, rel), (self.repo, f"{USER_LIB}/{rel}"), (_SHIPPED, rel)):
            real, status = _resolve(real_base, below)
            name = self._name(real)
            if name is None:
                if status is not None:
                    return self._refuse_outside(PurePosixPath(base), rel)
                continue
            if _below(name, str(SHIPPED_NAME)) is None:
                self.read.add(name)
            if status is not None and stat.S_ISREG(status.st_mode):
                self.folders.setdefault(posixpath.dirname(name) or ".", os.path.dirname(real))
                return name, self._content(real)
        if posixpath.normpath(posixpath.join(base, rel)).startswith("../"):
            return self._refuse_outside(PurePosixPath(base), rel)
        return self._refuse(
            f"import '{rel}' not found",
            PurePosixPath(base),
            rel,
            f"looked in '{base}/', '{USER_LIB}/' and the shipped libraries ({SHIPPED_NAME}/); "
            "check the file name",
        )

    def _content(self, real: str) -> str | bytes:
        """The file's bytes for the C++ binding, its text for rjsonnet (a file that is not
        UTF-8 fails there); the text goes to the value-read scan either way."""
        with open(real, "rb") as file:
            content = file.read()
        text = content.decode("utf-8", errors="replace")
        self.sources.append(text)
        if self.as_bytes:
            return content
        return content.decode("utf-8") if "\ufffd" in text else text

    def _name(self, real: str) -> str | None:
        """How messages and Reads name a real path; None outside the repository and the
        shipped libraries."""
        shipped = _below(real, str(SHIPPED_DIR))
        if shipped is not None:
            return str(SHIPPED_NAME) if shipped == "." else f"{SHIPPED_NAME}/{shipped}"
        return _below(real, self.repo)

    def _refuse_outside(self, folder: PurePosixPath, rel: str) -> NoReturn:
        """An import that resolves outside the repository (by `..` or through a symlink)."""
        self._refuse(
            f"import '{rel}' leaves the repository",
            folder,
            rel,
            "keep Jsonnet files inside the repository; put shared libraries in charts/lib/ "
            "and import them by name",
        )

    def _refuse(self, message: str, folder: PurePosixPath, rel: str, hint: str) -> NoReturn:
        origin = Origin(folder)
        # The bindings do not say which file imported; find the import string in that folder.
        real_folder = Path(self.folders.get(str(folder)) or os.path.join(self.repo, folder))
        for path in sorted(real_folder.glob("*sonnet")):
            text = path.read_text(encoding="utf-8", errors="replace")
            for quote in ("'", '"'):
                line, column = _position(text, f"{quote}{rel}{quote}")
                if line:
                    origin = Origin(folder / path.name, line, column)
                    break
            if origin.line:
                break
        self.problem = GeneratorError(message, origin, hint)
        raise RuntimeError(message)


# ---------------------------------------------------------------- result → objects


def parse_output(text: str, origin: Origin) -> Any:
    """The evaluator's JSON output → data, held to MAX_NESTING like every input (what
    yamlio.load_json(text, origin, locate=False) does; positions in the output would point
    into no file). JSON holds only dicts, lists and scalars, which makes the depth walk
    cheaper than the general one."""
    try:
        data = json.loads(text)
    except RecursionError as e:  # how json's C decoder says "too deep", past ~1000 levels
        raise nesting_error(origin) from e
    if _json_depth(data) > MAX_NESTING:
        raise nesting_error(origin)
    return data


def _json_depth(data: Any) -> int:
    """How many dicts and lists deep parsed JSON goes (0 for a scalar), one level at a time;
    it stops counting once past MAX_NESTING."""
    level = [data] if type(data) is dict or type(data) is list else []
    depth = 0
    while level and depth <= MAX_NESTING:
        depth += 1
        below = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return depth


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{json.dumps(key)}]"


FLATTEN_HINT = (
    "return an object, an array or a List whose leaves are Kubernetes objects "
    "(apiVersion, kind, metadata.name); use null or {} to leave something out"
)
# Where a value sits in the result: "result", or (where its container sits, index or key).
# Spelled out only for a message.
Trail = str | tuple["Trail", int | str]


def flatten(value: Any, path: str, origin: Origin, prefix: str) -> list[Mapping[str, Any]]:
    """Kubernetes objects inside nested objects, arrays and `List`s, in order; null is skipped."""
    found: list[Mapping[str, Any]] = []
    _collect(value, path, found, origin, prefix)
    return found


def _collect(
    value: Any, trail: Trail, found: list[Mapping[str, Any]], origin: Origin, prefix: str
) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _collect(item, (trail, index), found, origin, prefix)
    elif isinstance(value, dict):
        if not ({"apiVersion", "kind", "metadata"} & value.keys()):
            for key, item in value.items():
                _collect(item, (trail, key), found, origin, prefix)
            return
        kind = value.get("kind")
        if isinstance(kind, str) and kind.endswith("List") and isinstance(value.get("items"), list):
            _collect(value["items"], (trail, "items"), found, origin, prefix)
            return
        metadata = value.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        for field, present in (
            ("apiVersion", isinstance(value.get("apiVersion"), str) and value["apiVersion"]),
            ("kind", isinstance(kind, str) and kind),
            ("metadata.name", isinstance(name, str) and name),
        ):
            if not present:
                raise GeneratorError(
                    f"{prefix}{_spelled(trail)} has no {field}", origin, FLATTEN_HINT
                )
        found.append(value)
    else:
        kind_name = {bool: "a boolean", str: "a string", int: "a number", float: "a number"}
        shown = json.dumps(value)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        raise GeneratorError(
            f"{prefix}{_spelled(trail)} is {kind_name[type(value)]} ({shown}), "
            "not a Kubernetes object",
            origin,
            FLATTEN_HINT,
        )


def _spelled(trail: Trail) -> str:
    """`result.app.oops[1]`, `result["odd key"]`, `result[0].items[2]`."""
    steps: list[int | str] = []
    while isinstance(trail, tuple):
        trail, step = trail
        steps.append(step)
    path = trail
    for step in reversed(steps):
        path = f"{path}[{step}]" if isinstance(step, int) else _key_path(path, step)
    return path


# ---------------------------------------------------------------- errors

_FRAME = re.compile(r"^(?P<path>[^\s():][^\s:]*):\(?(?P<line>\d+):(?P<column>\d+)")
_HEADERS = (
    ("RUNTIME ERROR: ", "runtime error: "),
    ("STATIC ERROR: ", "syntax error: "),
)


def translate_error(text: str, prefix: str, main: PurePosixPath, engine: str) -> GeneratorError:
    """Both bindings' error text → one message: cause, then `file:line:col: what` frames."""
    lines = text.rstrip("\n").splitlines()
    message: list[str] = []
    frames: list[str] = []
    origin: Origin | None = None
    library: Origin | None = None
    for raw in lines:
        line = raw
        for upper, lower in _HEADERS:
            if line.startswith(upper):
                line = lower + line[len(upper) :]
        is_frame = bool(message) and raw.startswith(("\t", "    "))
        stripped = line.strip()
        if not is_frame:
            # C++ puts a syntax error's position in its header line: "syntax error: f:1:8: ..."
            head, _, rest = stripped.partition(": ")
            located = _FRAME.match(rest)
            if head == "syntax error" and located:
                origin = origin or _origin(located)
                stripped = f"syntax error: {rest[located.end() :].lstrip(':-0123456789 ')}"
            message.append(stripped)
            continue
        if stripped == "...":
            continue
        location, _, what = stripped.replace("\t", " ").partition(" ")
        located = _FRAME.match(location)
        if not located:
            frames.append(" ".join(stripped.split()))
            continue
        if located.group("path") == ENTRY:
            continue
        if located.group("path").startswith(str(SHIPPED_NAME)):
            library = library or _origin(located)  # the user's own frame comes first
        elif not located.group("path").startswith(("<std>", "std.jsonnet")):
            origin = origin or _origin(located)
        what = what.strip().lstrip(":").strip()
        frames.append(f"{location.rstrip(':')}: {what}" if what else location.rstrip(":"))
    shown = frames[:MAX_STACK_LINES]
    if len(frames) > len(shown):
        shown.append(f"... {len(frames) - len(shown)} more frame(s)")
    body = "\n".join(message)
    if shown:
        body += "\n  stack (" + engine + "):\n" + "\n".join(f"    {f}" for f in shown)
    if body.startswith("syntax error"):
        hint = "fix the Jsonnet syntax at that position"
    elif "native extension" in body or any(f"{n}: " in body for n in NATIVE_CALLBACKS):
        hint = "check the argument passed to the native function at that position"
    else:
        hint = "fix the Jsonnet at the first position of the stack, or the values it reads"
    return GeneratorError(prefix + body, origin or library or Origin(main), hint)


def _origin(match: re.Match[str]) -> Origin:
    return Origin(
        PurePosixPath(match.group("path")), int(match.group("line")), int(match.group("column"))
    )
