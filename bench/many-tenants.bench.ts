// Many tenants: 300 tenant databases, Zipf-skewed traffic, a server with max_connections=100. The manager
// (20 pools x 2 connections, and x 1) against a Map of pools that never evicts and a new connection per request.
// The strategies take turns over several rounds (the order rotating), so a noisy neighbour slows them all alike.
import type { FastifyInstance } from 'fastify'
import postgres, { type Sql } from 'postgres'
import { tenantDatabaseName, tenantRoleName, tenantRolePassword } from '../src/tenant-database/identity.ts'
import { analyzeTenants, benchApp, benchAppWith, median, percentile, provisionTenants, report, round, startServer, zipf } from './harness.ts'

const TENANTS = 300
const WORKERS = 64
const ROUNDS = 3
const SECONDS = 5
const MAX_TENANTS = 20
const PER_TENANT = 2

interface Strategy {
  name: string
  query (slug: string): Promise<unknown>
  close (): Promise<void>
}

export async function run (): Promise<void> {
  const server = await startServer({ max_connections: 100 })
  const app = await benchApp(server.masterUrl, {
    POOL_MAX_TENANTS: String(MAX_TENANTS),
    POOL_MAX_CONNECTIONS_PER_TENANT: String(PER_TENANT),
  })
  try {
    const slugs = (await provisionTenants(app, TENANTS)).map((tenant) => tenant.slug)
    await analyzeTenants(server, slugs)
    const location = await app.runtime.directory.lookup(slugs[0] as string)
    const target = (slug: string) => ({
      host: location?.host,
      port: location?.port,
      database: tenantDatabaseName(slug),
      username: tenantRoleName(slug),
      password: tenantRolePassword(app.config.tenantDbSecret, slug),
      onnotice: () => {},
    })
    const read = (sql: Sql) => sql`select id, title from notes order by created_at desc limit 20`

    const naive = new Map<string, Sql>()
    const poolStats: Record<string, Record<string, number>> = {}
    // The same manager with one connection per tenant: postgres.js pipelines a tenant's concurrent queries on it,
    // where with two it opens a second connection as soon as two requests overlap, a backend start that a
    // tenant seen once rarely repays.
    const single = await benchAppWith({ ...app.config, pool: { ...app.config.pool, maxConnectionsPerTenant: 1 } })
    const managed = (name: string, managerApp: FastifyInstance): Strategy => {
      let requests = 0
      return {
        name,
        async query (slug) {
          requests++
          const lease = await managerApp.runtime.connections.lease({ slug, serverId: managerApp.runtime.servers.default().id })
          try { return await read(lease.connection.sql) } finally { lease.release() }
        },
        close: async () => {
          // Cumulative over the rounds, as are the manager's counters.
          const { hits, misses, evictions } = managerApp.runtime.connections.stats()
          const opened = (await managerApp.runtime.metrics.poolOpenSeconds.get()).values
          const sum = opened.find((value) => value.metricName === 'tenant_pool_open_seconds_sum')?.value ?? 0
          const count = opened.find((value) => value.metricName === 'tenant_pool_open_seconds_count')?.value ?? 1
          poolStats[name] = { requests, hits, misses, evictions, 'opens per request': round(misses / requests, 3), 'mean open ms': round((1000 * sum) / count, 1) }
          for (const slug of slugs) managerApp.runtime.connections.evict(slug)
        },
      }
    }
    const strategies: Strategy[] = [
      managed(`TenantConnectionManager, ${MAX_TENANTS} x ${PER_TENANT}`, app),
      managed(`TenantConnectionManager, ${MAX_TENANTS} x 1`, single),
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
    const measure = async (strategy: Strategy) => {
      const pick = zipf(TENANTS)
      const latencies: number[] = []
      let errors = 0
      let peak = 0
      const sampling = { on: true }
      const sessions = await server.tenantSessions()
      const sampler = (async () => {
        while (sampling.on) {
          peak = Math.max(peak, await server.tenantConnections())
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
      sampling.on = false
      await sampler
      await strategy.close()
      // Let the server settle back to its idle connections before the next strategy.
      for (let i = 0; i < 250 && (await server.connections()) > idle; i++) await new Promise((resolve) => setTimeout(resolve, 20))
      const connected = (await server.tenantSessions()) - sessions
      return { throughput: latencies.length / elapsed, latencies, errors, peak, connected }
    }

    const runs = new Map(strategies.map((strategy) => [strategy, [] as Array<Awaited<ReturnType<typeof measure>>>]))
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < strategies.length; i++) {
        const strategy = strategies[(round + i) % strategies.length] as Strategy
        runs.get(strategy)?.push(await measure(strategy))
      }
    }
    const rows = strategies.map((strategy) => {
      const measured = runs.get(strategy) ?? []
      const latencies = measured.flatMap((run) => run.latencies)
      const errors = measured.reduce((sum, run) => sum + run.errors, 0)
      return {
        strategy: strategy.name,
        'requests/s (median round)': round(median(measured.map((run) => run.throughput)), 0),
        errors,
        'error %': round((100 * errors) / (errors + latencies.length), 2),
        'p50 ms': round(percentile(latencies, 50), 2),
        'p99 ms': round(percentile(latencies, 99), 2),
        'peak tenant connections': Math.max(...measured.map((run) => run.peak)),
        'connects per request': round(measured.reduce((sum, run) => sum + run.connected, 0) / (errors + latencies.length), 3),
      }
    })
    const perRequest = runs.get(strategies[3] as Strategy) ?? []
    const ratios = (strategy: Strategy) => (runs.get(strategy) ?? []).map((run, i) => run.throughput / (perRequest[i]?.throughput ?? NaN))
    const versus = (strategy: Strategy) => `${round(median(ratios(strategy)), 2)}x (rounds: ${ratios(strategy).map((ratio) => round(ratio, 2)).join(' / ')})`
    await report('many-tenants', rows, {
      [`throughput vs connection per request, ${MAX_TENANTS} x ${PER_TENANT}`]: versus(strategies[0] as Strategy),
      [`throughput vs connection per request, ${MAX_TENANTS} x 1`]: versus(strategies[1] as Strategy),
      target: '>= 3x the throughput of connection per request, zero errors, peak connections within the budget',
      budget: `${MAX_TENANTS} pools x ${PER_TENANT} (or 1) = ${MAX_TENANTS * PER_TENANT} (or ${MAX_TENANTS}) tenant connections; server max_connections=100, shared with the master pools; peak sampled every 20 ms`,
      'manager pool stats': poolStats,
      tenants: TENANTS,
      workers: WORKERS,
      rounds: ROUNDS,
      secondsPerStrategyPerRound: SECONDS,
      idleConnectionsBefore: idle,
    })
    await single.close()
  } finally {
    await app.close()
    await server.close()
  }
}
