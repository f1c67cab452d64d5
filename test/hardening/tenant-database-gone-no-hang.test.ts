// Proves requests in flight when a tenant's database goes away (deleted by another instance, or dropped underneath) answer within 2 s.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { adminToken, bearer, buildTestApp, createTenant, type TestTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'
import { anotherInstance, within } from '../helpers/instances.ts'

const DEADLINE_MS = 2000
const CLIENTS = 5

interface Outcome { startedAt: number, ms: number, status: number | 'timeout', retryAfter: boolean, type?: string }

/**
 * CLIENTS loops of GET /notes on `app` for `tenant`, each request raced against DEADLINE_MS, running across
 * `remove()` and for 2.5 s after it. Returns every outcome and the time `remove()` finished.
 */
async function underLoad (app: FastifyInstance, tenant: TestTenant, remove: () => Promise<void>) {
  const outcomes: Outcome[] = []
  let running = true
  const loops = Array.from({ length: CLIENTS }, async () => {
    while (running) {
      const startedAt = performance.now()
      const response = await within(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) }), DEADLINE_MS)
      outcomes.push(response === 'timeout'
        ? { startedAt, ms: performance.now() - startedAt, status: 'timeout', retryAfter: false }
        : { startedAt, ms: performance.now() - startedAt, status: response.statusCode, retryAfter: response.headers['retry-after'] !== undefined, type: response.json<{ type?: string }>().type })
      await new Promise((resolve) => setImmediate(resolve))
    }
  })
  await new Promise((resolve) => setTimeout(resolve, 200))
  await remove()
  const removedAt = performance.now()
  await new Promise((resolve) => setTimeout(resolve, 2500))
  running = false
  await Promise.all(loops)
  return { outcomes, removedAt }
}

/** One more request once the load has stopped. */
async function probe (app: FastifyInstance, tenant: TestTenant): Promise<Outcome> {
  const startedAt = performance.now()
  const response = await within(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) }), DEADLINE_MS)
  const ms = performance.now() - startedAt
  if (response === 'timeout') return { startedAt, ms, status: 'timeout', retryAfter: false }
  return { startedAt, ms, status: response.statusCode, retryAfter: response.headers['retry-after'] !== undefined, type: response.json<{ type?: string }>().type }
}

function describe (outcomes: Outcome[]): string {
  const counts = new Map<string, number>()
  for (const o of outcomes) {
    const key = o.status === 'timeout' ? 'hung' : `${o.status} ${o.type ?? ''}`.trim()
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return [...counts].map(([key, n]) => `${n}x ${key}`).join(', ')
}

t.test('a tenant deleted by instance 2 while instance 1 serves it: prompt 404 (or 401), never a hang', async (t) => {
  const one = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const admin = await adminToken(one)
  const tenant = await createTenant(one, admin)
  const two = await anotherInstance(t, one)
  t.equal((await one.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200, 'instance 1 has a warm pool')

  const { outcomes, removedAt } = await underLoad(one, tenant, async () => {
    t.equal((await two.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })).statusCode, 204, 'instance 2 deletes it')
  })
  const hung = outcomes.filter((o) => o.status === 'timeout')
  t.equal(hung.length, 0, `no request takes over ${DEADLINE_MS} ms (of ${outcomes.length}: ${describe(outcomes)})`)
  // Instance 1 may take up to a second to learn of the deletion; after that, every request is told the tenant is gone.
  const after = outcomes.filter((o) => o.startedAt > removedAt + 1000 && o.status !== 'timeout')
  t.ok(after.length > 0, 'requests were answered from 1 s after the deletion on')
  const wrong = after.filter((o) => o.status !== 404 && o.status !== 401)
  t.equal(wrong.length, 0, `requests from 1 s after the deletion on are 404 or 401 (got ${describe(after)})`)
  const next = await probe(one, tenant)
  t.ok(next.status === 404 || next.status === 401, `the next request is a 404 or 401 within ${DEADLINE_MS} ms (got ${next.status} ${next.type ?? ''} after ${Math.round(next.ms)} ms)`)
})

t.test('a tenant database dropped underneath instance 1 while it serves it: prompt answers, never a hang', async (t) => {
  const one = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const tenant = await createTenant(one, await adminToken(one))
  t.equal((await one.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200, 'instance 1 has a warm pool')

  const { outcomes, removedAt } = await underLoad(one, tenant, async () => {
    await withAdmin((sql) => sql`drop database ${sql(`tenant_${tenant.slug}`)} with (force)`)
  })
  const hung = outcomes.filter((o) => o.status === 'timeout')
  t.equal(hung.length, 0, `no request takes over ${DEADLINE_MS} ms (of ${outcomes.length}: ${describe(outcomes)})`)
  const after = outcomes.filter((o) => o.startedAt > removedAt && o.status !== 'timeout')
  const wrong = after.filter((o) => !(o.status === 404 || (o.status === 503 && o.retryAfter)))
  t.equal(wrong.length, 0, `requests after the drop are 503 with Retry-After (or 404) (got ${describe(after)})`)
  const next = await probe(one, tenant)
  t.ok(next.status === 404 || (next.status === 503 && next.retryAfter), `the next request is a 503 with Retry-After (or 404) within ${DEADLINE_MS} ms (got ${next.status} ${next.type ?? ''} after ${Math.round(next.ms)} ms)`)
})
