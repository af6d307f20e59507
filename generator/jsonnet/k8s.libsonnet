// Constructors for everyday Kubernetes objects, shipped with the generator.
//
//   local k = import 'k8s.libsonnet';
//   k.deployment('web', [k.container('web', 'ghcr.io/acme/web:1.4.2', ports={ http: 8080 })])
//
// Every constructor returns a plain object; refine it with `+` (e.g. `+ { spec+: { replicas: 3 } }`).
// Constructors build objects directly instead of layering mixins, which keeps evaluation cheap
// under both Jsonnet engines.
local native(name) = std.native(name);

local nonEmpty(obj) = { [k]: obj[k] for k in std.objectFields(obj) if obj[k] != null && obj[k] != {} && obj[k] != [] };

{
  // ------------------------------------------------------------------ helpers

  // Recommended labels; `component` is optional, `extra` is merged last.
  labels(name, component=null, extra={}):: {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': name,
  } + (if component != null then { 'app.kubernetes.io/component': component } else {}) + extra,

  // The labels a selector matches on: a stable subset of `labels`.
  selector(name):: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': name },

  meta(name, namespace=null, labels={}, annotations={}):: nonEmpty({
    name: name,
    namespace: namespace,
    labels: labels,
    annotations: annotations,
  }),

  // Requests and limits. Memory limit defaults to the request (no overcommit of memory);
  // the CPU limit is left out unless given, to avoid throttling.
  resources(cpu='100m', memory='128Mi', cpuLimit=null, memoryLimit=null):: {
    requests: { cpu: cpu, memory: memory },
    limits: { memory: if memoryLimit != null then memoryLimit else memory }
            + (if cpuLimit != null then { cpu: cpuLimit } else {}),
  },

  // A stable hash of any value (objects are hashed in canonical JSON form). The same under
  // rjsonnet and C++ jsonnet.
  // Objects of strings (ConfigMap data) are hashed without JSON escaping, which is slow in C++.
  checksum(value)::
    if std.isString(value) then native('sha256')(value)
    else if std.isObject(value) && std.all([std.isString(value[f]) for f in std.objectFields(value)]) then
      native('sha256')(std.join('\n', [f + '\u001f' + value[f] for f in std.objectFields(value)]))
    else native('stableHash')(std.manifestJsonMinified(value)),

  // Pod-template annotations that roll a workload when a ConfigMap (or any object) changes:
  // checksumAnnotations({ config: cm }) → { 'checksum/config': '<sha256 of cm.data>' }.
  checksumAnnotations(objects):: {
    ['checksum/' + name]: $.checksum(
      local o = objects[name];
      if std.isObject(o) && std.objectHas(o, 'data') then o.data else o
    )
    for name in std.objectFields(objects)
  },

  sha256(text):: native('sha256')(text),
  // Compact JSON with sorted keys and shortest round-trip numbers. Prefer it to
  // std.manifestJsonMinified for output: C++ jsonnet writes 0.1 as 0.10000000000000001.
  toJson(value):: native('canonicalJson')(std.manifestJsonMinified(value)),
  // Block-style YAML with sorted keys, for configuration files inside ConfigMaps.
  toYaml(value):: native('canonicalYaml')(std.manifestJsonMinified(value)),
  parseYaml(text):: native('parseYaml')(text),
  // -1, 0 or 1; versionAtLeast('1.31.0', '1.29') is true.
  semverCompare(a, b):: native('semverCompare')(a, b),
  versionAtLeast(version, minimum):: native('semverCompare')(version, minimum) >= 0,

  // { NAME: 'value' } → [{ name: 'NAME', value: 'value' }] in name order.
  env(vars):: [{ name: n, value: std.toString(vars[n]) } for n in std.objectFields(vars)],
  // An env var from a key of a Secret (e.g. one written by an ExternalSecret).
  envFromSecret(name, secret, key):: { name: name, valueFrom: { secretKeyRef: { name: secret, key: key } } },

  // Security contexts that satisfy the `restricted` Pod Security Standard.
  restrictedContainerSecurity:: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  },
  restrictedPodSecurity:: {
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  },

  // ports: { http: 8080 } → [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]
  container(name, image, args=[], command=[], env={}, ports={}, resources=$.resources(),
            volumeMounts=[], probePort=null, probePath='/healthz', securityContext=$.restrictedContainerSecurity)::
    nonEmpty({
      name: name,
      image: image,
      command: command,
      args: args,
      env: if std.isArray(env) then env else $.env(env),
      ports: [{ name: p, containerPort: ports[p], protocol: 'TCP' } for p in std.objectFields(ports)],
      resources: resources,
      securityContext: securityContext,
      volumeMounts: volumeMounts,
    }) + (
      if probePort != null then {
        readinessProbe: { httpGet: { path: probePath, port: probePort }, periodSeconds: 10 },
        livenessProbe: { httpGet: { path: probePath, port: probePort }, periodSeconds: 20, failureThreshold: 6 },
      } else {}
    ),

  podSpec(containers, serviceAccount=null, volumes=[], initContainers=[], nodeSelector={}, tolerations=[],
          securityContext=$.restrictedPodSecurity, restartPolicy=null, priorityClassName=null)::
    nonEmpty({
      serviceAccountName: serviceAccount,
      securityContext: securityContext,
      containers: containers,
      initContainers: initContainers,
      volumes: volumes,
      nodeSelector: nodeSelector,
      tolerations: tolerations,
      restartPolicy: restartPolicy,
      priorityClassName: priorityClassName,
    }),

  local workload(apiVersion, kind, name, containers, namespace, labels, podAnnotations, serviceAccount,
                 volumes, spec, podSpecExtra) = {
    apiVersion: apiVersion,
    kind: kind,
    metadata: $.meta(name, namespace, $.labels(name, extra=labels)),
    spec: {
      selector: { matchLabels: $.selector(name) },
      template: {
        metadata: nonEmpty({ labels: $.labels(name, extra=labels), annotations: podAnnotations }),
        spec: $.podSpec(containers, serviceAccount, volumes) + podSpecExtra,
      },
    } + spec,
  },

  deployment(name, containers, replicas=1, namespace=null, labels={}, podAnnotations={},
             serviceAccount=null, volumes=[], podSpec={})::
    workload('apps/v1', 'Deployment', name, containers, namespace, labels, podAnnotations,
             serviceAccount, volumes, { replicas: replicas }, podSpec),

  // volumeClaims: { data: '10Gi' } → volumeClaimTemplates with the given storage class.
  statefulSet(name, containers, serviceName=name, replicas=1, namespace=null, labels={},
              podAnnotations={}, serviceAccount=null, volumes=[], volumeClaims={}, storageClass=null, podSpec={})::
    workload('apps/v1', 'StatefulSet', name, containers, namespace, labels, podAnnotations,
             serviceAccount, volumes, {
               replicas: replicas,
               serviceName: serviceName,
             } + (if volumeClaims != {} then {
                    volumeClaimTemplates: [
                      {
                        metadata: { name: claim },
                        spec: nonEmpty({
                          accessModes: ['ReadWriteOnce'],
                          storageClassName: storageClass,
                          resources: { requests: { storage: volumeClaims[claim] } },
                        }),
                      }
                      for claim in std.objectFields(volumeClaims)
                    ],
                  } else {}), podSpec),

  daemonSet(name, containers, namespace=null, labels={}, podAnnotations={}, serviceAccount=null,
            volumes=[], podSpec={})::
    workload('apps/v1', 'DaemonSet', name, containers, namespace, labels, podAnnotations,
             serviceAccount, volumes, { updateStrategy: { type: 'RollingUpdate' } }, podSpec),

  cronJob(name, schedule, containers, namespace=null, labels={}, serviceAccount=null, volumes=[],
          concurrencyPolicy='Forbid', backoffLimit=2):: {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: $.meta(name, namespace, $.labels(name, extra=labels)),
    spec: {
      schedule: schedule,
      concurrencyPolicy: concurrencyPolicy,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: backoffLimit,
          template: {
            metadata: { labels: $.labels(name, extra=labels) },
            spec: $.podSpec(containers, serviceAccount, volumes, restartPolicy='OnFailure'),
          },
        },
      },
    },
  },

  // ports: { http: 80 } (targetPort = the name) or { http: { port: 80, targetPort: 8080 } }
  service(name, ports, namespace=null, selector=null, type='ClusterIP', labels={}, annotations={}, headless=false):: {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: $.meta(name, namespace, $.labels(name, extra=labels), annotations),
    spec: {
      type: type,
      selector: if selector != null then selector else $.selector(name),
      ports: [
        local p = ports[n];
        if std.isObject(p) then { name: n, protocol: 'TCP', targetPort: n } + p
        else { name: n, port: p, targetPort: n, protocol: 'TCP' }
        for n in std.objectFields(ports)
      ],
    } + (if headless then { clusterIP: 'None' } else {}),
  },

  configMap(name, data, namespace=null, labels={}):: {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: $.meta(name, namespace, labels),
    data: { [k]: if std.isString(data[k]) then data[k] else $.toJson(data[k]) for k in std.objectFields(data) },
  },

  // A Secret that never holds a value in Git: an ExternalSecret reading `<prefix>/<purpose>/<path>`
  // from the platform's secret store, where prefix is values.secretPathPrefix (the environment).
  //   k.externalSecret('db', 'payments', { password: 'postgres/password' })
  // data: secret key → '<path>' or '<path>:<property>'.
  externalSecret(name, purpose, data, namespace=null, store=null, refreshInterval='1h', prefix=null)::
    local values = std.extVar('values');
    local root = if prefix != null then prefix else values.secretPathPrefix;
    local storeName = if store != null then store
      else if std.objectHas(values, 'secretStore') then values.secretStore else 'platform-secrets';
    assert std.length(purpose) > 0 && !std.startsWith(purpose, '/') : 'externalSecret: purpose must be a relative path segment';
    {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: $.meta(name, namespace),
      spec: {
        refreshInterval: refreshInterval,
        secretStoreRef: { kind: 'ClusterSecretStore', name: storeName },
        target: { name: name, creationPolicy: 'Owner' },
        data: [
          local ref = std.splitLimit(data[key], ':', 1);
          assert !std.startsWith(ref[0], '/') : 'externalSecret: path for %s must be relative to %s/%s' % [key, root, purpose];
          {
            secretKey: key,
            remoteRef: { key: '%s/%s/%s' % [root, purpose, ref[0]] }
                       + (if std.length(ref) > 1 then { property: ref[1] } else {}),
          }
          for key in std.objectFields(data)
        ],
      },
    },

  namespace(name, labels={}, annotations={}, podSecurity=null):: {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: $.meta(name, labels=labels + (
      if podSecurity != null then {
        'pod-security.kubernetes.io/enforce': podSecurity,
        'pod-security.kubernetes.io/enforce-version': 'latest',
        'pod-security.kubernetes.io/audit': podSecurity,
        'pod-security.kubernetes.io/warn': podSecurity,
      } else {}
    ), annotations=annotations),
  },

  serviceAccount(name, namespace=null, annotations={}, labels={}, automount=null):: {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: $.meta(name, namespace, labels, annotations),
  } + (if automount != null then { automountServiceAccountToken: automount } else {}),

  // ------------------------------------------------------------------ RBAC

  rule(apiGroups, resources, verbs, resourceNames=[]):: nonEmpty({
    apiGroups: apiGroups,
    resources: resources,
    verbs: verbs,
    resourceNames: resourceNames,
  }),
  group(name):: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: name },
  user(name):: { apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: name },
  serviceAccountSubject(name, namespace):: { kind: 'ServiceAccount', name: name, namespace: namespace },

  role(name, rules, namespace=null, labels={}):: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: $.meta(name, namespace, labels),
    rules: rules,
  },
  clusterRole(name, rules, labels={}):: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: $.meta(name, labels=labels),
    rules: rules,
  },
  // roleKind 'ClusterRole' binds a cluster role inside one namespace (admin, edit, view).
  roleBinding(name, role, subjects, namespace=null, roleKind='Role', labels={}):: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: $.meta(name, namespace, labels),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role },
    subjects: subjects,
  },
  clusterRoleBinding(name, role, subjects, labels={}):: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: $.meta(name, labels=labels),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
    subjects: subjects,
  },

  // ------------------------------------------------------------------ network policy

  networkPolicy(name, podSelector={}, ingress=null, egress=null, namespace=null):: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: $.meta(name, namespace),
    spec: {
      podSelector: { matchLabels: podSelector },
      policyTypes: (if ingress != null then ['Ingress'] else []) + (if egress != null then ['Egress'] else []),
    } + (if ingress != null && ingress != [] then { ingress: ingress } else {})
      + (if egress != null && egress != [] then { egress: egress } else {}),
  },
  // Peers and ports for ingress `from` / egress `to` rules.
  peerNamespace(name, podLabels=null):: {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': name } },
  } + (if podLabels != null then { podSelector: { matchLabels: podLabels } } else {}),
  peerPods(podLabels={}):: { podSelector: { matchLabels: podLabels } },
  // ports: [53, 'UDP/53', { port: 443 }]
  ports(list):: [
    if std.isNumber(p) then { port: p, protocol: 'TCP' }
    else if std.isString(p) then { protocol: std.split(p, '/')[0], port: std.parseInt(std.split(p, '/')[1]) }
    else { protocol: 'TCP' } + p
    for p in list
  ],

  networkPolicies:: {
    // Selects every pod and allows nothing: the baseline every other policy opens up.
    denyAll(namespace=null):: $.networkPolicy('default-deny', {}, [], [], namespace),
    allowDNS(namespace=null):: $.networkPolicy('allow-dns', egress=[{
      to: [$.peerNamespace('kube-system', { 'k8s-app': 'kube-dns' })],
      ports: $.ports(['UDP/53', 'TCP/53']),
    }], namespace=namespace),
    allowSameNamespace(namespace=null):: $.networkPolicy(
      'allow-same-namespace', ingress=[{ from: [$.peerPods()] }], egress=[{ to: [$.peerPods()] }], namespace=namespace
    ),
    allowIngressFromNamespace(name, fromNamespace, ports=[], namespace=null)::
      $.networkPolicy(name, ingress=[{ from: [$.peerNamespace(fromNamespace)] } + (if ports != [] then { ports: $.ports(ports) } else {})], namespace=namespace),
    allowEgressTo(name, toNamespace, podLabels=null, ports=[], namespace=null)::
      $.networkPolicy(name, egress=[{ to: [$.peerNamespace(toNamespace, podLabels)] } + (if ports != [] then { ports: $.ports(ports) } else {})], namespace=namespace),
  },

  // ------------------------------------------------------------------ policy objects

  resourceQuota(name, hard, namespace=null):: {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: $.meta(name, namespace),
    spec: { hard: { [k]: std.toString(hard[k]) for k in std.objectFields(hard) } },
  },
  limitRange(name, default, defaultRequest, max={}, namespace=null):: {
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: $.meta(name, namespace),
    spec: { limits: [nonEmpty({ type: 'Container', default: default, defaultRequest: defaultRequest, max: max })] },
  },
  podDisruptionBudget(name, minAvailable=null, maxUnavailable=null, selector=null, namespace=null)::
    assert (minAvailable == null) != (maxUnavailable == null) : 'podDisruptionBudget: give exactly one of minAvailable, maxUnavailable';
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: $.meta(name, namespace, $.labels(name)),
      spec: nonEmpty({
        minAvailable: minAvailable,
        maxUnavailable: maxUnavailable,
        selector: { matchLabels: if selector != null then selector else $.selector(name) },
      }),
    },
  horizontalPodAutoscaler(name, minReplicas, maxReplicas, cpuUtilization=75, targetKind='Deployment', target=name, namespace=null):: {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: $.meta(name, namespace, $.labels(name)),
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: targetKind, name: target },
      minReplicas: minReplicas,
      maxReplicas: maxReplicas,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpuUtilization } } }],
    },
  },

  // ------------------------------------------------------------------ traffic and certificates

  ingress(name, host, service, port, className=null, tlsSecret=null, path='/', namespace=null, annotations={}):: {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: $.meta(name, namespace, $.labels(name), annotations),
    spec: nonEmpty({
      ingressClassName: className,
      rules: [{ host: host, http: { paths: [{
        path: path,
        pathType: 'Prefix',
        backend: { service: { name: service, port: if std.isNumber(port) then { number: port } else { name: port } } },
      }] } }],
      tls: if tlsSecret != null then [{ hosts: [host], secretName: tlsSecret }] else [],
    }),
  },
  gatewayClass(name, controllerName, description=null):: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: $.meta(name),
    spec: nonEmpty({ controllerName: controllerName, description: description }),
  },
  // listeners: [{ name, port, protocol, hostname?, tls? , allowedRoutes? }]
  gateway(name, className, listeners, namespace=null, labels={}):: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: $.meta(name, namespace, labels),
    spec: { gatewayClassName: className, listeners: listeners },
  },
  // parent: { name, namespace } of a Gateway; backends: { service-name: port }
  httpRoute(name, hostnames, parent, backends, path='/', namespace=null, sectionName=null):: {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: $.meta(name, namespace, $.labels(name)),
    spec: {
      parentRefs: [nonEmpty({ name: parent.name, namespace: std.get(parent, 'namespace'), sectionName: sectionName })],
      hostnames: hostnames,
      rules: [{
        matches: [{ path: { type: 'PathPrefix', value: path } }],
        backendRefs: [{ name: b, port: backends[b] } for b in std.objectFields(backends)],
      }],
    },
  },
  certificate(name, dnsNames, issuer, secretName=name, issuerKind='ClusterIssuer', namespace=null, duration=null):: {
    apiVersion: 'cert-manager.io/v1',
    kind: 'Certificate',
    metadata: $.meta(name, namespace),
    spec: nonEmpty({
      secretName: secretName,
      dnsNames: dnsNames,
      issuerRef: { name: issuer, kind: issuerKind, group: 'cert-manager.io' },
      duration: duration,
      privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Always' },
    }),
  },

  // ------------------------------------------------------------------ custom resources

  // A CustomResourceDefinition served and stored at one version; `schema` is the openAPIV3Schema
  // of the whole object (apiVersion/kind/metadata are added).
  customResourceDefinition(group, kind, plural, schema, version='v1', scope='Namespaced', shortNames=[], status=true):: {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: $.meta(plural + '.' + group),
    spec: {
      group: group,
      scope: scope,
      names: nonEmpty({ kind: kind, listKind: kind + 'List', plural: plural, singular: std.asciiLower(kind), shortNames: shortNames }),
      versions: [{
        name: version,
        served: true,
        storage: true,
        [if status then 'subresources']: { status: {} },
        schema: { openAPIV3Schema: {
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { type: 'object' },
            [if status then 'status']: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          } + std.get(schema, 'properties', {}),
        } + { [f]: schema[f] for f in std.objectFields(schema) if f != 'properties' } },
      }],
    },
  },
}
