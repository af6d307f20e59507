// The builtin tenant component: one tenant on one cluster. A repository that has
// charts/tenant/main.jsonnet renders tenants with that file instead (see docs/tenants.md).
local lib = import 'tenant.libsonnet';

function(tenant, values={}) lib.new(tenant, values)
