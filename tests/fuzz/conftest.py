"""Hypothesis profiles: `default` is the bounded run of `make test` (under a minute in all),
`fuzz` the long one of `make fuzz`; pick one with --hypothesis-profile or HYPOTHESIS_PROFILE."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

COMMON = settings(
    deadline=None,  # one render takes 0.1-1 s, more on a loaded machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,  # no .hypothesis/ folder in the checkout
)
# derandomize: the bounded run explores the same cases on every machine, so `make test` is
# reproducible; `make fuzz` searches afresh each time.
settings.register_profile("default", COMMON, max_examples=15, derandomize=True)
settings.register_profile("fuzz", COMMON, max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
