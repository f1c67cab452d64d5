// Decorates the app with the tenant directory and the TenantConnectionManager, and closes the pools with the app.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Counter, Gauge } from 'prom-client'
import { TenantConnectionManager } from '../../connections/tenant-connection-manager.ts'
import { MASTER_POOL_SIZE } from '../../master/database.ts'
import { createTenantDirectory, type TenantDirectory } from '../../master/tenant-directory.ts'
import { createTenantsRepository } from '../../master/tenants-repository.ts'
import { createTenantMigrator, type TenantMigrator } from '../../provisioning/tenant-migrator.ts'
import { tenantRoleName, tenantRolePassword } from '../../tenant-database/identity.ts'

declare module 'fastify' {
  interface FastifyInstance {
    tenantDirectory: TenantDirectory
    tenantConnections: TenantConnectionManager
    tenantMigrator: TenantMigrator
  }
}

export default fp(async function tenantConnections (app) {
  const { config, metrics } = app
  const tenants = createTenantsRepository(app.master.db)
  const directory = createTenantDirectory(tenants, config.tenantCacheTtlSeconds)
  const migrator = createTenantMigrator({ adminUrl: config.databaseUrl as string, tenants })

  const manager = new TenantConnectionManager({
    ...config.pool,
    async locate (slug) {
      const tenant = await directory.serving(slug)
      // Behind after a deploy: migrate before the first query. The manager's single flight makes this once per process.
      if (tenant.schemaVersion < migrator.latestVersion) {
        await migrator.migrate(slug)
        directory.invalidate(slug)
      }
      return {
        host: tenant.host,
        port: tenant.port,
        database: tenant.databaseName,
        username: tenantRoleName(slug),
        password: tenantRolePassword(config.tenantDbSecret, slug),
      }
    },
    observer: {
      opened: (_slug, seconds) => { metrics.poolOpenSeconds.observe(seconds) },
    },
  })

  await warnIfOverBudget(app, config.pool.maxTenants * config.pool.maxConnectionsPerTenant)
  registerPoolMetrics(app.metrics.registry, manager)
  app.decorate('tenantDirectory', directory)
  app.decorate('tenantConnections', manager)
  app.decorate('tenantMigrator', migrator)
  app.addHook('onClose', async () => { await manager.close() })
}, { name: 'tenant-connections', dependencies: ['config', 'master-database', 'metrics'] })

/** A budget the server cannot honour turns into refused connections under load: say so at start-up. */
async function warnIfOverBudget (app: FastifyInstance, budget: number): Promise<void> {
  const [row] = await app.master.sql<{ available: number }[]>`
    select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int as available`
  const available = row?.available ?? Number.POSITIVE_INFINITY
  if (budget + MASTER_POOL_SIZE > available) {
    app.log.warn({ budget, masterPool: MASTER_POOL_SIZE, available },
      'POOL_MAX_TENANTS x POOL_MAX_CONNECTIONS_PER_TENANT plus the master pool exceeds the connections the server allows; requests will get 503s under load')
  }
}

/** Pool figures are read from the manager's own counters when scraped, so the request path pays nothing for them. */
function registerPoolMetrics (registry: import('prom-client').Registry, manager: TenantConnectionManager): void {
  const gauges = {
    tenant_pools_open: ['Tenant pools open', 'openPools'],
    tenant_pools_opening: ['Tenant pools being opened', 'opening'],
    tenant_pools_draining: ['Evicted tenant pools still finishing their queries', 'draining'],
    tenant_pool_connection_budget: ['Most tenant connections this process may hold', 'connectionBudget'],
  } as const
  for (const [name, [help, key]] of Object.entries(gauges)) {
    new Gauge({ name, help, registers: [registry], collect () { this.set(manager.stats()[key]) } })
  }
  const counters = {
    tenant_pool_hits_total: ['Requests that found their tenant pool open', 'hits'],
    tenant_pool_misses_total: ['Requests that had to open their tenant pool', 'misses'],
    tenant_pool_evictions_total: ['Tenant pools closed to make room or on request', 'evictions'],
    tenant_pool_open_failures_total: ['Tenant pools that failed to open', 'openFailures'],
  } as const
  for (const [name, [help, key]] of Object.entries(counters)) {
    new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(manager.stats()[key]) } })
  }
}
