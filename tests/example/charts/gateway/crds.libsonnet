// A compact subset of the Gateway API standard channel: the fields our components set, strict
// enough for validation to catch typos in them; the rest of each spec stays open.
local k = import 'k8s.libsonnet';

local str = { type: 'string' };
local int = { type: 'integer' };
local open = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
local parentRef = { type: 'object', required: ['name'], properties: {
  group: str, kind: str, name: str, namespace: str, sectionName: str, port: int,
} };

{
  gatewayClass: k.customResourceDefinition('gateway.networking.k8s.io', 'GatewayClass', 'gatewayclasses', {
    required: ['spec'],
    properties: { spec: { type: 'object', required: ['controllerName'], properties: {
      controllerName: str, description: str, parametersRef: open,
    } } },
  }, scope='Cluster', shortNames=['gc']),

  gateway: k.customResourceDefinition('gateway.networking.k8s.io', 'Gateway', 'gateways', {
    required: ['spec'],
    properties: { spec: { type: 'object', required: ['gatewayClassName', 'listeners'], properties: {
      gatewayClassName: str,
      addresses: { type: 'array', items: open },
      infrastructure: open,
      listeners: { type: 'array', minItems: 1, maxItems: 64, items: {
        type: 'object',
        required: ['name', 'port', 'protocol'],
        properties: {
          name: str,
          hostname: str,
          port: int { minimum: 1, maximum: 65535 },
          protocol: str,
          tls: { type: 'object', properties: {
            mode: str { enum: ['Terminate', 'Passthrough'] },
            certificateRefs: { type: 'array', items: { type: 'object', required: ['name'], properties: {
              group: str, kind: str, name: str, namespace: str,
            } } },
            options: open,
          } },
          allowedRoutes: { type: 'object', properties: {
            namespaces: { type: 'object', properties: {
              from: str { enum: ['All', 'Selector', 'Same'] },
              selector: open,
            } },
            kinds: { type: 'array', items: open },
          } },
        },
      } },
    } } },
  }, shortNames=['gtw']),

  httpRoute: k.customResourceDefinition('gateway.networking.k8s.io', 'HTTPRoute', 'httproutes', {
    required: ['spec'],
    properties: { spec: { type: 'object', properties: {
      parentRefs: { type: 'array', items: parentRef },
      hostnames: { type: 'array', items: str },
      rules: { type: 'array', items: { type: 'object', properties: {
        matches: { type: 'array', items: open },
        filters: { type: 'array', items: open },
        backendRefs: { type: 'array', items: { type: 'object', required: ['name'], properties: {
          group: str, kind: str, name: str, namespace: str, port: int, weight: int,
        } } },
        timeouts: open,
      } } },
    } } },
  }),
}
