// Proves clients cannot pick request ids, X-Tenant must match the token on /users/me, and another instance's suspend/delete is seen in 1 s.
import { Writable } from 'node:stream'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createLogger } from '../../src/logging.ts'
import { adminToken, bearer, buildTestApp, createTenant, type TestTenant } from '../helpers/app.ts'
import { anotherInstance, within } from '../helpers/instances.ts'

t.test('a client-chosen x-request-id is not used as the request id', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done() } })
  const app = await buildTestApp(t, {}, { log: createLogger('info', stream) })
  const response = await app.inject({ method: 'GET', url: '/health', headers: { 'x-request-id': 'attacker-chosen' } })
  t.equal(response.statusCode, 200)
  const ids = lines.map((line) => (JSON.parse(line) as { reqId?: string }).reqId).filter((id) => id !== undefined)
  t.ok(ids.length > 0, 'the request was logged with an id')
  t.notOk(ids.includes('attacker-chosen'), `the logged request id is not the client's (logged: ${[...new Set(ids)].join(', ')})`)
  t.not(response.headers['x-request-id'], 'attacker-chosen', 'nor is it echoed back')
})

t.test('GET /users/me with an X-Tenant naming another tenant is a 403', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const response = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: { ...bearer(a.token), 'x-tenant': b.slug } })
  t.equal(response.statusCode, 403, `X-Tenant must match the token (got ${response.statusCode})`)
})

/** Polls GET /notes on `app` until it answers `status`, for at most `ms`; each request is raced against the time left. */
async function answersWithin (app: FastifyInstance, tenant: TestTenant, status: number, ms: number) {
  const deadline = performance.now() + ms
  const seen: string[] = []
  while (performance.now() < deadline) {
    const response = await within(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) }), Math.max(1, deadline - performance.now()))
    if (response === 'timeout') { seen.push('no answer'); break }
    if (response.statusCode === status) return { ok: true, seen }
    seen.push(`${response.statusCode} ${response.json<{ type?: string }>().type ?? ''}`.trim())
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return { ok: false, seen: [...new Set(seen)] }
}

t.test('a tenant suspended on instance 2 is a 403 on instance 1 within 1 s', async (t) => {
  const one = await buildTestApp(t)
  const admin = await adminToken(one)
  const tenant = await createTenant(one, admin)
  const two = await anotherInstance(t, one)
  t.equal((await one.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200, 'instance 1 serves it (and caches it)')
  t.equal((await two.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin), payload: { status: 'suspended' } })).statusCode, 200)
  const result = await answersWithin(one, tenant, 403, 1000)
  t.ok(result.ok, `instance 1 answers 403 within 1 s (it answered: ${result.seen.join(', ')})`)
})

t.test('a tenant deleted on instance 2 is a 404 on instance 1 within 1 s', async (t) => {
  const one = await buildTestApp(t)
  const admin = await adminToken(one)
  const tenant = await createTenant(one, admin)
  const two = await anotherInstance(t, one)
  t.equal((await one.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200, 'instance 1 serves it (and caches it)')
  t.equal((await two.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })).statusCode, 204)
  const result = await answersWithin(one, tenant, 404, 1000)
  t.ok(result.ok, `instance 1 answers 404 within 1 s (it answered: ${result.seen.join(', ')})`)
})
