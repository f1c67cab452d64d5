// Refresh rotation and theft detection, logout, revocation, and tokens that must not work.
import { createHmac } from 'node:crypto'
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT made by hand: any header, any claims, any key. */
function sign (header: object, body: object, key: string): string {
  const unsigned = `${encode(header)}.${encode(body)}`
  return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
}

async function refresh (app: Awaited<ReturnType<typeof buildTestApp>>, token: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } })
}

t.test('refresh rotates: a new pair, the old token stops working, and reusing it revokes the family', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const first = await refresh(app, tenant.refreshToken)
  t.equal(first.statusCode, 200)
  const pair = first.json() as { access_token: string, refresh_token: string }
  t.not(pair.refresh_token, tenant.refreshToken)
  t.match(app.jwt.decode<Record<string, unknown>>(pair.access_token), { tid: tenant.slug, role: 'owner' })

  const reuse = await refresh(app, tenant.refreshToken)
  t.equal(reuse.statusCode, 401, 'the spent token is refused')
  t.equal((await refresh(app, pair.refresh_token)).statusCode, 401, 'theft detected: its successor is revoked too')
})

t.test('refresh tokens are stored hashed', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const rows = await app.runtime.master.sql`select token_hash from refresh_tokens`
  t.ok(rows.length > 0)
  t.notOk(rows.some((row) => row.token_hash === tenant.refreshToken))
})

t.test('logout revokes; deleting a user ends its refresh tokens at once', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', payload: { refresh_token: tenant.refreshToken } })).statusCode, 204)
  t.equal((await refresh(app, tenant.refreshToken)).statusCode, 401)

  const member = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(tenant.token), payload: { email: 'm@x.test', password: 'member passphrase 1' } })
  const login = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'm@x.test', password: 'member passphrase 1', tenant: tenant.slug } })
  await app.inject({ method: 'DELETE', url: `/api/v1/users/${member.json().id}`, headers: bearer(tenant.token) })
  t.equal((await refresh(app, login.json().refresh_token)).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(login.json().access_token) })).statusCode, 401, 'the deleted user is not found')
})

t.test('forged, expired and tampered access tokens are refused', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const [, payload] = a.token.split('.') as [string, string]
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const forged = {
    'foreign signature': sign({ alg: 'HS256', typ: 'JWT' }, claims, 'someone-elses-secret-of-32-characters!'),
    'alg none': `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`,
    'tid swapped, re-signed with a wrong key': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, tid: b.slug }, 'a-guessed-secret-that-is-32-characters'),
    'tid swapped, signature kept': `${a.token.split('.')[0]}.${encode({ ...claims, tid: b.slug })}.${a.token.split('.')[2]}`,
    expired: sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, app.config.jwtSecret),
    'no exp, signed with the real key': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: undefined }, app.config.jwtSecret),
    "B's slug with A's tenant id, signed with the real key": sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, tid: b.slug }, app.config.jwtSecret),
    'no tenant id, signed with the real key': sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, tenant_id: undefined }, app.config.jwtSecret),
    garbage: 'not.a.token',
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(sign({ alg: 'HS256', typ: 'JWT' }, claims, app.config.jwtSecret)) })).statusCode, 200,
    'the same claims, signed with the real key, are accepted: each case below fails for its one defect')
  for (const [name, token] of Object.entries(forged)) {
    const response = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(token) })
    t.equal(response.statusCode, 401, name)
    t.match(response.headers['content-type'], /problem\+json/)
  }
})

t.test('a token accepted earlier is refused from the moment it expires, though its claims were kept', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const claims = app.jwt.decode<Record<string, unknown>>(tenant.token) as Record<string, unknown>
  const exp = Math.floor(Date.now() / 1000) + 2
  const token = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp }, app.config.jwtSecret)
  const status = async () => (await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(token) })).statusCode
  t.equal(await status(), 200, 'accepted while it is valid')
  t.equal(await status(), 200, 'and again, from what was kept')
  await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 10))
  t.equal(await status(), 401, 'refused once expired')
})

t.test('a kept token is refused once the wall clock passes its exp, though the monotonic clock has not', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const claims = app.jwt.decode<Record<string, unknown>>(tenant.token) as Record<string, unknown>
  const exp = Math.floor(Date.now() / 1000) + 60
  const kept = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp, jti: 'kept' }, app.config.jwtSecret)
  const fresh = sign({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp, jti: 'fresh' }, app.config.jwtSecret)
  const status = async (token: string) => (await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(token) })).statusCode
  t.equal(await status(kept), 200, 'accepted, and kept')
  // The wall clock steps ten minutes forward (an NTP step, a VM resumed from suspend): both are past their exp.
  const realNow = Date.now
  Date.now = () => realNow() + 10 * 60 * 1000
  t.teardown(() => { Date.now = realNow })
  const afterStep = { fresh: await status(fresh), kept: await status(kept) }
  Date.now = realNow
  t.same(afterStep, { fresh: 401, kept: 401 }, 'refused, kept or not')
  t.equal(await status(kept), 200, 'and accepted again once the clock is back: nothing was spoilt')
})

t.test('a token whose signature is spelt another way (the unused bits of its last character set) is refused', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const last = tenant.token.slice(-1)
  // An HS256 signature is 32 bytes: its 43rd character carries 4 bits, and the lowest of its 6 is unused.
  const twin = tenant.token.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]
  const signature = (token: string) => Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')
  t.same(signature(twin), signature(tenant.token), 'the twin decodes to the same signature bytes')
  const status = async (token: string) => (await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(token) })).statusCode
  t.equal(await status(tenant.token), 200)
  t.equal(await status(twin), 401, 'its twin is not the token the server signed')
})
