"""Live-cluster operations: kubeconfig → kr8s session → bootstrap, drift and CRD schema pull.

Every module here imports kr8s lazily, so commands that never talk to a cluster start fast.
"""

from __future__ import annotations

from generator.labels import MANAGED_BY, MANAGED_BY_LABEL

# Server-side apply field manager and the label every rendered object carries.
FIELD_MANAGER = MANAGED_BY
MANAGED_BY_VALUE = MANAGED_BY
__all__ = ["FIELD_MANAGER", "MANAGED_BY_LABEL", "MANAGED_BY_VALUE"]
