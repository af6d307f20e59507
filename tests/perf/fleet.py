"""Write a synthetic fleet in the catalog's own format for benchmarks: N clusters over three
environments and three providers (half Argo CD, half Flux), 20 operators spread over the four
engines (plain, Jinja, Jsonnet, Helm) and 20 tenants, with environment and cluster overlays."""

from __future__ import annotations

import argparse
from pathlib import Path

ENVIRONMENTS = ("dev", "staging", "prod")
PROVIDERS = ("aws", "linode", "onprem")
ENGINES = ("plain", "jinja", "jsonnet", "helm")
OPERATORS = 20
TENANTS = 20
WORKLOADS = 4  # Deployment + Service + ConfigMap per workload, plus one ServiceAccount

PLATFORM = """\
name: fleet
domain: fleet.example
gitops: {repoURL: https://git.fleet.example/platform/fleet.git, revision: main}
storageClasses:
  aws: {fast: io2, standard: gp3, bulk: sc1}
  linode: {fast: block-retain, standard: block, bulk: block}
  onprem: {fast: ceph-ssd, standard: ceph, bulk: cephfs}
ingressClasses: {aws: alb, linode: nginx, onprem: nginx}
values:
  registry: registry.fleet.example
  replicas: 1
  logLevel: info
  resources:
    requests: {cpu: 50m, memory: 64Mi}
    limits: {cpu: 200m, memory: 128Mi}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app: {name}}}
spec:
  replicas: {replicas}
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      serviceAccountName: {operator}
      securityContext: {{runAsNonRoot: true, runAsUser: 10001}}
      containers:
        - name: main
          image: {image}
          args: [--log-level={log_level}, --cluster={cluster}]
          ports: [{{containerPort: 8080, name: http}}]
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
            limits: {{cpu: 200m, memory: 128Mi}}
---
apiVersion: v1
kind: Service
metadata:
  name: {name}
spec:
  selector: {{app: {name}}}
  ports: [{{port: 80, targetPort: http, name: http}}]
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-settings
data:
  cluster: {cluster}
  mode: "on"
  endpoint: {name}.{operator}.svc:80
"""

SERVICE_ACCOUNT = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {operator}\n"

JSONNET_LIB = """\
{
  deployment(name, operator, image, replicas, logLevel, cluster):: {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: name, labels: { app: name } },
    spec: {
      replicas: replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          serviceAccountName: operator,
          securityContext: { runAsNonRoot: true, runAsUser: 10001 },
          containers: [{
            name: 'main', image: image,
            args: ['--log-level=' + logLevel, '--cluster=' + cluster],
            ports: [{ containerPort: 8080, name: 'http' }],
            resources: {
              requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' },
            },
          }],
        },
      },
    },
  },
  service(name):: {
    apiVersion: 'v1', kind: 'Service', metadata: { name: name },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 'http', name: 'http' }] },
  },
  configMap(name, operator, cluster):: {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: name + '-settings' },
    data: { cluster: cluster, mode: 'on', endpoint: '%s.%s.svc:80' % [name, operator] },
  },
}
"""


def _fields(operator: str, index: int, engine: str) -> dict[str, str]:
    """Placeholders of DEPLOYMENT per engine: the plain engine cannot vary by cluster."""
    name = f"{operator}-w{index}"
    image = f"registry.fleet.example/{operator}:1.{index}.0"
    if engine == "plain":
        return dict(
            name=name, operator=operator, image=image, replicas="1", log_level="info",
            cluster="any",
        )  # fmt: skip
    if engine == "jinja":
        return dict(
            name=name, operator=operator, image=image, replicas="{{ values.replicas }}",
            log_level="{{ values.logLevel }}", cluster="{{ cluster.name }}",
        )  # fmt: skip
    return dict(
        name=name, operator=operator, image=image, replicas="{{ .Values.replicas }}",
        log_level="{{ .Values.logLevel }}", cluster="{{ .Values.clusterName }}",
    )  # fmt: skip


def _component(operator: str, engine: str) -> dict[str, str]:
    folder = f"charts/{operator}"
    if engine == "jsonnet":
        objects = ",\n".join(
            f"  l.deployment('{operator}-w{i}', '{operator}', "
            f"'registry.fleet.example/{operator}:1.{i}.0', values.replicas, values.logLevel, "
            f"cluster.name),\n  l.service('{operator}-w{i}'),\n"
            f"  l.configMap('{operator}-w{i}', '{operator}', cluster.name)"
            for i in range(WORKLOADS)
        )
        return {
            f"{folder}/main.jsonnet": (
                "local l = import 'fleet.libsonnet';\n\nfunction(cluster, values) [\n"
                f"  {{apiVersion: 'v1', kind: 'ServiceAccount', metadata: {{name: '{operator}'}}}},\n"
                f"{objects}\n]\n"
            )
        }
    files: dict[str, str] = {}
    sub = "templates/" if engine == "helm" else ""
    suffix = ".yaml.j2" if engine == "jinja" else ".yaml"
    files[f"{folder}/{sub}serviceaccount{suffix}"] = SERVICE_ACCOUNT.format(operator=operator)
    for i in range(WORKLOADS):
        files[f"{folder}/{sub}workload-{i}{suffix}"] = DEPLOYMENT.format(
            **_fields(operator, i, engine)
        )
    if engine == "helm":
        files[f"{folder}/Chart.yaml"] = (
            f"apiVersion: v2\nname: {operator}\nversion: 0.1.0\ntype: application\n"
        )
        files[f"{folder}/values.yaml"] = "replicas: 1\nlogLevel: info\nclusterName: unknown\n"
    return files


def fleet_files(clusters: int) -> dict[str, str]:
    """Every file of the fleet's repository, by repo-relative path."""
    files = {
        "catalog/platform.yaml": PLATFORM,
        "charts/lib/fleet.libsonnet": JSONNET_LIB,
    }
    for order, environment in enumerate(ENVIRONMENTS, start=1):
        replicas = {"dev": 1, "staging": 2, "prod": 3}[environment]
        files[f"catalog/environments/{environment}.yaml"] = (
            f"name: {environment}\norder: {order * 10}\nvalues:\n  replicas: {replicas}\n"
        )
        files[f"overlays/environments/{environment}/kustomization.yaml"] = (
            f"commonAnnotations: {{fleet.example/environment: {environment}}}\n"
        )
    for c in range(clusters):
        name = f"cl-{c:03d}"
        files[f"catalog/clusters/{name}.yaml"] = (
            f"name: {name}\nenvironment: {ENVIRONMENTS[c % 3]}\n"
            f"provider: {PROVIDERS[(c // 3) % 3]}\nkubernetesVersion: 1.31.0\n"
            f"apiServer: https://{name}.fleet.example:6443\n"
            f"gitops: {'argocd' if c % 2 == 0 else 'flux'}\n"
            f"values:\n  clusterName: {name}\n"
        )
        if c % 5 == 0:
            files[f"overlays/clusters/{name}/kustomization.yaml"] = (
                "commonAnnotations: {fleet.example/canary: 'true'}\n"
            )
    for o in range(OPERATORS):
        operator = f"op-{o:02d}"
        engine = ENGINES[o % len(ENGINES)]
        files[f"catalog/operators/{(o + 1) * 10:03d}-{operator}.yaml"] = (
            f"namespace: {operator}\nvalues:\n  component: {operator}\n  replicas: 1\n"
        )
        files.update(_component(operator, engine))
    for t in range(TENANTS):
        tenant = f"team-{t:02d}"
        files[f"catalog/tenants/{tenant}.yaml"] = (
            f"name: {tenant}\nowners: [{tenant}-admins]\nreaders: [auditors]\n"
            f"quotas: {{cpu: '4', memory: 8Gi, pods: 40, storage: 50Gi}}\n"
            f"storage: {('fast', 'standard', 'bulk')[t % 3]}\n"
        )
    return files


def write_fleet(root: Path, clusters: int) -> None:
    for rel, text in fleet_files(clusters).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("root", type=Path)
    parser.add_argument("--clusters", type=int, default=10)
    args = parser.parse_args()
    write_fleet(args.root, args.clusters)
