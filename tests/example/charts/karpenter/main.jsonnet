// Karpenter on AWS: its CRDs, the controller (IAM role through IRSA, interruption queue named
// after the cluster) and the NodePools and EC2NodeClass the catalog describes.
local k = import 'k8s.libsonnet';
local crds = import 'crds.libsonnet';

function(cluster, component, values)
  local ns = component.namespace;
  local name = 'karpenter';
  local kp = values.karpenter;
  assert k.versionAtLeast(cluster.kubernetesVersion, kp.minKubernetesVersion) :
         'karpenter %s needs Kubernetes %s or later; cluster %s runs %s'
         % [kp.version, kp.minKubernetesVersion, cluster.name, cluster.kubernetesVersion];
  local discovery = { 'karpenter.sh/discovery': cluster.name };
  local nodeClass = {
    apiVersion: 'karpenter.k8s.aws/v1',
    kind: 'EC2NodeClass',
    metadata: k.meta('default'),
    spec: {
      role: '%s-karpenter-node' % cluster.name,
      amiSelectorTerms: [{ alias: kp.amiAlias }],
      subnetSelectorTerms: [{ tags: discovery }],
      securityGroupSelectorTerms: [{ tags: discovery }],
      tags: discovery + { 'platform.generator/environment': cluster.environment },
      // IMDSv2 only, and not reachable from pods (hop limit 1).
      metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
      blockDeviceMappings: [{
        deviceName: '/dev/xvda',
        ebs: { volumeSize: kp.rootVolumeSize, volumeType: 'gp3', encrypted: true, deleteOnTermination: true },
      }],
    },
  };
  local nodePool(poolName, pool) = {
    apiVersion: 'karpenter.sh/v1',
    kind: 'NodePool',
    metadata: k.meta(poolName),
    spec: {
      template: {
        metadata: { labels: { 'platform.generator/node-pool': poolName } },
        spec: {
          nodeClassRef: { group: 'karpenter.k8s.aws', kind: 'EC2NodeClass', name: nodeClass.metadata.name },
          requirements: [
            { key: 'karpenter.sh/capacity-type', operator: 'In', values: pool.capacityTypes },
            { key: 'karpenter.k8s.aws/instance-category', operator: 'In', values: pool.instanceCategories },
            { key: 'kubernetes.io/arch', operator: 'In', values: pool.architectures },
          ],
          expireAfter: pool.expireAfter,
        } + (if std.objectHas(pool, 'taints') then { taints: pool.taints } else {}),
      },
      limits: { cpu: pool.cpuLimit, memory: pool.memoryLimit },
      disruption: { consolidationPolicy: 'WhenEmptyOrUnderutilized', consolidateAfter: pool.consolidateAfter },
    },
  };

  {
    crds: crds,
    serviceAccount: k.serviceAccount(name, ns, annotations={
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::%s:role/%s-karpenter' % [values.aws.accountId, cluster.name],
    }),
    clusterRole: k.clusterRole(name, [
      k.rule(['karpenter.sh'], ['nodepools', 'nodeclaims'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
      k.rule(['karpenter.sh'], ['nodepools/status', 'nodeclaims/status'], ['update', 'patch']),
      k.rule(['karpenter.k8s.aws'], ['ec2nodeclasses'], ['get', 'list', 'watch', 'update', 'patch']),
      k.rule(['karpenter.k8s.aws'], ['ec2nodeclasses/status'], ['update', 'patch']),
      k.rule([''], ['nodes'], ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete']),
      k.rule([''], ['pods', 'namespaces', 'persistentvolumes', 'persistentvolumeclaims', 'replicationcontrollers'], ['get', 'list', 'watch']),
      k.rule([''], ['pods/eviction'], ['create']),
      k.rule(['apps'], ['daemonsets', 'deployments', 'replicasets', 'statefulsets'], ['get', 'list', 'watch']),
      k.rule(['storage.k8s.io'], ['storageclasses', 'csinodes', 'volumeattachments'], ['get', 'list', 'watch']),
      k.rule(['policy'], ['poddisruptionbudgets'], ['get', 'list', 'watch']),
      k.rule([''], ['events'], ['create', 'patch']),
    ]),
    clusterRoleBinding: k.clusterRoleBinding(name, name, [k.serviceAccountSubject(name, ns)]),
    role: k.role(name, [
      k.rule(['coordination.k8s.io'], ['leases'], ['get', 'watch', 'create', 'update', 'patch']),
      k.rule([''], ['configmaps', 'secrets'], ['get', 'list', 'watch']),
    ], ns),
    roleBinding: k.roleBinding(name, name, [k.serviceAccountSubject(name, ns)], ns),
    deployment: k.deployment(
      name,
      [k.container(
        'controller',
        '%s/karpenter/controller:%s' % [values.registry, kp.version],
        env={
          CLUSTER_NAME: cluster.name,
          CLUSTER_ENDPOINT: cluster.apiServer,
          INTERRUPTION_QUEUE: cluster.name,
          AWS_REGION: values.aws.region,
          LOG_LEVEL: values.logLevel,
          BATCH_MAX_DURATION: '10s',
          BATCH_IDLE_DURATION: '1s',
        },
        ports={ 'http-metrics': 8080, 'webhook-metrics': 8001, health: 8081 },
        resources=k.resources(kp.resources.cpu, kp.resources.memory),
        probePort='health',
      )],
      // Two replicas with leader election wherever the catalog runs more than one.
      replicas=std.min(values.replicas, 2),
      namespace=ns,
      serviceAccount=name,
      podSpec={
        priorityClassName: 'platform-critical',
        // Karpenter must not run on nodes it manages itself.
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{
          matchExpressions: [{ key: 'karpenter.sh/nodepool', operator: 'DoesNotExist' }],
        }] } } },
      },
    ),
    disruptionBudget: k.podDisruptionBudget(name, maxUnavailable=1, namespace=ns),
    service: k.service(name, { 'http-metrics': 8080 }, ns),
    nodeClass: nodeClass,
    nodePools: [nodePool(p, kp.nodePools[p]) for p in std.objectFields(kp.nodePools)],
  }
