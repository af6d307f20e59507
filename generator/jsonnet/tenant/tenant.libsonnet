// Everything a tenant namespace needs on one cluster, as an object of named objects so a
// platform team can extend or override any part (see docs/tenants.md):
//
//   local tenant = import 'tenant/tenant.libsonnet';
//   function(tenant, values) tenant.new(tenant, values) + { quota+: { spec+: { hard+: { pods: '20' } } } }
//
// Only the Namespace is cluster-scoped; everything else lives in the tenant namespace.
local k = import '../k8s.libsonnet';

{
  // Used when neither values.tenantDefaults nor the tenant's catalog entry sets a figure.
  defaults:: {
    quotas: { cpu: '2', memory: '4Gi', pods: 50, storage: '20Gi', persistentVolumeClaims: 10 },
    limitRange: {
      default: { cpu: '500m', memory: '512Mi' },
      defaultRequest: { cpu: '100m', memory: '128Mi' },
      max: { cpu: '2', memory: '4Gi' },
    },
  },

  local get(obj, key, default) = if obj != null && std.objectHas(obj, key) && obj[key] != null then obj[key] else default,

  // tenant: the tenant context (name, namespace, owners, readers, quotas, exposure, storage,
  // storageClass, podSecurity, allow, labels); values: the tenant unit's merged values.
  new(tenant, values={}):: {
    local ns = tenant.namespace,
    local defaults = get(values, 'tenantDefaults', {}),
    local quotas = $.defaults.quotas + get(defaults, 'quotas', {}) + get(tenant, 'quotas', {}),
    local limits = $.defaults.limitRange + get(defaults, 'limits', {}),
    local exposed = get(get(tenant, 'exposure', {}), 'exposed', false),
    // The shared gateway's namespace: required (and checked against the cluster's operators by
    // the catalog) when the tenant is exposed; see docs/tenants.md.
    local gatewayNamespace = get(get(values, 'gateway', {}), 'namespace', null),
    local podSecurity = get(tenant, 'podSecurity', 'restricted'),
    local storageClass = get(tenant, 'storageClass', null),
    local otherClasses = std.set([
      c
      for c in std.objectValues(get(values, 'storageClasses', {}))
      if c != storageClass
    ]),
    local labels = get(tenant, 'labels', {}) + { 'platform.generator/tenant': tenant.name },

    namespace: k.namespace(ns, labels=labels + (if exposed then { 'platform.generator/exposed': 'true' } else {}),
                           podSecurity=podSecurity),

    quota: k.resourceQuota('tenant-quota', {
      'requests.cpu': quotas.cpu,
      'limits.cpu': quotas.cpu,
      'requests.memory': quotas.memory,
      'limits.memory': quotas.memory,
      pods: quotas.pods,
      'requests.storage': quotas.storage,
      persistentvolumeclaims: quotas.persistentVolumeClaims,
      // Tenants reach the outside through the shared gateway, never their own load balancers.
      'services.loadbalancers': 0,
      'services.nodeports': 0,
    } + {
      // Storage classes other than the tenant's are closed by a zero quota.
      [c + '.storageclass.storage.k8s.io/requests.storage']: 0
      for c in otherClasses
    }, ns),

    limitRange: k.limitRange('tenant-limits', limits.default, limits.defaultRequest, limits.max, ns),

    owners: if std.length(tenant.owners) > 0 then
      k.roleBinding('tenant-owners', 'admin', [k.group(g) for g in tenant.owners], ns, 'ClusterRole'),
    readers: if std.length(get(tenant, 'readers', [])) > 0 then
      k.roleBinding('tenant-readers', 'view', [k.group(g) for g in tenant.readers], ns, 'ClusterRole'),
    deployer: k.serviceAccount('deployer', ns),
    deployerBinding: k.roleBinding('deployer', 'edit', [k.serviceAccountSubject('deployer', ns)], ns, 'ClusterRole'),

    // What the tenant's own manifests need to know about this cluster.
    platformInfo: k.configMap('platform-info', {
      storageClass: if storageClass != null then storageClass else '',
      dnsZone: get(get(values, 'dns', {}), 'zone', ''),
      hosts: std.join(',', get(get(tenant, 'exposure', {}), 'hosts', [])),
      gatewayNamespace: if gatewayNamespace != null then gatewayNamespace else '',
    }, ns),

    networkPolicies: {
      denyAll: k.networkPolicies.denyAll(ns),
      dns: k.networkPolicies.allowDNS(ns),
      sameNamespace: k.networkPolicies.allowSameNamespace(ns),
      gateway: if exposed then
        if gatewayNamespace == null then
          error 'tenant %s is exposed but values.gateway.namespace is not set: set it to the namespace of the operator that runs the shared gateway' % tenant.name
        else
          k.networkPolicies.allowIngressFromNamespace('allow-from-gateway', gatewayNamespace, namespace=ns),
      allow: [
        k.networkPolicies.allowEgressTo(
          'allow-to-%s-%s' % [a.namespace, a.service],
          a.namespace,
          { 'app.kubernetes.io/name': a.service },
          get(a, 'ports', []),
          ns,
        )
        for a in get(tenant, 'allow', [])
      ],
    },
  },
}
