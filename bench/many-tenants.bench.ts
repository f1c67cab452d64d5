// Many tenants: 300 tenant databases, Zipf-skewed traffic, a server with max_connections=100. The manager
// (20 pools x 2 connections) against a Map of pools that never evicts and a new connection per request.
import postgres, { type Sql } from 'postgres'
import { tenantDatabaseName, tenantRoleName, tenantRolePassword } from '../src/tenant-database/identity.ts'
import { benchApp, percentile, provisionTenants, report, round, startServer, zipf } from './harness.ts'

const TENANTS = 300
const WORKERS = 64
const SECONDS = 8
const MAX_TENANTS = 20
const PER_TENANT = 2

interface Strategy {
  name: string
  query (slug: string): Promise<unknown>
  close (): Promise<void>
}

export async function run (): Promise<void> {
  const server = await startServer({ max_connections: 100 })
  const app = await benchApp(server.masterUrl, { POOL_MAX_TENANTS: String(MAX_TENANTS), POOL_MAX_CONNECTIONS_PER_TENANT: String(PER_TENANT) })
  try {
    const slugs = (await provisionTenants(app, TENANTS)).map((tenant) => tenant.slug)
    const location = await app.tenantDirectory.lookup(slugs[0] as string)
    const target = (slug: string) => ({
      host: location?.host, port: location?.port, database: tenantDatabaseName(slug),
      username: tenantRoleName(slug), password: tenantRolePassword(app.config.tenantDbSecret, slug), onnotice: () => {},
    })
    const read = (sql: Sql) => sql`select id, title from notes order by created_at desc limit 20`

    const naive = new Map<string, Sql>()
    let poolStats: Record<string, number> = {}
    const strategies: Strategy[] = [
      {
        name: 'TenantConnectionManager',
        async query (slug) {
          const lease = await app.tenantConnections.lease(slug)
          try { return await read(lease.connection.sql) } finally { lease.release() }
        },
        close: async () => {
          const { hits, misses, evictions } = app.tenantConnections.stats()
          const opened = (await app.metrics.poolOpenSeconds.get()).values
          const sum = opened.find((value) => value.metricName === 'tenant_pool_open_seconds_sum')?.value ?? 0
          const count = opened.find((value) => value.metricName === 'tenant_pool_open_seconds_count')?.value ?? 1
          poolStats = { hits, misses, evictions, 'hit rate %': round((100 * hits) / (hits + misses), 1), 'mean open ms': round((1000 * sum) / count, 1) }
          for (const slug of slugs) app.tenantConnections.evict(slug)
        },
      },
      {
        name: 'Map of pools, never evicted',
        async query (slug) {
          let sql = naive.get(slug)
          if (sql === undefined) naive.set(slug, sql = postgres({ ...target(slug), max: PER_TENANT, idle_timeout: 30 }))
          return read(sql)
        },
        close: async () => { await Promise.all([...naive.values()].map((sql) => sql.end({ timeout: 1 }))); naive.clear() },
      },
      {
        name: 'connection per request',
        async query (slug) {
          const sql = postgres({ ...target(slug), max: 1 })
          try { return await read(sql) } finally { await sql.end({ timeout: 1 }) }
        },
        close: async () => {},
      },
    ]

    const idle = await server.connections()
    const rows = []
    for (const strategy of strategies) {
      const pick = zipf(TENANTS)
      const latencies: number[] = []
      let errors = 0
      let peak = 0
      let sampling = true
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await server.connections())
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      })()
      const started = performance.now()
      const deadline = started + SECONDS * 1000
      await Promise.all(Array.from({ length: WORKERS }, async () => {
        while (performance.now() < deadline) {
          const begun = performance.now()
          try {
            await strategy.query(slugs[pick()] as string)
            latencies.push(performance.now() - begun)
          } catch {
            errors++
          }
        }
      }))
      const elapsed = (performance.now() - started) / 1000
      sampling = false
      await sampler
      await strategy.close()
      // Let the server settle back to its idle connections before the next strategy.
      for (let i = 0; i < 250 && (await server.connections()) > idle; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      rows.push({
        strategy: strategy.name,
        'requests/s': round(latencies.length / elapsed, 0),
        errors,
        'error %': round((100 * errors) / (errors + latencies.length), 2),
        'p50 ms': round(percentile(latencies, 50), 2),
        'p99 ms': round(percentile(latencies, 99), 2),
        'peak server connections': peak,
      })
    }
    const ours = rows[0]?.['requests/s'] as number
    const perRequest = rows[2]?.['requests/s'] as number
    await report('many-tenants', rows, {
      'throughput vs connection per request': `${round(ours / perRequest, 2)}x (target >= 3x)`,
      budget: `${MAX_TENANTS} pools x ${PER_TENANT} = ${MAX_TENANTS * PER_TENANT} tenant connections; server max_connections=100 (peak counts every client: master pool and monitor too)`,
      'manager pool stats': poolStats,
      tenants: TENANTS, workers: WORKERS, secondsPerStrategy: SECONDS, idleConnectionsBefore: idle,
    })
  } finally {
    await app.close()
    await server.close()
  }
}
