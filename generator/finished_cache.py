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

import hashlib
import json
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
)
from generator.policies.rule import Cluster as PolicyFacts
from generator.render_cache import CACHE_DIR
from generator.unit_cache import Digests, UnitOutput, write_entry

FINISHED_DIR = Path(CACHE_DIR).parent / "finished"
FORMAT = 1  # bump when an entry's layout changes


# key, component, origin (path, line, column) and create-only flag of an object: what the
# check that each object has one owner needs
Identity = tuple[ResourceKey, str, tuple[str, int, int], bool]


@dataclass
class FinishedUnit:
    """One unit of one cluster as rendered/ and the checks get it, in plain values: an entry
    is read back for every unit of every cluster, so it must be cheap to unpickle."""

    files: list[tuple[str, str]]  # path under rendered/, text
    findings: list[Finding]
    reads: Reads  # the engine's and the overlays'
    hits: frozenset[str]  # overlay patch targets that selected one of its objects
    identities: list[Identity]
    view: UnitView  # what the GitOps stage reads of it
    fresh: bool = True  # finished by this render, not read from the cache

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.files, self.findings, self.reads, self.hits, self.identities, self.view)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        (self.files, self.findings, self.reads, self.hits, self.identities, self.view) = state
        self.fresh = False


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
    return hashlib.sha256(json.dumps([FORMAT, *parts], default=str).encode()).hexdigest()


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
        found = self._load(key)
        if not isinstance(found, tuple) or len(found) != 2:
            return None
        checks, finished = found
        for kind, rel, digest in checks:
            if self.digests.current(kind, rel) != digest:
                return None
        return finished if isinstance(finished, FinishedUnit) else None

    def handoff(self, key: str) -> tuple[list[tuple[str, str]], list[Finding]] | None:
        found = self._load(key)
        return found if isinstance(found, tuple) and len(found) == 2 else None

    def keep_handoff(self, key: str, files: list[tuple[str, str]], findings: list[Finding]) -> None:
        self._store(key, (files, findings))

    def keep_facts(self, key: str, facts: SharedFacts) -> None:
        self._store(key, facts)

    def keep_unit(self, key: str, finished: FinishedUnit, overlays: Reads) -> None:
        self._store(key, (self.digests.of(overlays), finished))

    def _load(self, key: str) -> Any:
        self.used.add(key)
        try:
            with (self.folder / key[:2] / key).open("rb") as f:
                return pickle.load(f)
        except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
            return None

    def _store(self, key: str, value: Any) -> None:
        self.used.add(key)
        write_entry(self.folder / key[:2] / key, value)
