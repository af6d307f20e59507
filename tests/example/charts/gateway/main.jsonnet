// The shared gateway: Gateway API CRDs, an Envoy Gateway controller, the platform GatewayClass
// and one Gateway that exposed tenants attach their HTTPRoutes to.
local k = import 'k8s.libsonnet';
local crds = import 'crds.libsonnet';

function(component, values)
  local ns = component.namespace;
  local g = values.gateway;
  local name = 'envoy-gateway';
  local zone = values.dns.zone;
  local config = k.configMap('envoy-gateway-config', {
    'envoy-gateway.yaml': k.toYaml({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'EnvoyGateway',
      gateway: { controllerName: g.controllerName },
      logging: { level: { default: values.logLevel } },
      provider: { type: 'Kubernetes' },
    }),
  }, ns);

  {
    crds: crds,
    serviceAccount: k.serviceAccount(name, ns),
    config: config,
    deployment: k.deployment(
      name,
      [k.container('envoy-gateway', '%s/envoyproxy/gateway:%s' % [values.registry, g.version],
                   args=['server', '--config-path=/config/envoy-gateway.yaml'],
                   env={ ENVOY_GATEWAY_NAMESPACE: ns, KUBERNETES_CLUSTER_DOMAIN: 'cluster.local' },
                   ports={ grpc: 18000, ratelimit: 18001, wasm: 18002, metrics: 19001 },
                   resources=k.resources(g.resources.cpu, g.resources.memory),
                   volumeMounts=[{ name: 'config', mountPath: '/config', readOnly: true }],
                   probePort=8081)],
      replicas=values.replicas,
      namespace=ns,
      serviceAccount=name,
      podAnnotations=k.checksumAnnotations({ config: config }),
      volumes=[{ name: 'config', configMap: { name: config.metadata.name } }],
      podSpec={ priorityClassName: 'platform-critical' },
    ),
    service: k.service(name, { grpc: 18000, ratelimit: 18001, wasm: 18002, metrics: 19001 }, ns),
    disruptionBudget: if values.replicas > 1 then k.podDisruptionBudget(name, minAvailable=1, namespace=ns),

    clusterRole: k.clusterRole(name, [
      k.rule([''], ['namespaces', 'nodes', 'pods', 'services', 'secrets', 'configmaps', 'endpoints'], ['get', 'list', 'watch']),
      k.rule(['discovery.k8s.io'], ['endpointslices'], ['get', 'list', 'watch']),
      k.rule(['gateway.networking.k8s.io'],
             ['gatewayclasses', 'gateways', 'httproutes', 'grpcroutes', 'referencegrants'],
             ['get', 'list', 'watch']),
      k.rule(['gateway.networking.k8s.io'],
             ['gatewayclasses/status', 'gateways/status', 'httproutes/status', 'grpcroutes/status'],
             ['update', 'patch']),
    ]),
    clusterRoleBinding: k.clusterRoleBinding(name, name, [k.serviceAccountSubject(name, ns)]),
    // The controller creates the Envoy proxy Deployments and Services in its own namespace only.
    role: k.role(name, [
      k.rule(['', 'apps'], ['serviceaccounts', 'services', 'configmaps', 'deployments', 'daemonsets'],
             ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
      k.rule(['coordination.k8s.io'], ['leases'], ['get', 'create', 'update']),
      k.rule([''], ['events'], ['create', 'patch']),
    ], ns),
    roleBinding: k.roleBinding(name, name, [k.serviceAccountSubject(name, ns)], ns),

    gatewayClass: k.gatewayClass('platform', g.controllerName, 'Shared gateway of %s' % values.dns.zone),
    certificate: k.certificate('platform-gateway', ['*.' + zone, zone], values.issuer,
                               secretName='platform-gateway-tls', namespace=ns),
    // HTTPS routes attach only from tenant namespaces the catalog marks as exposed; plain HTTP
    // only carries this namespace's redirect.
    local exposedOnly = { namespaces: { from: 'Selector', selector: { matchLabels: { 'platform.generator/exposed': 'true' } } } },
    gateway: k.gateway('platform', 'platform', [
      { name: 'http', port: 80, protocol: 'HTTP', hostname: '*.' + zone, allowedRoutes: { namespaces: { from: 'Same' } } },
      {
        name: 'https',
        port: 443,
        protocol: 'HTTPS',
        hostname: '*.' + zone,
        tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'platform-gateway-tls' }] },
        allowedRoutes: exposedOnly,
      },
    ], ns),
    // Plain HTTP only redirects to HTTPS.
    redirect: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: k.meta('https-redirect', ns),
      spec: {
        parentRefs: [{ name: 'platform', sectionName: 'http' }],
        rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }],
      },
    },
  }
