"""Engine registry: a component folder → the engine that renders a RenderUnit into [Manifest]."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path, PurePosixPath
from typing import Literal

from generator.model import Manifest, Rendered, RenderUnit

# render(unit, repo) -> manifests. Each engine module is imported only when a component uses it,
# so `render --check` on a plain/jinja catalog never pays for Helm or Jsonnet start-up.
Render = Callable[[RenderUnit, Path], list[Manifest]]
# rendered(unit, repo) -> the manifests and the files the engine read, for the render cache.
RenderWithReads = Callable[[RenderUnit, Path], Rendered]

ENGINE_MODULES = {
    "plain": "generator.engines.plain",
    "jinja": "generator.engines.jinja",
    "jsonnet": "generator.engines.jsonnet",
    "helm": "generator.engines.helm",
}


EngineName = Literal["plain", "jinja", "jsonnet", "helm"]


def detect_engine(folder: Path) -> EngineName:
    """Chart.yaml → helm, main.jsonnet → jsonnet, any *.yaml.j2 → jinja, otherwise plain."""
    if (folder / "Chart.yaml").is_file():
        return "helm"
    if (folder / "main.jsonnet").is_file():
        return "jsonnet"
    if any(folder.rglob("*.j2")):
        return "jinja"
    return "plain"


def engine_for_files(paths: Iterable[PurePosixPath]) -> EngineName:
    """detect_engine for a folder known by its files' paths relative to it (a folder at a git
    revision, say); the same rules in the same order."""
    listed = list(paths)
    if PurePosixPath("Chart.yaml") in listed:
        return "helm"
    if PurePosixPath("main.jsonnet") in listed:
        return "jsonnet"
    if any(p.name.endswith(".j2") for p in listed):
        return "jinja"
    return "plain"


def engine(name: str) -> Render:
    render: Render = importlib.import_module(ENGINE_MODULES[name]).render
    return render


def render_unit(unit: RenderUnit, repo: Path) -> Rendered:
    """The unit's manifests from its component's engine, with what the engine read."""
    module = importlib.import_module(ENGINE_MODULES[unit.component.engine])
    rendered: RenderWithReads = module.rendered
    return rendered(unit, repo)


def render_together(units: Sequence[RenderUnit], repo: Path) -> dict[str, Rendered]:
    """What render_unit gives for some of `units` (by dirname), had more cheaply together:
    the units of a component we ship share one Jsonnet evaluation (jsonnet.rendered_together).
    The others are left to render_unit."""
    from generator.engines.jsonnet import rendered_together

    return rendered_together([u for u in units if u.component.engine == "jsonnet"], repo)
