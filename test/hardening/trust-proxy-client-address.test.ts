// Proves TRUST_PROXY makes the client address (X-Forwarded-For) the rate-limit key, XFF is ignored without it, and IPv6 /64s share a limit.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { adminToken, buildTestApp, createTenant, STRONG_PASSWORD } from '../helpers/app.ts'

const PROXY = '10.0.0.1'

function failedLogin (app: FastifyInstance, remoteAddress: string, headers: Record<string, string> = {}, email = `nobody-${randomBytes(4).toString('hex')}@x.test`) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress, headers, payload: { email, password: 'wrong password!' } })
}

t.test('TRUST_PROXY=1: failed logins from one client behind the proxy do not lock out another client', async (t) => {
  const app = await buildTestApp(t, { TRUST_PROXY: '1' })
  const tenant = await createTenant(app, await adminToken(app))
  const attacker = { 'x-forwarded-for': '203.0.113.7' }
  const email = `nobody-${randomBytes(4).toString('hex')}@x.test`
  for (let i = 0; i < 10; i++) await failedLogin(app, PROXY, attacker, email)
  t.equal((await failedLogin(app, PROXY, attacker)).statusCode, 429, 'the failing client (203.0.113.7) is limited')

  const other = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    remoteAddress: PROXY,
    headers: { 'x-forwarded-for': '198.51.100.9' },
    payload: { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: tenant.slug },
  })
  t.equal(other.statusCode, 200, `another client (198.51.100.9) behind the same proxy logs in (got ${other.statusCode})`)
})

t.test('TRUST_PROXY=1: the request rate limit is keyed by the client address', async (t) => {
  const app = await buildTestApp(t, { TRUST_PROXY: '1', RATE_LIMIT_MAX: '3' })
  const health = (client: string) => app.inject({ method: 'GET', url: '/health', remoteAddress: PROXY, headers: { 'x-forwarded-for': client } })
  const codes = []
  for (let i = 0; i < 4; i++) codes.push((await health('203.0.113.7')).statusCode)
  t.same(codes, [200, 200, 200, 429], 'one client is limited')
  t.equal((await health('198.51.100.9')).statusCode, 200, 'another client behind the same proxy is not')
})

t.test('without TRUST_PROXY, X-Forwarded-For cannot pick the address that is limited', async (t) => {
  const app = await buildTestApp(t)
  for (let i = 0; i < 10; i++) await failedLogin(app, '192.0.2.50', { 'x-forwarded-for': `198.51.100.${i + 1}` })
  t.equal((await failedLogin(app, '192.0.2.50', { 'x-forwarded-for': '198.51.100.200' })).statusCode, 429, 'the connecting address is locked whatever XFF says')
})

t.test('IPv6 addresses in one /64 share the failed-login limit', async (t) => {
  const app = await buildTestApp(t)
  for (let i = 1; i <= 10; i++) await failedLogin(app, `2001:db8:1:2::${i.toString(16)}`)
  const response = await failedLogin(app, '2001:db8:1:2:ffff:ffff:ffff:fffe')
  t.equal(response.statusCode, 429, `an 11th address of the same /64 is limited (got ${response.statusCode})`)
})

t.test('IPv6 addresses in one /64 share the request rate limit', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '3' })
  const codes = []
  for (let i = 1; i <= 4; i++) codes.push((await app.inject({ method: 'GET', url: '/health', remoteAddress: `2001:db8:7:8::${i}` })).statusCode)
  t.same(codes, [200, 200, 200, 429], 'the 4th address of the same /64 is limited')
})
