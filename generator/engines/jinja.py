"""Jinja2 component: *.yaml.j2 templates (sandboxed, StrictUndefined) + plain *.yaml →
[Manifest]."""

from __future__ import annotations

import base64
import difflib
import hashlib
import json
import os
import posixpath
import re
import sys
from collections.abc import Mapping
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any, NoReturn

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from generator.engines.limits import OutOfTime, deadline, timeout_error
from generator.engines.plain import component_files, parse_stream, read_text
from generator.errors import GeneratorError
from generator.model import Manifest, Origin, Reads, Rendered, RenderUnit
from generator.paths import inside, outside_error


class TemplateFailure(Exception):
    """Raised by `fail()` / `required()` inside a template."""


class Nondeterministic(Exception):
    """A template called `random` or `lipsum`: its output would differ on every render."""


class TooLarge(Exception):
    """An operation whose result would exceed the sandbox's size limits."""


# A single string, list or integer result larger than this is refused before it is computed:
# Python would take seconds to minutes (or all the memory) to build it.
MAX_LENGTH = 1_000_000
MAX_INTEGER_BITS = 64_000
_DIGITS = re.compile(r"\d{7,}")  # a format width such as "{:>999999999}"


class MissingValue(jinja2.UndefinedError):
    """An undefined name or key, with the mapping it was looked up in (None: a top-level name)."""

    def __init__(self, name: str, mapping: Any) -> None:
        super().__init__(f"'{name}' is undefined")
        self.name = name
        self.mapping = mapping


class _Undefined(jinja2.StrictUndefined):
    """StrictUndefined that remembers where the lookup failed, for a message with the full path
    (`cluster.providr`) and the closest existing key."""

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> Any:
        if self._undefined_obj is jinja2.utils.missing:
            raise MissingValue(str(self._undefined_name), None)
        if isinstance(self._undefined_obj, Mapping) and self._undefined_name is not None:
            raise MissingValue(str(self._undefined_name), self._undefined_obj)
        return super()._fail_with_undefined_error(*args, **kwargs)


class OutsideRepository(Exception):
    """A template or include whose file resolves outside the repository."""

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name)
        self.name = name
        self.filename = filename


class NotUtf8(Exception):
    """A template or include whose bytes are not UTF-8."""

    def __init__(self, filename: str, error: UnicodeDecodeError) -> None:
        super().__init__(filename)
        self.filename = filename
        self.error = error


class RepositoryLoader(jinja2.FileSystemLoader):
    """FileSystemLoader that refuses a file resolving outside the repository (a symlinked
    template or include) before reading it, and names a file that is not UTF-8."""

    def __init__(self, searchpath: list[str], repo: Path) -> None:
        super().__init__(searchpath)
        self.repo = repo

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Any]:
        pieces = jinja2.loaders.split_template_path(template)
        for folder in self.searchpath:
            filename = posixpath.join(folder, *pieces)
            if os.path.isfile(filename):
                if not inside(Path(filename), self.repo):
                    raise OutsideRepository(template, filename)
                try:
                    return super().get_source(environment, template)
                except UnicodeDecodeError as e:
                    raise NotUtf8(filename, e) from e
        raise jinja2.TemplateNotFound(template)


# Jinja binds __str__, __iter__, __eq__ and the operators to the base class's function, not by
# name: point them at the override too.
for _base in (jinja2.Undefined, jinja2.StrictUndefined):
    for _name, _member in vars(_base).items():
        if _member is jinja2.Undefined._fail_with_undefined_error and _name.startswith("__"):
            setattr(_Undefined, _name, _Undefined._fail_with_undefined_error)


class TrackedValues(dict[str, Any]):
    """A mapping of the template context that records which value paths the templates read.

    Looking up a key that holds a mapping only walks down (a new TrackedValues); looking up
    anything else, or a key that is absent, reads that path. Using a mapping as a whole
    (iterating, `tojson`, `length`, truth) reads everything under it. Attribute names start
    with `_tracked_` so that no value key is shadowed (Jinja tries attributes first).
    """

    __slots__ = ("_tracked_path", "_tracked_reads")

    def __init__(
        self, data: Mapping[str, Any], path: tuple[str, ...], reads: set[tuple[str, ...]]
    ) -> None:
        super().__init__(data)
        self._tracked_path = path
        self._tracked_reads = reads

    def __getitem__(self, key: str) -> Any:
        path = (*self._tracked_path, str(key))
        try:
            value = super().__getitem__(key)
        except KeyError:
            self._tracked_reads.add(path)
            raise
        if isinstance(value, dict):
            return TrackedValues(value, path, self._tracked_reads)
        self._tracked_reads.add(path)
        return value

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if super().__contains__(key) else self._absent(key, default)

    def _absent(self, key: str, default: Any) -> Any:
        self._tracked_reads.add((*self._tracked_path, str(key)))
        return default

    def __contains__(self, key: object) -> bool:
        self._tracked_reads.add((*self._tracked_path, str(key)))
        return super().__contains__(key)

    def _whole(self) -> None:
        self._tracked_reads.add(self._tracked_path)

    def __iter__(self) -> Any:
        self._whole()
        return super().__iter__()

    def __len__(self) -> int:
        self._whole()
        return super().__len__()

    def items(self) -> Any:
        self._whole()
        return super().items()

    def keys(self) -> Any:
        self._whole()
        return super().keys()

    def values(self) -> Any:
        self._whole()
        return super().values()

    def __eq__(self, other: object) -> bool:
        self._whole()
        return super().__eq__(other)

    __hash__ = None


def render(unit: RenderUnit, repo: Path) -> list[Manifest]:
    return list(rendered(unit, repo).manifests)


def rendered(unit: RenderUnit, repo: Path) -> Rendered:
    """The manifests and what was read: the component folder as a whole (a new file there may
    shadow a library template) and each template included from charts/lib/."""
    folder = repo / str(unit.component.path)
    environment = _environment(
        folder.resolve(), (repo / "charts" / "lib").resolve(), repo.resolve()
    )
    environment.loaded = set()
    reads: set[tuple[str, ...]] = set()
    context = {**unit.context, "values": TrackedValues(unit.context["values"], ("values",), reads)}
    manifests: list[Manifest] = []
    with deadline(unit.label, Origin(unit.component.path)):  # loops the size limits let through
        for path in component_files(folder, (".yaml.j2", ".yml.j2", ".yaml", ".yml")):
            rel = PurePosixPath(path.relative_to(repo).as_posix())
            if not path.name.endswith(".j2"):
                manifests.extend(parse_stream(read_text(path, rel, repo), rel))
                continue
            text = _render_template(environment, folder, path, rel, unit, context)
            try:
                manifests.extend(parse_stream(text, rel))
            except GeneratorError as e:
                raise GeneratorError(
                    f"{unit.label}: template output is not valid YAML: {e.message}"
                    + (f" (at output line {e.origin.line})" if e.origin and e.origin.line else ""),
                    Origin(rel),
                    "check indentation of the template's output; "
                    "render values with `| tojson` to quote them",
                ) from e
    inside_folder = folder.resolve()
    root = repo.resolve()
    libraries = frozenset(
        PurePosixPath(path.relative_to(root).as_posix())
        for path in map(Path, environment.loaded)
        if not path.is_relative_to(inside_folder) and path.is_relative_to(root)
    )
    return Rendered(
        tuple(manifests),
        Reads(files=libraries, folders=frozenset({unit.component.path}), values=frozenset(reads)),
    )


class BoundedEnvironment(SandboxedEnvironment):
    """The sandbox, plus size limits on `*`, `**`, `+` and string padding methods, so a
    template cannot make one value of gigabytes (Jinja itself bounds only `range`)."""

    intercepted_binops = frozenset({"*", "**", "+"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**" and _is_int(left) and _is_int(right) and abs(left) > 1:
            if right * abs(left).bit_length() > MAX_INTEGER_BITS:
                raise TooLarge(f"{left} ** {right} has more than {MAX_INTEGER_BITS} bits")
        elif operator == "*" and (_sized(left, right) or _sized(right, left)):
            sequence, count = (left, right) if _is_int(right) else (right, left)
            if len(sequence) * count > MAX_LENGTH:
                raise TooLarge(f"a value of length {len(sequence)} repeated {count} times")
        elif (
            operator == "+"
            and isinstance(left, str | list)
            and isinstance(right, str | list)
            and len(left) + len(right) > MAX_LENGTH
        ):
            raise TooLarge(f"a result of length {len(left) + len(right)}")
        return super().call_binop(context, operator, left, right)

    def call(
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        # str.ljust(10**9), "x".zfill(...), "{:>999999999}".format(...) and the like.
        if isinstance(getattr(__obj, "__self__", None), str):
            for value in (*args, *kwargs.values()):
                if _is_int(value) and value > MAX_LENGTH:
                    raise TooLarge(f"a string of length {value}")
                widths = [int(w) for w in _DIGITS.findall(value)] if isinstance(value, str) else []
                if widths and max(widths) > MAX_LENGTH:
                    raise TooLarge(f"a string of width {max(widths)}")
        return super().call(__context, __obj, *args, **kwargs)


class RecordingEnvironment(BoundedEnvironment):
    """Remembers the file of every template loaded (cached or not), includes and imports too."""

    loaded: set[str]

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        template = super()._load_template(name, globals)
        if template.filename:
            self.loaded.add(template.filename)
        return template


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sized(sequence: Any, count: Any) -> bool:
    return isinstance(sequence, str | list | tuple) and _is_int(count)


def _padding_filter(name: str) -> Any:
    original = jinja2.filters.FILTERS[name]

    def bounded(value: Any, width: Any = 80, *args: Any, **kwargs: Any) -> Any:
        if _is_int(width) and width > MAX_LENGTH:
            raise TooLarge(f"`{name}` to width {width}")
        return original(value, width, *args, **kwargs)

    return bounded


def _refuse_random(name: str) -> Any:
    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        raise Nondeterministic(name)

    return refuse


@cache
def _environment(folder: Path, library: Path, repo: Path) -> RecordingEnvironment:
    """One sandboxed environment per component folder; templates may include charts/lib/."""
    # Partials resolve from the component folder, its templates/ folder, then charts/lib/.
    search = [str(p) for p in (folder, folder / "templates", library) if p.is_dir()]
    environment = RecordingEnvironment(
        loader=RepositoryLoader(search, repo),
        undefined=_Undefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    # `tojson` of a missing value is the usual undefined-value error, not a TypeError
    environment.policies["json.dumps_kwargs"] = {"sort_keys": True, "default": _json_default}
    environment.filters.update(
        b64encode=lambda s: base64.b64encode(str(s).encode()).decode(),
        sha256=lambda s: hashlib.sha256(str(s).encode()).hexdigest(),
        to_json=lambda v: json.dumps(v, sort_keys=True, default=_json_default),
        required=_required,
        random=_refuse_random("random"),
        center=_padding_filter("center"),
        indent=_padding_filter("indent"),
    )
    environment.globals.update(fail=_fail, lipsum=_refuse_random("lipsum"))
    return environment


def _json_default(value: Any) -> Any:
    if isinstance(value, jinja2.Undefined):
        return value._fail_with_undefined_error()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _fail(message: str) -> NoReturn:
    raise TemplateFailure(message)


def _required(value: Any, message: str = "a required value is missing") -> Any:
    if value is None or value == "":
        raise TemplateFailure(message)
    return value


def _render_template(
    environment: SandboxedEnvironment,
    folder: Path,
    path: Path,
    rel: PurePosixPath,
    unit: RenderUnit,
    context: Mapping[str, Any],
) -> str:
    name = path.relative_to(folder).as_posix()
    where = unit.label
    try:
        return environment.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as e:
        origin = Origin(_rel_of(e.filename, rel), e.lineno or 0)
        raise GeneratorError(
            f"{where}: template syntax error: {e.message}",
            origin,
            "fix the Jinja2 syntax on that line",
        ) from e
    except MissingValue as e:
        message, hint = _explain_missing(e, unit.context)
        raise GeneratorError(f"{where}: {message}", _template_origin(rel), hint) from e
    except jinja2.UndefinedError as e:
        raise GeneratorError(
            f"{where}: undefined value: {e.message}",
            _template_origin(rel),
            "define the value in the catalog (platform, environment, cluster or operator values) "
            "or guard it with `is defined` / `| default(...)`",
        ) from e
    except TemplateFailure as e:
        raise GeneratorError(
            f"{where}: template failed: {e}",
            _template_origin(rel),
            "provide the value the template asks for",
        ) from e
    except jinja2.TemplateNotFound as e:
        raise GeneratorError(
            f"{where}: template '{e.name}' not found",
            Origin(rel),
            "include templates from this component folder or charts/lib/",
        ) from e
    except OutsideRepository as e:
        raise outside_error(
            f"{where}: template",
            e.name,
            Path(e.filename),
            _template_origin(rel),
            "keep templates and the files they include inside the repository (the component "
            "folder or charts/lib/): copy the file in instead of linking to it",
        ) from e
    except NotUtf8 as e:
        data, start = e.error.object, e.error.start
        raise GeneratorError(
            f"{where}: template is not valid UTF-8: byte 0x{data[start]:02x} at offset {start}",
            Origin(_rel_of(e.filename, rel), data.count(b"\n", 0, start) + 1),
            "save the file as UTF-8",
        ) from e
    except jinja2.exceptions.SecurityError as e:
        raise GeneratorError(
            f"{where}: unsafe template operation: {str(e).rstrip('.')}",
            _template_origin(rel),
            "templates run sandboxed; compute the value in the catalog instead",
        ) from e
    except OutOfTime as e:  # the line that was running when the time was up
        raise timeout_error(where, _template_origin(rel)) from e
    except Nondeterministic as e:
        raise GeneratorError(
            f"{where}: '{e}' gives different output on every render",
            _template_origin(rel),
            "rendered/ must be byte-identical on every machine: write the value into the "
            "catalog, or derive it from one with `| sha256`",
        ) from e
    except (TooLarge, OverflowError, MemoryError) as e:
        raise GeneratorError(
            f"{where}: template builds a value that is too large: {_reason(e)}",
            _template_origin(rel),
            f"keep strings and lists under {MAX_LENGTH:,} items, integers under "
            f"{MAX_INTEGER_BITS:,} bits and ranges under {jinja2.sandbox.MAX_RANGE:,}",
        ) from e
    except RecursionError as e:
        raise GeneratorError(
            f"{where}: template recursion is too deep (a macro or include that calls itself "
            "without end)",
            _template_origin(rel),
            "give the recursive macro a condition that stops it",
        ) from e
    except (ArithmeticError, TypeError, ValueError, LookupError) as e:
        # 1/0, "a" + 1, `dictsort` over mixed keys, `sum` of strings, "%d" % "x": an
        # expression of the template failed on the values it was given.
        raise GeneratorError(
            f"{where}: template expression failed: {_reason(e)}",
            _template_origin(rel),
            "fix the expression on that line or the values it reads (their types)",
        ) from e


def _reason(error: BaseException) -> str:
    text = str(error).split(";")[0].rstrip(".") or "out of memory"
    return text if isinstance(error, TooLarge) else f"{text} ({type(error).__name__})"


def _explain_missing(error: MissingValue, context: Mapping[str, Any]) -> tuple[str, str]:
    """`undefined value 'cluster.providr'` and a hint naming the closest key that exists."""
    if error.mapping is None:
        known = sorted(context)
        close = difflib.get_close_matches(error.name, known, n=1)
        return (
            f"undefined name '{error.name}'",
            (f"did you mean '{close[0]}'? " if close else "")
            + f"templates see: {', '.join(known)} (docs/catalog.md)",
        )
    parent = _path_to(context, error.mapping)
    path = f"{parent}.{error.name}" if parent else error.name
    keys = sorted(str(k) for k in error.mapping)
    close = difflib.get_close_matches(error.name, keys, n=1)
    if close:
        found = f"did you mean '{parent + '.' if parent else ''}{close[0]}'? "
    else:
        found = f"{parent or 'it'} has: {', '.join(keys) or 'no keys'}; " if len(keys) <= 12 else ""
    return (
        f"undefined value '{path}'",
        found + "define it in the catalog or guard it with `is defined` / `| default(...)`",
    )


def _path_to(context: Mapping[str, Any], target: Any, prefix: str = "") -> str:
    """The dotted path of a mapping inside the template context, found by identity."""
    if isinstance(target, TrackedValues):
        return ".".join(target._tracked_path)
    for key, value in context.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if value is target:
            return path
        if isinstance(value, Mapping):
            found = _path_to(value, target, path)
            if found:
                return found
    return ""


def _rel_of(filename: str | None, fallback: PurePosixPath) -> PurePosixPath:
    if not filename:
        return fallback
    parts = Path(filename).resolve().parts
    if "charts" in parts:
        return PurePosixPath(*parts[len(parts) - parts[::-1].index("charts") - 1 :])
    return fallback


def _template_origin(rel: PurePosixPath) -> Origin:
    """The template line that was executing, from the traceback Jinja rewrites to template lines."""
    tb = sys.exc_info()[2]
    found = Origin(rel)
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            found = Origin(_rel_of(filename, rel), tb.tb_lineno)
        tb = tb.tb_next
    return found


def template_lines(unit: RenderUnit, repo: Path, rel: PurePosixPath) -> tuple[str, list[int]]:
    """One template's output for the unit and, per output line, the template line that wrote
    its last content: a literal line its own line, an expression (`{{ value }}`, a macro, an
    include) the line it stands on."""
    folder = repo / str(unit.component.path)
    environment = _environment(
        folder.resolve(), (repo / "charts" / "lib").resolve(), repo.resolve()
    )
    environment.loaded = set()
    name = (repo / str(rel)).relative_to(folder).as_posix()
    template = environment.get_template(name)
    source = environment.loader.get_source(environment, name)[0] if environment.loader else ""
    generator: Any = template.root_render_func(template.new_context(dict(unit.context)))
    lines = [0]  # per output line (0-based), the template line that last wrote content there
    text = []
    for chunk in generator:
        frame = generator.gi_frame  # suspended at the yield that produced this chunk
        start = template.get_corresponding_lineno(frame.f_lineno) if frame is not None else 0
        literal = "\n" in chunk and chunk in source  # template text, copied line by line
        for i, part in enumerate(chunk.split("\n")):
            if i:
                lines.append(start + i if literal else start)
            if part.strip():
                lines[-1] = start + i if literal else start
        text.append(chunk)
    return "".join(text), lines
