// Login: tenant context from body or header, one indistinguishable 401 for every wrong input, and no timing oracle.
import { performance } from 'node:perf_hooks'
import t from 'tap'
import { adminToken, buildTestApp, createTenant, login, STRONG_PASSWORD } from '../helpers/app.ts'

t.test('tenant users log in with the tenant in the body or X-Tenant; the token carries sub, tid, role, jti', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  for (const [body, headers] of [
    [{ email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: tenant.slug }, {}],
    [{ email: tenant.ownerEmail.toUpperCase(), password: STRONG_PASSWORD }, { 'x-tenant': tenant.slug }],
  ] as const) {
    const { response, tokens } = await login(app, body, headers)
    t.equal(response.statusCode, 200)
    t.match(response.json(), { token_type: 'Bearer', expires_in: app.config.accessTokenTtlSeconds, refresh_token: String })
    const claims = app.jwt.decode<Record<string, unknown>>(tokens.access_token)
    t.match(claims, { tid: tenant.slug, role: 'owner', sub: String, jti: String, exp: Number })
  }
})

t.test('a platform admin logs in without a tenant and its token has no tid', async (t) => {
  const app = await buildTestApp(t)
  const token = await adminToken(app)
  const claims = app.jwt.decode<Record<string, unknown>>(token)
  t.equal(claims?.role, 'platform_admin')
  t.notOk('tid' in (claims ?? {}))
})

t.test('wrong email, wrong password, unknown tenant, deleted tenant: the same 401 body', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  const gone = await createTenant(app, admin)
  await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${gone.slug}`, headers: { authorization: `Bearer ${admin}` } })
  const attempts = [
    { email: 'nobody@nowhere.test', password: STRONG_PASSWORD, tenant: tenant.slug },
    { email: tenant.ownerEmail, password: 'not the password at all', tenant: tenant.slug },
    { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: 'no_such_tenant' },
    { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: 'Invalid Slug!' },
    { email: gone.ownerEmail, password: STRONG_PASSWORD, tenant: gone.slug },
    { email: tenant.ownerEmail, password: STRONG_PASSWORD },
  ]
  const bodies = new Set<string>()
  for (const attempt of attempts) {
    const { response } = await login(app, attempt)
    t.equal(response.statusCode, 401, JSON.stringify(attempt))
    bodies.add(response.body)
  }
  t.equal(bodies.size, 1, 'one body for every failure')
})

t.test('an unknown email costs an argon2 verification like a wrong password does', async (t) => {
  const app = await buildTestApp(t, { LOGIN_RATE_LIMIT_MAX: '1000' })
  const tenant = await createTenant(app, await adminToken(app))
  const time = async (email: string) => {
    const started = performance.now()
    await login(app, { email, password: 'some wrong password', tenant: tenant.slug })
    return performance.now() - started
  }
  // Interleaved, so that whatever else the machine does falls on both alike.
  const samples = { known: [] as number[], unknown: [] as number[] }
  for (let i = 0; i < 9; i++) {
    samples.known.push(await time(tenant.ownerEmail))
    samples.unknown.push(await time('stranger@nowhere.test'))
  }
  const median = (times: number[]) => times.sort((a, b) => a - b)[4] as number
  const known = median(samples.known)
  const unknown = median(samples.unknown)
  // Without the burn the unknown email answers an order of magnitude faster; with it the two are alike.
  t.ok(unknown > known * 0.5, `unknown ${unknown.toFixed(1)} ms vs known ${known.toFixed(1)} ms`)
})

t.test('bad login bodies are 400s', async (t) => {
  const app = await buildTestApp(t)
  for (const payload of [{}, { email: 'a@b.c' }, { password: 'x' }, { email: 5, password: 'x' }, { email: 'a@b.c', password: 'x'.repeat(2000) }]) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload })
    t.equal(response.statusCode, 400, JSON.stringify(payload).slice(0, 60))
  }
})
