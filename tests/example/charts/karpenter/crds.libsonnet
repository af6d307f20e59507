// A compact subset of Karpenter's CRDs (v1): the fields our NodePools and EC2NodeClasses set,
// strict enough for validation to catch typos in them.
local k = import 'k8s.libsonnet';

local str = { type: 'string' };
local strings = { type: 'array', items: str };
local open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
local tags = { type: 'object', additionalProperties: str };
local selectorTerms = { type: 'array', minItems: 1, items: { type: 'object', properties: { tags: tags, id: str, name: str } } };

{
  nodePool: k.customResourceDefinition('karpenter.sh', 'NodePool', 'nodepools', {
    required: ['spec'],
    properties: { spec: { type: 'object', required: ['template'], properties: {
      weight: { type: 'integer', minimum: 1, maximum: 100 },
      limits: { type: 'object', additionalProperties: { 'x-kubernetes-int-or-string': true } },
      disruption: { type: 'object', properties: {
        consolidationPolicy: str { enum: ['WhenEmpty', 'WhenEmptyOrUnderutilized'] },
        consolidateAfter: str,
        budgets: { type: 'array', items: open },
      } },
      template: { type: 'object', required: ['spec'], properties: {
        metadata: { type: 'object', properties: { labels: tags, annotations: tags } },
        spec: { type: 'object', required: ['nodeClassRef', 'requirements'], properties: {
          nodeClassRef: { type: 'object', required: ['group', 'kind', 'name'], properties: { group: str, kind: str, name: str } },
          requirements: { type: 'array', items: { type: 'object', required: ['key', 'operator'], properties: {
            key: str,
            operator: str { enum: ['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt'] },
            values: strings,
            minValues: { type: 'integer' },
          } } },
          taints: { type: 'array', items: open },
          startupTaints: { type: 'array', items: open },
          expireAfter: str,
          terminationGracePeriod: str,
        } },
      } },
    } } },
  }, scope='Cluster'),

  nodeClaim: k.customResourceDefinition('karpenter.sh', 'NodeClaim', 'nodeclaims', {
    properties: { spec: open },
  }, scope='Cluster'),

  ec2NodeClass: k.customResourceDefinition('karpenter.k8s.aws', 'EC2NodeClass', 'ec2nodeclasses', {
    required: ['spec'],
    properties: { spec: { type: 'object', required: ['amiSelectorTerms', 'subnetSelectorTerms', 'securityGroupSelectorTerms'], properties: {
      role: str,
      instanceProfile: str,
      amiFamily: str,
      amiSelectorTerms: { type: 'array', minItems: 1, items: { type: 'object', properties: { alias: str, id: str, name: str, owner: str, tags: tags } } },
      subnetSelectorTerms: selectorTerms,
      securityGroupSelectorTerms: selectorTerms,
      tags: tags,
      metadataOptions: { type: 'object', properties: {
        httpEndpoint: str, httpProtocolIPv6: str, httpPutResponseHopLimit: { type: 'integer' }, httpTokens: str { enum: ['required', 'optional'] },
      } },
      blockDeviceMappings: { type: 'array', items: { type: 'object', properties: {
        deviceName: str,
        rootVolume: { type: 'boolean' },
        ebs: { type: 'object', properties: {
          volumeSize: str, volumeType: str, encrypted: { type: 'boolean' }, iops: { type: 'integer' }, throughput: { type: 'integer' }, kmsKeyID: str, deleteOnTermination: { type: 'boolean' },
        } },
      } } },
      userData: str,
    } } },
  }, scope='Cluster'),
}
