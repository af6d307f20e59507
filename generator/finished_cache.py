"""A unit of a cluster after overlays, checks and layout → kept under .generator-cache/finished/,
so a change to one unit finishes that unit again in each cluster, not the whole cluster.

Sound only where each unit's result depends on its own engine output and on what its
neighbours in the cluster show each other: the cluster's overlays change every object on its
own (overlays.scopes.separable) and the key covers the cluster's overlays and schemas, the
tool, and the neighbours' shared objects (CRDs, cluster roles, secret stores: SHARED_KINDS).
What the whole cluster shares is kept beside the units (SharedFacts), since a unit finished
alone is checked against it.
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.errors import GeneratorError
from generator.gitops.plan import UnitView
from generator.model import (
    Finding,
    Manifest,
    Reads,
    RenderUnit,
    ResourceKey,
    text_digest,
)
from generator.policies.rule import Cluster as PolicyFacts
from generator.render_cache import CACHE_DIR, digest_of
from generator.unit_cache import Digests, UnitOutput, write_entry

FINISHED_DIR = Path(CACHE_DIR).parent / "finished"
FORMAT = 5  # bump when an entry's layout changes


# key, component, origin (path, line, column) and create-only flag of an object: what the
# check that each object has one owner needs
Identity = tuple[ResourceKey, str, tuple[str, int, int], bool]


@dataclass
class FinishedUnit:
    """One unit of one cluster as rendered/ and the checks get it, in plain values: an entry
    is read back for every unit of every cluster, so it must be cheap to unpickle. The texts
    of its files are kept apart in the entry and read only when a file is to be written."""

    listing: list[tuple[str, str]]  # path under rendered/, digest of the text (text_digest)
    findings: list[Finding]
    hits: frozenset[str]  # overlay patch targets that selected one of its objects
    identities: list[Identity]
    view: UnitView  # what the GitOps stage reads of it
    texts: list[str] | None = None  # in listing order; None: in the cache entry `stored`
    stored: str = ""  # the key of the entry holding the texts, when it came from the cache
    reads: Reads | None = None  # the engine's and the overlays', when finished by this render

    @property
    def fresh(self) -> bool:
        """Finished by this render, not read from the cache."""
        return not self.stored

    def header(self) -> tuple[Any, ...]:
        return (self.listing, self.findings, self.hits, self.identities, self.view)


def identity(manifest: Manifest, component: str, create_only: bool) -> Identity:
    origin = manifest.origin
    where = (str(origin.path), origin.line, origin.column)
    return manifest.key, component, where, create_only


@dataclass
class SharedFacts:
    """What the units of one cluster see of each other, as a build of all of them found it."""

    before: PolicyFacts  # in the engines' output (to tell what an overlay introduced)
    after: PolicyFacts  # in the final output
    crds: list[Any]  # bodies of the final CustomResourceDefinitions, for schema validation
    missed: dict[str, GeneratorError] = field(default_factory=dict)  # overlay targets


def _digest(*parts: Any) -> str:
    return digest_of([FORMAT, *parts])


def cluster_key(tool: str, validate: bool, identity: Sequence[Any], folders: Sequence[str]) -> str:
    """The cluster's own inputs to finishing: the tool, whether it validates, the catalog
    names an output shows and the digests of its overlay and schema folders."""
    return _digest(tool, validate, list(identity), list(folders))


def shared_key(cluster: str, outputs: Sequence[tuple[RenderUnit, UnitOutput]], levels: Any) -> str:
    """The cluster key with what each unit shows its neighbours."""
    units = [(u.kind, u.name, u.namespace, u.order, u.dirname, out.shared) for u, out in outputs]
    return _digest(cluster, units, sorted(levels.items()))


def unit_key(shared: str, unit: RenderUnit, output: UnitOutput) -> str:
    return _digest(shared, output.made_of, [str(s) for s in unit.sources], str(unit.origin.path))


def handoff_key(shared: str, handoff: Mapping[str, Sequence[Manifest]], sources: Any) -> str:
    """The GitOps objects of a cluster by content, with what validates them (`shared`)."""
    folders = [[f, [m.body for m in ms], [str(m.origin) for m in ms]] for f, ms in handoff.items()]
    return _digest("handoff", shared, [str(s) for s in sources], folders)


class FinishedCache:
    """Finished units and each cluster's SharedFacts, by key; entries of a unit are also
    checked against the overlay folders it was built with."""

    def __init__(self, repo: Path, digests: Digests, used: set[str]) -> None:
        self.folder = repo / FINISHED_DIR
        self.digests = digests
        self.used = used  # shared with the unit cache: one set for pruning both

    def facts(self, key: str) -> SharedFacts | None:
        found = self._load(key)
        return found if isinstance(found, SharedFacts) else None

    def unit(self, key: str) -> FinishedUnit | None:
        """The unit without its texts (see StoredTexts), when its overlay folders are as the
        entry was made with."""
        found = self._load(key)
        if not isinstance(found, tuple) or len(found) != 2:
            return None
        checks, header = found
        for kind, rel, digest in checks:
            if self.digests.current(kind, rel) != digest:
                return None
        try:
            listing, findings, hits, identities, view = header
        except (TypeError, ValueError):
            return None
        return FinishedUnit(listing, findings, hits, identities, view, stored=key)

    def handoff(self, key: str) -> tuple[list[tuple[str, str]], list[Finding]] | None:
        found = self._load(key)
        return found if isinstance(found, tuple) and len(found) == 2 else None

    def keep_handoff(self, key: str, files: list[tuple[str, str]], findings: list[Finding]) -> None:
        self._store(key, (files, findings))

    def keep_facts(self, key: str, facts: SharedFacts) -> None:
        self._store(key, facts)

    def keep_unit(self, key: str, finished: FinishedUnit, overlays: Reads) -> None:
        """The header first, then the texts: a lookup reads the first alone."""
        self._store(key, (self.digests.of(overlays), finished.header()), finished.texts)

    def _load(self, key: str) -> Any:
        self.used.add(key)
        try:
            with open(f"{self.folder}/{key[:2]}/{key}", "rb") as f:  # 8,000 a render: no Path
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None

    def _store(self, key: str, *values: Any) -> None:
        self.used.add(key)
        write_entry(self.folder / key[:2] / key, *values)


class StoredTexts:
    """The texts of one finished unit's files, read from its cache entry when the first is
    asked for (RenderedFile's source), checked against the digests the render compared."""

    def __init__(self, repo: Path, key: str, digests: Sequence[str]) -> None:
        self.repo, self.key = repo, key  # 4,000 a render: paths only when a text is read
        self.digests = digests
        self.texts: list[str] | None = None

    def text(self, index: int) -> str:
        if self.texts is None:
            self.texts = self._read()
        return self.texts[index]

    def _read(self) -> list[str]:
        name = FINISHED_DIR / self.key[:2] / self.key
        try:
            with (self.repo / name).open("rb") as f:
                pickle.load(f)  # the header
                texts = pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError) as e:
            texts = e
        if not isinstance(texts, list) or [text_digest(t) for t in texts] != list(self.digests):
            raise GeneratorError(
                f"{name}: a cache entry this render used has gone or changed since",
                hint="another generator process may have pruned the cache: render again, "
                "or render with --no-cache",
            )
        return texts
