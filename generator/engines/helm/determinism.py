"""Chart → the template lines that call Helm's random or clock functions (randAlphaNum, uuidv4,
now, genCA, ...); two renders of such a chart → an error when their output differs, naming the
template and the line of the call; a clock call is an error by itself. rendered/ must be
byte-identical on every machine.

A chart may call them and still render deterministically (`default (randAlphaNum 16)
.Values.password` with the password set in the catalog): only output that differs is refused.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import NamedTuple

from generator.engines.helm.chart import Chart, repo_path, where
from generator.engines.helm.output import Document
from generator.errors import GeneratorError
from generator.model import Origin, RenderUnit

# Sprig/Helm functions whose result differs on every call: random values, the clock, fresh
# keys and certificates, salted hashes, random IVs.
RANDOM_FUNCTIONS = (
    "randAlphaNum", "randAlpha", "randNumeric", "randAscii", "randInt", "randBytes", "uuidv4",
    "now", "genPrivateKey", "genCA", "genCAWithKey", "genSelfSignedCert",
    "genSelfSignedCertWithKey", "genSignedCert", "genSignedCertWithKey", "shuffle", "bcrypt",
    "htpasswd", "encryptAES", "ago",
)  # fmt: skip
# The clock is refused wherever it is called: formatted as a date, two renders a second apart
# agree, and a render the next day does not.
CLOCK_FUNCTIONS = frozenset({"now", "ago"})
_ACTION = re.compile(r"\{\{(?!-?\s*/\*)(.*?)\}\}", re.DOTALL)
_CALL = re.compile(r"(?<![\w.$])(" + "|".join(RANDOM_FUNCTIONS) + r")(?![\w])")
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")


class RandomCall(NamedTuple):
    origin: Origin  # repo-relative template file and line
    function: str


def random_calls(chart: Chart) -> list[RandomCall]:
    """Every call of a RANDOM_FUNCTIONS member in the chart's and its subcharts' templates."""
    found: list[RandomCall] = []
    for path in sorted(chart.folder.rglob("*")):
        rel = chart.path / path.relative_to(chart.folder).as_posix()
        if path.is_file() and "templates" in rel.parts and path.suffix in TEMPLATE_SUFFIXES:
            found += _calls_in(path.read_bytes().decode("utf-8", "replace"), rel)
        elif path.is_file() and path.name.endswith((".tgz", ".tar.gz")):
            found += _calls_in_archive(path, rel)
    return found


def _calls_in(text: str, rel: PurePosixPath) -> list[RandomCall]:
    calls = []
    for action in _ACTION.finditer(text):
        for call in _CALL.finditer(action.group(1)):
            line = text.count("\n", 0, action.start(1) + call.start()) + 1
            calls.append(RandomCall(Origin(rel, line), call.group(1)))
    return calls


def _calls_in_archive(archive: Path, rel: PurePosixPath) -> list[RandomCall]:
    calls: list[RandomCall] = []
    try:
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                parts = PurePosixPath(member.name).parts
                extracted = tar.extractfile(member) if "templates" in parts else None
                if extracted is not None:
                    text = extracted.read().decode("utf-8", "replace")
                    calls += [
                        c._replace(origin=Origin(rel, c.origin.line)) for c in _calls_in(text, rel)
                    ]
    except (tarfile.TarError, OSError, EOFError):
        return calls  # chart.py names an unreadable archive
    return calls


def check_same_output(
    chart: Chart,
    unit: RenderUnit,
    first: Sequence[Document],
    second: Sequence[Document],
    calls: Sequence[RandomCall],
) -> None:
    clock = [c for c in calls if c.function in CLOCK_FUNCTIONS]
    if clock:
        raise GeneratorError(
            f"{where(unit)}: chart '{chart.name}' reads the clock ({clock[0].function}): its "
            "output would change from day to day",
            clock[0].origin,
            "rendered/ must be byte-identical on every machine: write the date or time into "
            "the catalog and read it from .Values (see docs/helm.md)",
        )
    for a, b in zip(first, second, strict=False):
        if a.body != b.body or a.source != b.source:
            template = repo_path(a.source, chart)
            here = [c for c in calls if c.origin.path == template] or list(calls)
            names = ", ".join(sorted({c.function for c in here}))
            raise GeneratorError(
                f"{where(unit)}: chart '{chart.name}' renders '{a.source}' differently on every "
                f"run: it calls {names}",
                here[0].origin,
                "rendered/ must be byte-identical on every machine: set the value the chart "
                "would generate (a password, a certificate) in the catalog, or patch the "
                "template to take it from .Values (see docs/helm.md)",
            )
    if len(first) != len(second):
        raise GeneratorError(
            f"{where(unit)}: chart '{chart.name}' renders a different number of objects on "
            "every run",
            calls[0].origin,
            "rendered/ must be byte-identical on every machine: remove the random or clock "
            "function the chart decides on",
        )
