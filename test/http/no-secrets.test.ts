// No response body, on any route, ever contains a password hash (or the refresh token hashes the master stores).
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, login } from '../helpers/app.ts'

t.test('a session over every kind of route never sends a password hash', async (t) => {
  const app = await buildTestApp(t)
  const bodies: string[] = []
  app.addHook('onSend', async (_request, _reply, payload) => {
    if (typeof payload === 'string') bodies.push(payload)
    return payload
  })
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  const headers = bearer(tenant.token)
  const member = await app.inject({ method: 'POST', url: '/api/v1/users', headers, payload: { email: 'm@x.test', password: 'member passphrase 3', name: 'M' } })
  const id = member.json().id as string
  const requests = [
    { method: 'GET', url: '/api/v1/users' },
    { method: 'GET', url: `/api/v1/users/${id}` },
    { method: 'PATCH', url: `/api/v1/users/${id}`, payload: { name: 'Em', password: 'another passphrase 4' } },
    { method: 'GET', url: '/api/v1/users/me' },
    { method: 'PATCH', url: '/api/v1/users/me', payload: { name: 'Owner' } },
    { method: 'POST', url: '/api/v1/users', payload: { email: 'm@x.test', password: 'member passphrase 3' } },
    { method: 'POST', url: '/api/v1/users', payload: { email: 'weak@x.test', password: 'password123' } },
  ] as const
  for (const request of requests) await app.inject({ ...request, headers })
  for (const url of ['/api/v1/tenants', `/api/v1/tenants/${tenant.slug}`, '/api/v1/users/me']) await app.inject({ method: 'GET', url, headers: bearer(admin) })
  await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tenant.refreshToken } })
  await login(app, { email: tenant.ownerEmail, password: 'wrong wrong wrong', tenant: tenant.slug })
  await app.inject({ method: 'DELETE', url: `/api/v1/users/${id}`, headers })

  const hashes = (await app.runtime.master.sql<{ hash: string }[]>`select password_hash as hash from users union all select token_hash from refresh_tokens`).map((row) => row.hash)
  t.ok(bodies.length >= 15, `${bodies.length} response bodies inspected`)
  t.ok(hashes.length >= 4, 'there are hashes to look for')
  for (const body of bodies) {
    t.notMatch(body, /\$argon2/, 'no argon2 hash')
    t.notMatch(body, /password_hash|passwordHash|token_hash/, 'no hash field')
    for (const hash of hashes) if (body.includes(hash)) t.fail('a stored hash was sent')
  }
})
