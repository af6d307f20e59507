// external-dns: publishes the records of Gateways, Ingresses and Services into the
// environment's zone. The DNS provider and its credentials follow the cluster's provider.
local k = import 'k8s.libsonnet';

function(cluster, component, values)
  local ns = component.namespace;
  local name = 'external-dns';
  local dns = values.externalDns;
  assert std.objectHas(dns.providers, cluster.provider) :
         "external-dns has no DNS provider for cluster provider '%s'; add values.externalDns.providers.%s"
         % [cluster.provider, cluster.provider];
  local provider = dns.providers[cluster.provider];
  local credentials = std.get(provider, 'credentials', null);
  // On AWS the pod assumes an IAM role through its service account (IRSA); region and account
  // come from the cluster's values.aws.
  local irsa = std.get(provider, 'irsa', false);
  local env = std.get(provider, 'env', {}) + (if irsa then { AWS_DEFAULT_REGION: values.aws.region } else {});
  local saAnnotations = if irsa then {
    'eks.amazonaws.com/role-arn': 'arn:aws:iam::%s:role/%s-external-dns' % [values.aws.accountId, cluster.name],
  } else {};

  {
    serviceAccount: k.serviceAccount(name, ns, annotations=saAnnotations),
    clusterRole: k.clusterRole(name, [
      k.rule([''], ['services', 'endpoints', 'pods', 'nodes'], ['get', 'list', 'watch']),
      k.rule(['networking.k8s.io'], ['ingresses'], ['get', 'list', 'watch']),
      k.rule(['gateway.networking.k8s.io'], ['gateways', 'httproutes', 'grpcroutes'], ['get', 'list', 'watch']),
      k.rule([''], ['namespaces'], ['get', 'list', 'watch']),
    ]),
    clusterRoleBinding: k.clusterRoleBinding(name, name, [k.serviceAccountSubject(name, ns)]),
    // Provider credentials come from the secret store, never from Git.
    credentials: if credentials != null then
      k.externalSecret('%s-credentials' % name, 'external-dns', credentials, ns),
    deployment: k.deployment(
      name,
      [k.container(
        name,
        '%s/external-dns/external-dns:%s' % [values.registry, dns.version],
        args=[
          '--provider=' + provider.name,
          '--domain-filter=' + values.dns.zone,
          '--txt-owner-id=' + cluster.name,
          '--txt-prefix=%s.' % dns.txtPrefix,
          '--policy=' + dns.policy,
          '--registry=txt',
          '--interval=' + dns.interval,
          '--log-level=' + values.logLevel,
        ] + ['--source=' + s for s in dns.sources] + std.get(provider, 'args', []),
        env=k.env(env)
            + [k.envFromSecret(key, '%s-credentials' % name, key) for key in std.objectFields(if credentials != null then credentials else {})],
        ports={ http: 7979 },
        resources=k.resources('50m', '64Mi'),
        probePort='http',
      )],
      namespace=ns,
      serviceAccount=name,
    ),
  }
