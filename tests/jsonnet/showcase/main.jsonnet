// Every constructor of the shipped k8s.libsonnet and the tenant library, once: rendered by
// both Jsonnet engines in tests/test_jsonnet_libraries.py, which require identical output.
local k = import 'k8s.libsonnet';
local tenantLib = import 'tenant/tenant.libsonnet';

function(cluster, environment, values)
  local ns = 'showcase';
  local config = k.configMap('web-config', {
    'app.yaml': std.manifestYamlDoc({ listen: ':8080', zone: values.dns.zone }),
    'features.json': { beta: true, ratio: 0.1 },
    'flags.yaml': k.toYaml({ enabled: ['on', 'yes'], threshold: 0.25, nested: { b: 1, a: null } }),
  }, ns);
  local web = k.container('web', 'registry.acme.example/web:1.4.2',
                          args=['--config=/etc/web/app.yaml'],
                          env={ LOG_LEVEL: values.logLevel, WORKERS: 4 } ,
                          ports={ http: 8080, metrics: 9090 },
                          resources=k.resources('250m', '256Mi', cpuLimit='1', memoryLimit='512Mi'),
                          volumeMounts=[{ name: 'config', mountPath: '/etc/web' }],
                          probePort='http');
  local parsed = k.parseYaml('replicas: 3\nregions: [eu-west-1, eu-central-1]\n');
  {
    namespace: k.namespace(ns, labels=k.labels('showcase'), podSecurity='restricted'),
    config: config,
    secret: k.externalSecret('web-db', 'web', { password: 'postgres:password', url: 'postgres/url' }, ns),
    serviceAccount: k.serviceAccount('web', ns, annotations={ 'example.com/owner': 'web' }, automount=false),
    deployment: k.deployment('web', [web + { env+: [k.envFromSecret('DB_PASSWORD', 'web-db', 'password')] }],
                             replicas=parsed.replicas, namespace=ns, serviceAccount='web',
                             podAnnotations=k.checksumAnnotations({ config: config, inline: { a: [1, 2] } }),
                             volumes=[{ name: 'config', configMap: { name: 'web-config' } }]),
    statefulSet: k.statefulSet('db', [k.container('postgres', 'postgres:16.4', ports={ pg: 5432 })],
                               namespace=ns, volumeClaims={ data: '10Gi' }, storageClass=values.storageClasses.fast),
    daemonSet: k.daemonSet('agent', [k.container('agent', 'registry.acme.example/agent:0.9.0', securityContext={})],
                           namespace=ns, podSpec={ tolerations: [{ operator: 'Exists' }] }),
    cronJob: k.cronJob('backup', '17 3 * * *', [k.container('backup', 'registry.acme.example/backup:2.0.1')], ns),
    service: k.service('web', { http: 80, metrics: { port: 9090, targetPort: 'metrics' } }, ns),
    headless: k.service('db', { pg: 5432 }, ns, headless=true),
    role: k.role('web', [k.rule([''], ['configmaps'], ['get', 'watch'], ['web-config'])], ns),
    roleBinding: k.roleBinding('web', 'web', [k.serviceAccountSubject('web', ns), k.user('alice@acme.example')], ns),
    clusterRole: k.clusterRole('showcase-read', [k.rule(['apps'], ['deployments'], ['get', 'list'])]),
    clusterRoleBinding: k.clusterRoleBinding('showcase-read', 'showcase-read', [k.group('sre')]),
    policies: [
      k.networkPolicies.denyAll(ns),
      k.networkPolicies.allowDNS(ns),
      k.networkPolicies.allowSameNamespace(ns),
      k.networkPolicies.allowIngressFromNamespace('from-gateway', 'gateway-system', [8080], ns),
      k.networkPolicies.allowEgressTo('to-db', 'data', { app: 'postgres' }, ['TCP/5432', { port: 6432 }], ns),
      k.networkPolicy('custom', k.selector('web'), ingress=[{ from: [k.peerPods({ role: 'client' })] }], namespace=ns),
    ],
    quota: k.resourceQuota('quota', { 'requests.cpu': '2', pods: 20 }, ns),
    limits: k.limitRange('limits', { cpu: '1' }, { cpu: '100m' }, namespace=ns),
    pdb: k.podDisruptionBudget('web', minAvailable=1, namespace=ns),
    pdbMax: k.podDisruptionBudget('db', maxUnavailable='50%', namespace=ns),
    hpa: k.horizontalPodAutoscaler('web', 2, 10, 70, namespace=ns),
    ingress: k.ingress('web', 'web.' + values.dns.zone, 'web', 'http', values.ingressClass, 'web-tls', namespace=ns),
    gatewayClass: k.gatewayClass('showcase', 'example.com/gateway-controller'),
    gateway: k.gateway('showcase', 'showcase', [{ name: 'http', port: 80, protocol: 'HTTP' }], ns),
    route: k.httpRoute('web', ['web.' + values.dns.zone], { name: 'platform', namespace: 'gateway-system' },
                       { web: 80 }, namespace=ns, sectionName='https'),
    certificate: k.certificate('web', ['web.' + values.dns.zone], values.issuer, namespace=ns, duration='2160h'),
    crd: k.customResourceDefinition('example.com', 'Widget', 'widgets', {
      required: ['spec'],
      properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
    }, shortNames=['wd']),
    versionGated: if k.versionAtLeast(cluster.kubernetesVersion, '1.30.0') then
      k.configMap('modern', { since: '1.30', env: environment.name, hash: k.sha256(cluster.name) }, ns),
    tenant: tenantLib.new({
      name: 'demo',
      namespace: 'ns-demo',
      owners: ['team-demo'],
      readers: ['auditors'],
      quotas: { cpu: '3', pods: 30 },
      exposure: { exposed: true, hosts: ['demo.' + values.dns.zone] },
      storage: 'fast',
      storageClass: values.storageClasses.fast,
      podSecurity: 'baseline',
      allow: [{ service: 'prometheus', namespace: 'observability', ports: [9090] }],
      labels: { team: 'demo' },
    }, values),
  }
