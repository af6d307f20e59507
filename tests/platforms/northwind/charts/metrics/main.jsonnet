// A metrics exporter: service account and deployment from the shipped k8s.libsonnet.
local k = import 'k8s.libsonnet';

function(cluster, component, values)
  local ns = component.namespace;
  local exporter = values.exporter;
  {
    serviceAccount: k.serviceAccount('exporter', ns),
    configMap: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'exporter-labels', namespace: ns },
      data: { cluster: cluster.name, environment: cluster.environment },
    },
  }
