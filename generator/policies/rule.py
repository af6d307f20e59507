"""The records every policy rule is made of: a Rule (id, summary, checks, whether it can be
waived), the Scope a check applies in, and the Subject or Tenant a check looks at."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeGuard, TypeVar, cast

from generator.kinds import Scopes
from generator.model import Manifest, RenderUnit

WAIVER_PREFIX = "waive.platform.generator/"

T = TypeVar("T")
Violation = tuple[str, str]  # (message, hint) about one object
TenantViolation = tuple[Manifest | None, str, str]  # (object to anchor on, message, hint)


class Scope(enum.Enum):
    """Where a check applies. The first two also run under `generator validate --policies`,
    which has no catalog: there a namespace labelled platform.generator/tenant is a tenant
    namespace."""

    OBJECT = "every object"
    TENANT_NAMESPACE = "every object in a tenant namespace"
    TENANT_OBJECT = "every object a tenant renders"
    RENDERED_OBJECT = "every object a catalog unit renders"
    TENANT = "a tenant's whole output"


@dataclass(frozen=True, slots=True)
class Cluster:
    """What checks may know about the rest of one cluster's output."""

    cluster_roles: Mapping[str, Mapping[str, Any]]
    # (group, kind) → (order, operator) of the first operator whose output has the CRD
    crd_orders: Mapping[tuple[str, str], tuple[int, str]]
    scopes: Scopes  # the built-in kinds and the CRDs of the cluster's output
    secret_stores: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # name → body of each ClusterSecretStore of the cluster's output


@dataclass(frozen=True, slots=True)
class Subject:
    """One object and where it sits."""

    manifest: Manifest
    tenant_level: str | None  # Pod Security level of its tenant namespace; None outside one
    unit: RenderUnit | None  # the unit that renders it; None without a catalog
    cluster: Cluster
    # what several checks derive from the object alike, found once (see memo)
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def body(self) -> Mapping[str, Any]:
        return self.manifest.body

    def memo(self, name: str, find: Callable[[Subject], T]) -> T:
        """`find(self)`, computed on the first call for `name`: a subject lives while the
        checks of one run look at its object, which they never change."""
        if name not in self._memo:
            self._memo[name] = find(self)
        return cast("T", self._memo[name])


@dataclass(frozen=True, slots=True)
class Tenant:
    """One tenant's whole output."""

    unit: RenderUnit
    manifests: Sequence[Manifest]
    cluster: Cluster


ObjectCheck = Callable[[Subject], Iterator[Violation]]
TenantCheck = Callable[[Tenant], Iterator[TenantViolation]]


@dataclass(frozen=True, slots=True)
class Check:
    scope: Scope
    run: ObjectCheck | TenantCheck


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    summary: str
    checks: tuple[Check, ...]
    unwaivable_because: str = ""  # set: the rule cannot be waived, and the hint says why
    without_validation: bool = False  # still checked under `render --no-validate`

    @property
    def waivable(self) -> bool:
        return not self.unwaivable_because


# A waiver annotation sits on the object it waives, so whoever writes a tenant's manifests
# could lift the tenant's own confinement with it.
CONFINEMENT = "a tenant's own annotation cannot lift the tenant's confinement"


def is_mapping(node: Any) -> TypeGuard[Mapping[str, Any]]:
    """isinstance(node, Mapping), quicker for the plain dicts objects are made of: checks ask
    it of every node of every object, and the abstract class check is slow."""
    return type(node) is dict or isinstance(node, Mapping)


def labels_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    found = meta.get("labels") if is_mapping(meta) else None
    return found if is_mapping(found) else {}


def annotations_of(body: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = body.get("metadata")
    found = meta.get("annotations") if is_mapping(meta) else None
    return found if is_mapping(found) else {}
