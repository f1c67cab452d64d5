// The runtime's Prometheus instruments (pools and provisioning), in one registry per runtime; HTTP adds its own to it.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ServerPools } from './connections/server-pools.ts'

export type RuntimeMetrics = ReturnType<typeof createMetrics>

export function createMetrics () {
  const registry = new Registry()
  return {
    registry,
    poolOpenSeconds: new Histogram({
      name: 'tenant_pool_open_seconds',
      help: 'Time to open a tenant pool (connect and first query)',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    provisioningSeconds: new Histogram({
      name: 'tenant_provisioning_seconds',
      help: 'Time to provision a tenant, by result',
      labelNames: ['result'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    tenantsProvisioned: new Counter({
      name: 'tenants_provisioned_total',
      help: 'Tenant provisionings, by result',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
  }
}

/**
 * Pool figures are read from the managers' own counters when scraped, so the request path pays nothing for them. One
 * series per server (a handful); never per tenant, whose number has no bound.
 */
export function registerPoolMetrics (registry: Registry, pools: ServerPools, serverName: (id: string) => string): void {
  const gauges = {
    tenant_pools_open: ['Tenant pools open', 'openPools'],
    tenant_pools_opening: ['Tenant pools being opened', 'opening'],
    tenant_pools_draining: ['Evicted tenant pools still finishing their queries', 'draining'],
    tenant_pool_connection_budget: ['Most tenant connections this process may hold, its share of the server\'s budget', 'connectionBudget'],
  } as const
  const counters = {
    tenant_pool_hits_total: ['Requests that found their tenant pool open', 'hits'],
    tenant_pool_misses_total: ['Requests that had to open their tenant pool', 'misses'],
    tenant_pool_evictions_total: ['Tenant pools closed to make room or on request', 'evictions'],
    tenant_pool_open_failures_total: ['Tenant pools that failed to open', 'openFailures'],
  } as const
  const labelNames = ['server'] as const
  for (const [name, [help, key]] of Object.entries(gauges)) {
    registry.registerMetric(new Gauge({
      name,
      help,
      labelNames,
      registers: [],
      collect () { this.reset(); for (const [id, stats] of pools.byServer()) this.set({ server: serverName(id) }, stats[key]) },
    }))
  }
  for (const [name, [help, key]] of Object.entries(counters)) {
    registry.registerMetric(new Counter({
      name,
      help,
      labelNames,
      registers: [],
      collect () { this.reset(); for (const [id, stats] of pools.byServer()) this.inc({ server: serverName(id) }, stats[key]) },
    }))
  }
}
