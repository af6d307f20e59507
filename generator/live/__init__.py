"""Live-cluster operations: kubeconfig → kr8s session → bootstrap, drift and CRD schema pull.

Every module here imports kr8s lazily, so commands that never talk to a cluster start fast.
"""

from __future__ import annotations

# Server-side apply field manager and the label every rendered object carries.
FIELD_MANAGER = "platform-generator"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY_VALUE = "platform-generator"
