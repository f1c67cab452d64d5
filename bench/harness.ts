// Shared bench plumbing: a throwaway PostgreSQL per bench, the real app on it, percentiles, and the result table + JSON.
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import type { FastifyInstance } from 'fastify'
import postgres from 'postgres'
import { bootstrapPlatformAdmin } from '../src/auth/bootstrap-admin.ts'
import { accessToken } from '../src/auth/tokens.ts'
import { loadConfig } from '../src/config.ts'
import { ensureDatabase, type EmbeddedServer } from '../src/embedded-postgres.ts'
import { buildApp } from '../src/http/app.ts'
import { createRuntime, type RuntimeConfig, type RuntimeOptions } from '../src/runtime.ts'
import { tenantDatabaseName } from '../src/tenant-database/identity.ts'
import { startThrowawayPostgres } from '../test/helpers/throwaway-postgres.ts'

export interface BenchServer {
  server: EmbeddedServer
  masterUrl: string
  /** Connections the server has right now, all clients counted. */
  connections (): Promise<number>
  /** Connections to tenant databases right now: what the pool budget bounds. */
  tenantConnections (): Promise<number>
  /** Sessions ever started on tenant databases, as the server counts them once they have ended. */
  tenantSessions (): Promise<number>
  close (): Promise<void>
}

export async function startServer (settings: Record<string, string | number> = {}): Promise<BenchServer> {
  const server = await startThrowawayPostgres(settings)
  await ensureDatabase(server.url('postgres'), 'bench_master')
  const monitor = postgres(server.url('postgres'), { max: 1, onnotice: () => {} })
  const count = async (tenantsOnly: boolean) => {
    const [row] = await monitor<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
      where backend_type = 'client backend' ${tenantsOnly ? monitor`and datname like 'tenant\_%'` : monitor``}`
    return row?.n ?? 0
  }
  return {
    server,
    masterUrl: server.url('bench_master'),
    connections: () => count(false),
    tenantConnections: () => count(true),
    async tenantSessions () {
      const [row] = await monitor<{ n: number }[]>`
        select coalesce(sum(sessions), 0)::int as n from pg_stat_database where datname like 'tenant\_%'`
      return row?.n ?? 0
    },
    async close () {
      await monitor.end()
      await server.stop()
    },
  }
}

export function benchConfig (masterUrl: string, env: Record<string, string> = {}): RuntimeConfig {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', RATE_LIMIT_MAX: '100000000', ...env })
  return { ...config, databaseUrl: masterUrl, jwtSecret: randomBytes(32).toString('hex'), tenantDbSecret: randomBytes(32).toString('hex') }
}

export async function benchApp (
  masterUrl: string,
  env: Record<string, string> = {},
  options: RuntimeOptions = {},
): Promise<FastifyInstance> {
  return benchAppWith(benchConfig(masterUrl, env), options)
}

/** The app on a runtime of its own, with no request logging; closing the app closes the runtime. */
export async function benchAppWith (config: RuntimeConfig, options: RuntimeOptions = {}): Promise<FastifyInstance> {
  const runtime = await createRuntime(config, options)
  const app = await buildApp(runtime, { logger: false })
  app.addHook('onClose', async () => { await runtime.close() })
  return app
}

export const PASSWORD = 'a sturdy harness phrase 7'

export async function adminToken (app: FastifyInstance): Promise<string> {
  await bootstrapPlatformAdmin(app.runtime.master.users, { email: 'bench@platform.test', password: PASSWORD })
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'bench@platform.test', password: PASSWORD } })
  return response.json().access_token as string
}

/** A provisioned bench tenant: its slug and its owner's access token. */
export interface BenchTenant { slug: string, token: string }

/** Provisions `count` tenants, `concurrency` at a time; returns their slugs and owners' access tokens. */
export async function provisionTenants (app: FastifyInstance, count: number, concurrency = 4): Promise<BenchTenant[]> {
  const slugs = Array.from({ length: count }, (_, i) => `bench_${i.toString().padStart(4, '0')}`)
  const tenants: BenchTenant[] = []
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < slugs.length) {
      const slug = slugs[next++] as string
      const { tenant, owner } = await app.runtime.lifecycle.provision({ slug, name: slug, owner: { email: `owner@${slug}.test`, password: PASSWORD } })
      tenants.push({ slug, token: accessToken(app, { ...owner, tenant: { id: tenant.id, slug } }) })
    }
  }))
  return tenants.sort((a, b) => a.slug.localeCompare(b.slug))
}

/**
 * VACUUM ANALYZE every tenant database, as autovacuum would do in the minutes after they were made: otherwise its
 * workers analyze hundreds of fresh databases while the bench runs, and take turns with whatever is being measured.
 * Vacuuming the catalogs deletes each database's relation cache file (pg_internal.init), which its next backend
 * rebuilds (about 2 ms here); a database in use has one, so by default each gets that next connection now.
 */
export async function analyzeTenants (
  server: BenchServer,
  slugs: string[],
  options: { rebuildRelationCache?: boolean } = {},
): Promise<void> {
  const once = async (slug: string, statement: string) => {
    const sql = postgres(server.server.url(tenantDatabaseName(slug)), { max: 1, onnotice: () => {} })
    try {
      await sql.unsafe(statement)
    } finally {
      await sql.end()
    }
  }
  for (const slug of slugs) {
    await once(slug, 'vacuum analyze')
    if (options.rebuildRelationCache !== false) await once(slug, 'select 1')
  }
}

export function percentile (values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

export function round (value: number, digits = 1): number {
  return Number(value.toFixed(digits))
}

/** Prints the rows as a table and writes `{ bench, when, machine, rows, notes }` to bench/results/<name>.json. */
export async function report (name: string, rows: Array<Record<string, unknown>>, notes: Record<string, unknown> = {}): Promise<void> {
  console.log(`\n${name}`)
  console.table(rows)
  for (const [key, value] of Object.entries(notes)) console.log(`  ${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
  const directory = new URL('./results/', import.meta.url)
  await mkdir(directory, { recursive: true })
  const { cpus, totalmem } = await import('node:os')
  const machine = { cpus: cpus().length, cpu: cpus()[0]?.model, memoryGiB: round(totalmem() / 2 ** 30), node: process.version }
  await writeFile(new URL(`${name}.json`, directory), JSON.stringify({ bench: name, when: new Date().toISOString(), machine, rows, notes }, null, 2) + '\n')
}

/** Zipf-distributed indexes in [0, n): a few tenants get most of the traffic, as in real SaaS. */
export function zipf (n: number, s = 1.1): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / (k + 1) ** s)
  const total = weights.reduce((a, b) => a + b, 0)
  const cumulative: number[] = []
  let sum = 0
  for (const weight of weights) cumulative.push((sum += weight / total))
  return () => {
    const r = Math.random()
    let lo = 0
    let hi = n - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cumulative[mid] as number) < r) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}
