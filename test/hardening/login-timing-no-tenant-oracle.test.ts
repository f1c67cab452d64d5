// Proves a failed login costs the same work and time whether or not the named tenant exists (no tenant-existence oracle).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { adminToken, buildTestApp, createTenant, randomSlug } from '../helpers/app.ts'
import { anotherInstance } from '../helpers/instances.ts'
import { startTcpProxy } from '../helpers/net.ts'

/** 600 failed logins in all, half for each kind. */
const PAIRS = 300
const ENV = { RATE_LIMIT_MAX: '1000000', LOGIN_RATE_LIMIT_MAX: '1000000' }

function wrongLogin (app: FastifyInstance, email: string, tenant: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'a wrong passphrase 1', tenant } })
}

/** Statements the master pool sends during `fn`, read from postgres.js's debug hook. */
async function masterQueries (app: FastifyInstance, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  const options = app.runtime.master.sql.options as { debug?: unknown }
  const before = options.debug
  options.debug = (_connection: number, query: string) => { seen.push(query) }
  try {
    await fn()
  } finally {
    options.debug = before
  }
  return seen
}

t.test('a failed login sends as many master queries for an unknown tenant as for an existing one', async (t) => {
  const app = await buildTestApp(t, ENV)
  const tenant = await createTenant(app, await adminToken(app))
  const unknown = randomSlug()
  for (let i = 0; i < 3; i++) { await wrongLogin(app, tenant.ownerEmail, tenant.slug); await wrongLogin(app, tenant.ownerEmail, unknown) }
  const existing = await masterQueries(app, () => wrongLogin(app, tenant.ownerEmail, tenant.slug))
  const missing = await masterQueries(app, () => wrongLogin(app, tenant.ownerEmail, unknown))
  t.ok(existing.length > 0, 'the debug hook sees the master queries')
  t.equal(missing.length, existing.length, `same number of master queries (existing tenant: ${existing.length}, unknown tenant: ${missing.length})`)
})

t.test('failed-login medians for an existing and an unknown tenant differ by less than 0.5 ms (master 1 ms away)', async (t) => {
  // The master reached through a proxy that delays each direction by 1 ms, as a database on another host is.
  const master = await buildTestApp(t, ENV)
  const url = new URL(master.config.databaseUrl as string)
  const proxy = await startTcpProxy(url.hostname, Number(url.port), 1)
  t.teardown(() => proxy.close())
  url.port = String(proxy.port)
  const app = await anotherInstance(t, master, ENV, url.toString())
  const tenant = await createTenant(app, await adminToken(app))
  const unknown = randomSlug()
  for (let i = 0; i < 20; i++) { await wrongLogin(app, tenant.ownerEmail, tenant.slug); await wrongLogin(app, tenant.ownerEmail, unknown) }

  const times: Record<'existing' | 'unknown', number[]> = { existing: [], unknown: [] }
  for (let i = 0; i < PAIRS; i++) {
    // Interleaved, alternating which goes first, so drift in the machine's load hits both alike.
    const order = i % 2 === 0 ? (['existing', 'unknown'] as const) : (['unknown', 'existing'] as const)
    for (const kind of order) {
      const started = process.hrtime.bigint()
      const response = await wrongLogin(app, tenant.ownerEmail, kind === 'existing' ? tenant.slug : unknown)
      times[kind].push(Number(process.hrtime.bigint() - started) / 1e6)
      if (response.statusCode !== 401) throw new Error(`expected 401, got ${response.statusCode}`)
    }
  }
  const median = (values: number[]) => { const sorted = [...values].sort((a, b) => a - b); return ((sorted[PAIRS / 2 - 1] ?? 0) + (sorted[PAIRS / 2] ?? 0)) / 2 }
  const existing = median(times.existing)
  const missing = median(times.unknown)
  t.comment(`median failed login: existing tenant ${existing.toFixed(3)} ms, unknown tenant ${missing.toFixed(3)} ms, difference ${(existing - missing).toFixed(3)} ms`)
  t.ok(Math.abs(existing - missing) < 0.5, `medians differ by less than 0.5 ms (existing ${existing.toFixed(3)} ms, unknown ${missing.toFixed(3)} ms)`)
})
