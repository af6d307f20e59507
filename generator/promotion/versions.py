"""Catalog (+ rendered files) → the versions every environment and cluster runs: pinned version
values per operator, container image tags, and where each was set."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator.errors import GeneratorError
from generator.merge import Layer, deep_merge, helm_scoped, split_layers, value_layers
from generator.model import (
    Catalog,
    Cluster,
    Environment,
    Operator,
    Origin,
    RenderedFile,
    RenderUnit,
)

# A pinned version: a value under a key named `version` or `tag` that looks like one
# (v1.16.2, 11.3.0, 3.3.2-rc.1); `version: v2` of a secret store's KV engine is not.
VERSION_KEYS = frozenset({"version", "tag"})
VERSION = re.compile(r"v?\d+(\.\d+)+([-+][0-9A-Za-z.-]+)?")
IMAGE = re.compile(r"^\s*(?:- )?image: ['\"]?([^'\"\s]+)['\"]?\s*$", re.MULTILINE)

Path_ = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Pinned:
    """One version value one operator has in one environment or cluster, and where it was set."""

    operator: str
    path: Path_  # under values: ("gateway", "version")
    value: str
    origin: Origin


def version_paths(values: Mapping[str, Any], prefix: Path_ = ()) -> Iterator[tuple[Path_, str]]:
    for key, value in values.items():
        path = (*prefix, str(key))
        if isinstance(value, Mapping):
            yield from version_paths(value, path)
        elif key in VERSION_KEYS and isinstance(value, str) and VERSION.fullmatch(value):
            yield path, value


def version_key(version: str) -> tuple[Any, ...]:
    """Order of versions: numbers compare as numbers; a pre-release comes before its release."""
    match = VERSION.fullmatch(version)
    numbers = tuple(int(n) for n in re.findall(r"\d+", version.split("-")[0].split("+")[0]))
    return (numbers, 0 if match and match.group(2) and match.group(2)[0] == "-" else 1, version)


def _set_by(layers: Sequence[Layer], path: Path_, fallback: Origin) -> Origin:
    """The position of the last layer that wrote path (or a mapping holding it)."""
    for layer in reversed(layers):
        for cut in range(len(path), 0, -1):
            if path[:cut] in layer.origins:
                origin: Origin = layer.origins[path[:cut]]
                return origin
    return fallback


def _layers(catalog: Catalog, holder: Environment | Cluster, operator: Operator) -> list[Layer]:
    """The layers that reach the operator's templates: a Helm chart sees only its own block."""
    layers = value_layers(catalog, holder, operator)
    return split_layers(layers)[1] if helm_scoped(catalog, operator) else layers


def environment_pins(
    catalog: Catalog, environment: Environment, operator: Operator
) -> dict[Path_, Pinned]:
    """The versions an environment gives an operator before any cluster changes them."""
    layers = _layers(catalog, environment, operator)
    values: dict[str, Any] = {}
    for layer in layers:
        values = deep_merge(values, layer.values)
    return {
        path: Pinned(operator.name, path, value, _set_by(layers, path, operator.origin))
        for path, value in version_paths(values)
    }


def unit_pins(catalog: Catalog, unit: RenderUnit) -> dict[Path_, Pinned]:
    """The versions one cluster's unit runs, with the layer that set each."""
    operator = next(o for o in catalog.operators if o.name == unit.name)
    layers = _layers(catalog, unit.cluster, operator)
    return {
        path: Pinned(unit.name, path, value, _set_by(layers, path, operator.origin))
        for path, value in version_paths(unit.values)
    }


def image_tags(files: Sequence[RenderedFile]) -> dict[tuple[str, str], dict[str, str]]:
    """(cluster, operator dirname) → image name → tag, from the rendered files."""
    images: dict[tuple[str, str], dict[str, str]] = {}
    for f in files:
        if len(f.relpath.parts) < 3 or f.relpath.parts[1] in ("tenants", "gitops"):
            continue
        for image in IMAGE.findall(f.text):
            name, _, tag = (
                image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
            )
            name = name.split("@")[0]
            images.setdefault((f.relpath.parts[0], f.relpath.parts[1]), {})[name] = tag
    return images


@dataclass(frozen=True, slots=True)
class Row:
    """One line of `generator versions`: a pinned value or an image, per environment."""

    operator: str
    kind: str  # "value" (a pinned version in the catalog) or "image" (a rendered tag)
    name: str  # "gateway.version", or the image name
    environments: Mapping[str, str]  # environment → its value ("" where it does not run)
    # environment → cluster → value, for clusters whose value differs from their environment's
    clusters: Mapping[str, Mapping[str, str]]
    pending: tuple[str, ...]  # "staging → prod" where consecutive environments differ


def versions_table(
    catalog: Catalog, units: Sequence[RenderUnit], files: Sequence[RenderedFile]
) -> list[Row]:
    environments = sorted(catalog.environments, key=lambda e: e.order)
    operators = sorted(catalog.operators, key=lambda o: (o.order, o.name))
    running = [u for u in units if u.kind == "operator"]
    images = image_tags(files)
    rows: list[Row] = []
    for operator in operators:
        mine = [u for u in running if u.name == operator.name]
        by_env = {e.name: environment_pins(catalog, e, operator) for e in environments}
        per_cluster = {u.cluster.name: unit_pins(catalog, u) for u in mine}
        paths = sorted({p for pins in (*by_env.values(), *per_cluster.values()) for p in pins})
        for path in paths:
            env_values = {  # blank where no cluster of the environment runs the operator
                e.name: by_env[e.name][path].value
                if path in by_env[e.name] and any(u.cluster.environment == e.name for u in mine)
                else ""
                for e in environments
            }
            clusters: dict[str, dict[str, str]] = {}
            for u in mine:
                pin = per_cluster[u.cluster.name].get(path)
                if pin and pin.value != env_values.get(u.cluster.environment):
                    clusters.setdefault(u.cluster.environment, {})[u.cluster.name] = pin.value
            rows.append(
                Row(
                    operator.name,
                    "value",
                    ".".join(path),
                    env_values,
                    clusters,
                    _pending(env_values),
                )
            )
        tags: dict[str, dict[str, str]] = {}  # image → cluster → tag
        for u in mine:
            for image, tag in images.get((u.cluster.name, u.dirname), {}).items():
                tags.setdefault(image, {})[u.cluster.name] = tag
        for image, by_cluster in sorted(tags.items()):
            env_values = {
                e.name: ", ".join(
                    sorted({t for c, t in by_cluster.items() if _env_of(catalog, c) == e.name})
                )
                for e in environments
            }
            rows.append(Row(operator.name, "image", image, env_values, {}, _pending(env_values)))
    return rows


def _env_of(catalog: Catalog, cluster: str) -> str:
    return next(c.environment for c in catalog.clusters if c.name == cluster)


def _pending(env_values: Mapping[str, str]) -> tuple[str, ...]:
    """Consecutive environments (both running the operator) whose values differ."""
    names = [e for e, v in env_values.items() if v]
    return tuple(
        f"{a} → {b}" for a, b in itertools.pairwise(names) if env_values[a] != env_values[b]
    )


def strict_violations(catalog: Catalog, units: Sequence[RenderUnit]) -> list[GeneratorError]:
    """promotion.strict: a cluster may run a version only when the environment before its own
    (the nearest earlier one that runs the operator) runs it, or a newer one."""
    if not catalog.platform.strict_promotion:
        return []
    order = {e.name: e.order for e in catalog.environments}
    problems: dict[tuple[str, str, str], GeneratorError] = {}
    pins: dict[str, dict[str, list[Pinned]]] = {}  # operator → environment → pins of its units
    for unit in units:
        if unit.kind == "operator":
            env = pins.setdefault(unit.name, {}).setdefault(unit.cluster.environment, [])
            env.extend(unit_pins(catalog, unit).values())
    for operator, by_env in sorted(pins.items()):
        stages = sorted(by_env, key=lambda e: order[e])
        for before, stage in itertools.pairwise(stages):
            for pin in by_env[stage]:
                earlier = {p.value for p in by_env[before] if p.path == pin.path}
                if not earlier or pin.value in earlier:
                    continue
                if version_key(pin.value) < max(version_key(v) for v in earlier):
                    continue
                dotted = ".".join(pin.path)
                problems.setdefault(
                    (str(pin.origin), dotted, pin.value),
                    GeneratorError(
                        f"{dotted} of operator '{operator}': {stage} runs '{pin.value}', which "
                        f"{before} has not run ({before} runs "
                        f"{', '.join(sorted(earlier, key=version_key))})",
                        pin.origin,
                        f"promote it through {before} first (generator promote {operator} --to "
                        f"{before}), or set promotion.strict: false in catalog/platform.yaml",
                    ),
                )
    return sorted(problems.values(), key=lambda e: e.origin.sort_key if e.origin else ("", 0, 0))
