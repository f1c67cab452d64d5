// Proves that changing a password needs the current one and that password, role and user changes revoke the user's sessions.
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { adminToken, bearer, buildTestApp, createTenant, login, STRONG_PASSWORD } from '../helpers/app.ts'

const NEW_PASSWORD = 'a brand new passphrase 77'

function refresh (app: FastifyInstance, token: string) {
  return app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } })
}

async function addUser (app: FastifyInstance, ownerToken: string, slug: string, role: 'admin' | 'member') {
  const email = `${role}-user@${slug}.test`
  const password = `${role} has a passphrase 5`
  const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(ownerToken), payload: { email, password, role } })
  if (created.statusCode !== 201) throw new Error(`user creation failed: ${created.body}`)
  const { tokens } = await login(app, { email, password, tenant: slug })
  return { id: (created.json() as { id: string }).id, ...tokens }
}

t.test('PATCH /users/me {password} requires the right current password', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const patch = (payload: Record<string, string>) => app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(tenant.token), payload })

  const without = await patch({ password: NEW_PASSWORD })
  t.ok([400, 403].includes(without.statusCode), `without current_password: 400 or 403 (got ${without.statusCode})`)
  const wrong = await patch({ password: NEW_PASSWORD, current_password: 'not the password at all' })
  t.ok([401, 403].includes(wrong.statusCode), `with a wrong current_password: 401 or 403 (got ${wrong.statusCode} ${wrong.body})`)
  const right = await patch({ password: NEW_PASSWORD, current_password: STRONG_PASSWORD })
  t.equal(right.statusCode, 200, `with the right current_password: 200 (got ${right.body})`)
})

t.test('an own password change revokes the other sessions and earlier access tokens', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const other = (await login(app, { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: tenant.slug })).tokens
  const changed = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(tenant.token), payload: { password: NEW_PASSWORD, current_password: STRONG_PASSWORD } })
  t.equal(changed.statusCode, 200, `the password change succeeds (got ${changed.statusCode} ${changed.body})`)

  t.equal((await refresh(app, other.refresh_token)).statusCode, 401, "another login's refresh token is refused")
  const users = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(other.access_token) })
  t.ok([401, 403].includes(users.statusCode), `an access token from before the change cannot list users (got ${users.statusCode})`)
})

t.test("an owner resetting a user's password revokes that user's refresh tokens", async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const member = await addUser(app, tenant.token, tenant.slug, 'member')
  const reset = await app.inject({ method: 'PATCH', url: `/api/v1/users/${member.id}`, headers: bearer(tenant.token), payload: { password: NEW_PASSWORD } })
  t.equal(reset.statusCode, 200)
  t.equal((await refresh(app, member.refresh_token)).statusCode, 401, "the member's refresh token is refused")
})

t.test("demoting an admin revokes the admin's refresh token and old access token", async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const admin = await addUser(app, tenant.token, tenant.slug, 'admin')
  const demoted = await app.inject({ method: 'PATCH', url: `/api/v1/users/${admin.id}`, headers: bearer(tenant.token), payload: { role: 'member' } })
  t.equal(demoted.statusCode, 200)
  t.equal((await refresh(app, admin.refresh_token)).statusCode, 401, "the demoted admin's refresh token is refused")
  const users = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(admin.access_token) })
  t.ok([401, 403].includes(users.statusCode), `the admin-role access token no longer lists users (got ${users.statusCode})`)
})

t.test("deleting a user revokes the user's refresh token", async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const member = await addUser(app, tenant.token, tenant.slug, 'member')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${member.id}`, headers: bearer(tenant.token) })).statusCode, 204)
  t.equal((await refresh(app, member.refresh_token)).statusCode, 401, "the deleted user's refresh token is refused")
})
