// Proves a failed login costs the same work and time whether or not the named tenant exists (no tenant-existence oracle).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { adminToken, buildTestApp, createTenant, randomSlug } from '../helpers/app.ts'
import { anotherInstance } from '../helpers/instances.ts'
import { startTcpProxy } from '../helpers/net.ts'

/** 200 failed logins in all, half for each kind. */
const PAIRS = 100
const ENV = { RATE_LIMIT_MAX: '1000000', LOGIN_RATE_LIMIT_MAX: '1000000' }

function wrongLogin (app: FastifyInstance, email: string, tenant: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'a wrong passphrase 1', tenant } })
}

/**
 * What the process sends on its own, on timers, whatever requests are doing: the instance heartbeat and the ping of
 * the tenant events channel. A slow login (argon2 on a loaded machine) can overlap one.
 */
const BACKGROUND = /\binsert into instances\b|\bpg_notify\(/

/** Statements the master pool sends during `fn` for it, read from postgres.js's debug hook. */
async function masterQueries (app: FastifyInstance, fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = []
  const options = app.runtime.master.sql.options as { debug?: unknown }
  const before = options.debug
  options.debug = (_connection: number, query: string) => { if (!BACKGROUND.test(query)) seen.push(query) }
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

/**
 * The master is reached through a proxy that delays each direction by DELAY_MS, as a distant database is: a query one
 * path skips would show as a whole round trip (2 x DELAY_MS) between the two medians. The machine's own noise (argon2
 * under the other test files' load) is far larger than 1 ms per login, so the delay lifts the signal above it rather
 * than more samples; the query counts above say the paths are the same, this says the clock agrees.
 */
const DELAY_MS = 10

t.test(`failed logins take the same time for an existing and an unknown tenant (master ${DELAY_MS} ms away)`, async (t) => {
  const master = await buildTestApp(t, ENV)
  const url = new URL(master.config.databaseUrl)
  const proxy = await startTcpProxy(url.hostname, Number(url.port), DELAY_MS)
  t.teardown(() => proxy.close())
  url.port = String(proxy.port)
  const app = await anotherInstance(t, master, ENV, url.toString())
  const tenant = await createTenant(app, await adminToken(app))
  const unknown = randomSlug()
  for (let i = 0; i < 10; i++) { await wrongLogin(app, tenant.ownerEmail, tenant.slug); await wrongLogin(app, tenant.ownerEmail, unknown) }

  // Pairs measured back to back, alternating which goes first: a drift in the machine's load hits both alike, and the
  // median of the differences cancels it.
  const differences: number[] = []
  for (let i = 0; i < PAIRS; i++) {
    const time = async (slug: string) => {
      const started = performance.now()
      const response = await wrongLogin(app, tenant.ownerEmail, slug)
      if (response.statusCode !== 401) throw new Error(`expected 401, got ${response.statusCode}`)
      return performance.now() - started
    }
    let existing: number
    let missing: number
    if (i % 2 === 0) {
      existing = await time(tenant.slug)
      missing = await time(unknown)
    } else {
      missing = await time(unknown)
      existing = await time(tenant.slug)
    }
    differences.push(existing - missing)
  }
  const sorted = [...differences].sort((a, b) => a - b)
  const median = ((sorted[PAIRS / 2 - 1] as number) + (sorted[PAIRS / 2] as number)) / 2
  t.comment(`median difference (existing - unknown) over ${PAIRS} pairs: ${median.toFixed(2)} ms; a skipped query would be ${2 * DELAY_MS} ms`)
  t.ok(Math.abs(median) < DELAY_MS, `the paths differ by less than half a round trip to the master (${median.toFixed(2)} ms)`)
})
