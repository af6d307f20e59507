"""Write a synthetic platform catalog of N clusters x M operators for benchmarks."""

from __future__ import annotations

import argparse
from pathlib import Path

OBJECTS_TEMPLATE = """\
{%- for i in range(values.objects) %}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-{{ i }}
  labels: {app: app-{{ i }}, tier: {{ values.tier }}}
spec:
  replicas: {{ values.replicas }}
  selector:
    matchLabels: {app: app-{{ i }}}
  template:
    metadata:
      labels: {app: app-{{ i }}}
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{{ values.version }}
          args: ["--port=8080", "--zone={{ values.dns.zone }}"]
          ports: [{containerPort: 8080, name: http}]
          resources: {requests: {cpu: 10m, memory: 32Mi}, limits: {cpu: 100m, memory: 64Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: app-{{ i }}
spec:
  selector: {app: app-{{ i }}}
  ports: [{port: 80, targetPort: http, name: http}]
{%- endfor %}
"""


def write_catalog(root: Path, clusters: int, operators: int, objects_per_operator: int) -> int:
    """Returns the number of objects a render produces."""
    files = {
        "catalog/platform.yaml": (
            "name: synthetic\ndomain: synthetic.example\n"
            "gitops: {repoURL: https://git.synthetic.example/fleet.git}\n"
            "storageClasses:\n  kind: {fast: a, standard: b, bulk: c}\n"
            "values: {replicas: 1, version: v1.0.0, tier: backend}\n"
        ),
        "catalog/environments/dev.yaml": "name: dev\norder: 1\n",
        "charts/workload/objects.yaml.j2": OBJECTS_TEMPLATE,
    }
    per_template = 2  # a Deployment and a Service per loop turn
    loops = max(1, objects_per_operator // per_template)
    for c in range(clusters):
        files[f"catalog/clusters/cluster-{c:03d}.yaml"] = (
            f"name: cluster-{c:03d}\nenvironment: dev\nprovider: kind\nkubernetesVersion: 1.31.0\n"
            f"apiServer: https://cluster-{c:03d}.example:6443\ngitops: argocd\n"
        )
    for o in range(operators):
        files[f"catalog/operators/{(o + 1) * 10:03d}-op-{o:03d}.yaml"] = (
            f"namespace: op-{o:03d}\nsource: workload\nvalues:\n  objects: {loops}\n"
        )
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return clusters * operators * loops * per_template


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--operators", type=int, default=10)
    parser.add_argument("--objects", type=int, default=50, help="objects per operator")
    args = parser.parse_args()
    print(write_catalog(args.root, args.clusters, args.operators, args.objects), "objects")
