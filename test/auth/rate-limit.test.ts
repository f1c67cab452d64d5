// Rate limits: failed logins per address and per account, requests per tenant; 429 as problem+json with Retry-After.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, login, STRONG_PASSWORD } from '../helpers/app.ts'

t.test('failed logins are limited per client address', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT_MAX: '3' })
  const tenant = await createTenant(app, await adminToken(app))
  const codes = []
  for (let i = 0; i < 4; i++) codes.push((await login(app, { email: `x${i}@x.test`, password: 'wrong password!', tenant: tenant.slug })).response.statusCode)
  t.same(codes, [401, 401, 401, 429])
  const { response } = await login(app, { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: tenant.slug })
  t.equal(response.statusCode, 429, 'even the right password waits')
  t.match(response.headers['content-type'], /problem\+json/)
  t.ok(Number(response.headers['retry-after']) > 0)
})

t.test('failed logins to one account: per address, then ten times that across addresses, never from where it logged in', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT_MAX: '2' })
  // createTenant logs the owner in from inject's default address, 127.0.0.1: a known address for the account.
  const tenant = await createTenant(app, await adminToken(app))
  const attempt = (address: string, password = 'wrong password!') =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: address, payload: { email: tenant.ownerEmail, password, tenant: tenant.slug } })
  t.same([(await attempt('10.0.0.1')).statusCode, (await attempt('10.0.0.1')).statusCode, (await attempt('10.0.0.1')).statusCode], [401, 401, 429],
    'one address gets LOGIN_RATE_LIMIT_MAX tries at an account')
  const spread = []
  for (let i = 0; i < 18; i++) spread.push((await attempt(`10.1.0.${i}`)).statusCode)
  t.same(spread, spread.map(() => 401), 'eighteen more failures from as many addresses: twenty in all')
  t.equal((await attempt('10.2.0.1')).statusCode, 429, 'then the account refuses new addresses for the window')
  t.equal((await attempt('10.2.0.2', STRONG_PASSWORD)).statusCode, 429, 'the right password from a new address waits too')
  t.equal((await attempt('127.0.0.1', STRONG_PASSWORD)).statusCode, 200, 'but the owner logs in from where they logged in before')
})

t.test('requests are limited per tenant: one tenant cannot spend another one\'s budget', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '5' })
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const codes = []
  for (let i = 0; i < 6; i++) {
    const response = await app.inject({ method: 'GET', url: '/api/v1/categories', headers: bearer(a.token) })
    codes.push(response.statusCode)
    t.ok(response.headers['x-ratelimit-limit'] !== undefined && response.headers['x-ratelimit-remaining'] !== undefined)
  }
  t.same(codes, [200, 200, 200, 200, 200, 429])
  const limited = await app.inject({ method: 'GET', url: '/api/v1/categories', headers: bearer(a.token) })
  t.match(limited.json(), { status: 429, type: 'urn:tenancy:problem:rate-limited' })
  t.ok(limited.headers['retry-after'])
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/categories', headers: bearer(b.token) })).statusCode, 200, 'B is unaffected')
})
