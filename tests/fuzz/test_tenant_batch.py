"""The builtin tenant component evaluated for all of a cluster's tenants at once must give each
tenant exactly what evaluating it alone gives, whatever text its catalog entry holds: the batch
embeds every tenant's context in one Jsonnet snippet, so quoting is where it could go wrong."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from generator.catalog import load_catalog
from generator.engines import jsonnet
from generator.errors import GeneratorError
from generator.merge import resolve_units
from generator.model import RenderUnit
from tests.conftest import EXAMPLE
from tests.fuzz.test_render_properties import NASTY, piece, value

# what would break out of a string or a snippet if it were pasted rather than encoded
ESCAPES = ['"', "\\", "'", "|||", "\n|||\n", "]", "}", "main(", "\ud83d\ude00", "\U0001f600"]
text = st.one_of(piece, st.sampled_from(ESCAPES + NASTY))


@functools.cache
def cluster_tenants() -> tuple[RenderUnit, ...]:
    units = [u for u in resolve_units(load_catalog(EXAMPLE)) if u.kind == "tenant"]
    cluster = units[0].cluster.name
    return tuple(u for u in units if u.cluster.name == cluster)


@st.composite
def tenant_context(draw: st.DrawFn, unit: RenderUnit) -> RenderUnit:
    tenant = dict(unit.context["tenant"])
    tenant["owners"] = draw(st.lists(text, min_size=1, max_size=3))
    tenant["readers"] = draw(st.lists(text, max_size=2))
    tenant["labels"] = draw(st.dictionaries(text, text, max_size=3))
    values = {**unit.context["values"], draw(text): draw(value)}
    return dataclasses.replace(unit, context={**unit.context, "tenant": tenant, "values": values})


def alone(unit: RenderUnit) -> Any:
    try:
        rendered = jsonnet.rendered(unit, EXAMPLE)
    except GeneratorError as e:
        return str(e)
    return [(m.body, m.origin) for m in rendered.manifests], rendered.reads


@given(st.data())
def test_tenants_together_equal_tenants_alone(data: st.DataObject) -> None:
    units = [data.draw(tenant_context(u)) for u in cluster_tenants()]
    together = jsonnet.rendered_together(units, EXAMPLE)
    for unit in units:
        if unit.dirname not in together:  # left out: it is evaluated alone, as below
            continue
        mine = together[unit.dirname]
        assert ([(m.body, m.origin) for m in mine.manifests], mine.reads) == alone(unit)
    # a batch only ever leaves units out when one of them fails alone too
    if len(together) < len(units):
        assert any(isinstance(alone(u), str) for u in units)
