// What bench/lean-baseline runs: the tenants and their rows, the baseline's one database with the same rows, and the
// servers, each its own process started as a user would start it.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import postgres from 'postgres'
import { migrateDatabase, tenantMigrations } from '../src/migrations/migrator.ts'
import { tenantDatabaseName } from '../src/tenant-database/identity.ts'
import { freePort } from '../test/helpers/free-port.ts'
import { benchAppWith, benchConfig, provisionTenants } from './harness.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const BASELINE_DATABASE = 'lean_baseline'

/** The servers the bench can run; the first three by default (LEAN_BASELINE_SERVERS picks others). */
export const SERVERS = {
  baseline: 'bare Fastify + @fastify/jwt + one pool of 10 (baseline)',
  product: 'tenancy (npm start)',
  perTenant: 'bare server, a pool of 2 per tenant database (structure only)',
  perTenant1: 'bare server, a pool of 1 per tenant database (structure only)',
  product1: 'tenancy (npm start), POOL_MAX_CONNECTIONS_PER_TENANT=1',
} as const

export type ServerName = keyof typeof SERVERS

export interface ServerProcess { name: ServerName, url: string, pid: number, stop (): Promise<void> }

export interface Secrets { jwtSecret: string, tenantDbSecret: string }

/** The tenants, each with the same notes (distinct created_at, as notes written one by one have), and their tokens. */
export async function provisionAndSeed (
  masterUrl: string, urlOf: (database: string) => string, secrets: Secrets, count: number, notes: number,
) {
  // Long-lived tokens: a profiled run may outlast the default 15 minutes.
  const app = await benchAppWith({ ...benchConfig(masterUrl, { ACCESS_TOKEN_TTL_SECONDS: '86400' }), ...secrets })
  try {
    const tenants = await provisionTenants(app, count)
    for (const tenant of tenants) {
      const sql = postgres(urlOf(tenantDatabaseName(tenant.slug)), { max: 1, onnotice: () => {} })
      try {
        await sql`
          insert into notes (title, content, created_at, updated_at)
          select 'note ' || g, repeat('x', 200), clock_timestamp(), clock_timestamp() from generate_series(1, ${notes}) g`
      } finally {
        await sql.end()
      }
    }
    return tenants
  } finally {
    await app.close()
  }
}

/** The baseline's one database: the tenant schema and the first tenant's rows, copied as they are. */
export async function seedBaseline (urlOf: (database: string) => string, sourceSlug: string): Promise<void> {
  const admin = postgres(urlOf('postgres'), { max: 1, onnotice: () => {} })
  const source = postgres(urlOf(tenantDatabaseName(sourceSlug)), { max: 1, onnotice: () => {} })
  const target = postgres(urlOf(BASELINE_DATABASE), { max: 1, onnotice: () => {} })
  try {
    await admin`create database ${admin(BASELINE_DATABASE)}`
    await migrateDatabase(urlOf(BASELINE_DATABASE), tenantMigrations)
    // As JSON text: through a JS Date, timestamps would lose their microseconds, and the rows their order.
    const [{ rows }] = await source<[{ rows: string }]>`select json_agg(notes)::text as rows from notes`
    await target`
      insert into notes (id, title, content, category_id, created_at, updated_at)
      select id, title, content, category_id, created_at, updated_at from json_populate_recordset(null::notes, ${rows}::text::json)`
    await target`vacuum analyze notes`
  } finally {
    await Promise.all([admin.end(), source.end(), target.end()])
  }
}

/** How each server is started: the product as `npm start` runs it, the bare ones from bench/lean-baseline-server.ts. */
export function commandFor (name: ServerName, urls: { master: string, baseline: string, server: string }, secrets: Secrets) {
  const bare = ['--import', 'tsx', 'bench/lean-baseline-server.ts']
  const product = {
    args: npmStartArguments(),
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: urls.master,
      JWT_SECRET: secrets.jwtSecret,
      TENANT_DB_SECRET: secrets.tenantDbSecret,
      // High enough not to refuse this traffic; the limiter still counts every request.
      RATE_LIMIT_MAX: '1000000000',
    },
  }
  const perTenant = (pool: number) => ({
    args: bare,
    env: { NODE_ENV: 'production', DATABASE_URL: urls.server, JWT_SECRET: secrets.jwtSecret, TENANT_DATABASES: 'per-tenant', TENANT_POOL_MAX: String(pool) },
  })
  switch (name) {
    case 'baseline': return { args: bare, env: { NODE_ENV: 'production', DATABASE_URL: urls.baseline, JWT_SECRET: secrets.jwtSecret } }
    case 'product': return product
    case 'product1': return { args: product.args, env: { ...product.env, POOL_MAX_CONNECTIONS_PER_TENANT: '1' } }
    case 'perTenant': return perTenant(2)
    case 'perTenant1': return perTenant(1)
  }
}

/** What `npm start` passes to node, read from package.json: the bench runs the product exactly as it is started. */
function npmStartArguments (): string[] {
  const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }
  const [command, ...args] = scripts.start.split(' ')
  if (command !== 'node') throw new Error(`npm start runs ${command}, not node: bench/lean-baseline-setup.ts cannot start it the same way`)
  return args
}

/**
 * Spawned asynchronously (the embedded PostgreSQL reads its server's output on this event loop); ready once /health
 * answers. `profileDir` writes V8 CPU profiles of it there.
 */
export async function startProcess (name: ServerName, command: { args: string[], env: Record<string, string> }, children: ChildProcess[],
  profileDir?: string): Promise<ServerProcess> {
  const port = await freePort()
  // One profile per thread (tsx's loader runs in its own); the main thread's is the largest.
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${name}`]
  // Only what the process is given here configures it: nothing of the caller's tenancy environment leaks in.
  const { PATH, HOME, TMPDIR } = process.env
  const child = spawn(process.execPath, [...profile, ...command.args], {
    cwd: ROOT,
    env: { ...(PATH !== undefined && { PATH }), ...(HOME !== undefined && { HOME }), ...(TMPDIR !== undefined && { TMPDIR }), HOST: '127.0.0.1', PORT: String(port), ...command.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  children.push(child)
  const exited = once(child, 'exit')
  const url = `http://127.0.0.1:${port}`
  for (let started = Date.now(); ; await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode} before it served`)
    if (Date.now() - started > 60_000) throw new Error(`${name} did not serve within 60 s`)
    if (await fetch(`${url}/health`).then((response) => response.ok, () => false)) break
  }
  return {
    name,
    url,
    pid: child.pid as number,
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The product's pool counters, from its /metrics: a pool opened while measuring is churn, not the warm path. */
export async function poolCounters (url: string): Promise<{ misses: number, evictions: number }> {
  const text = await (await fetch(`${url}/metrics`)).text()
  // One series per PostgreSQL server (`name{server="default"} 3`): their sum.
  const value = (name: string) => [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))]
    .reduce((sum, match) => sum + Number(match[1]), 0)
  return { misses: value('tenant_pool_misses_total'), evictions: value('tenant_pool_evictions_total') }
}
