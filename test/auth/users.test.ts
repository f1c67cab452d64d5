// Users: /users/me for everyone, /users for owners and admins of their own tenant only, roles enforced in one place.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, login, STRONG_PASSWORD } from '../helpers/app.ts'

t.test('GET/PATCH /users/me; nobody changes their own role there', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const me = await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tenant.token) })
  t.match(me.json(), { email: tenant.ownerEmail, role: 'owner', tenant: tenant.slug, name: null })
  const demoted = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(tenant.token), payload: { name: 'Olive', role: 'member' } })
  t.equal(demoted.statusCode, 400, 'a role in the body is refused')
  const renamed = await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(tenant.token), payload: { name: 'Olive' } })
  t.equal(renamed.statusCode, 200)
  t.match(renamed.json(), { name: 'Olive', role: 'owner' }, 'the role is unchanged')
  t.equal((await app.inject({ method: 'PATCH', url: '/api/v1/users/me', headers: bearer(tenant.token), payload: { role: 'platform_admin' } })).statusCode, 400)
  const change = (password: string, current?: string) => app.inject({
    method: 'PATCH', url: '/api/v1/users/me', headers: bearer(tenant.token), payload: { password, ...(current !== undefined && { current_password: current }) },
  })
  t.equal((await change('a new long passphrase')).statusCode, 400, 'a new password needs the current one')
  t.equal((await change('a new long passphrase', 'not the password')).statusCode, 403, 'the right current one')
  t.equal((await change('short', STRONG_PASSWORD)).statusCode, 400)
  t.equal((await change('a new long passphrase', STRONG_PASSWORD)).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tenant.token) })).statusCode, 401, 'every session ended, this one too')
  t.equal((await login(app, { email: tenant.ownerEmail, password: 'a new long passphrase', tenant: tenant.slug })).response.statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me' })).statusCode, 401)
})

t.test('the password policy refuses short, common and self-describing passwords with a clear 400', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  for (const password of ['short', 'password123', 'aaaaaaaaaaaa', 'newperson-secret']) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(tenant.token), payload: { email: 'newperson@x.test', password } })
    t.equal(response.statusCode, 400, password)
    t.match(response.json(), { type: 'urn:tenancy:problem:weak-password', detail: String })
  }
})

t.test('owners and admins manage their own tenant; members cannot; other tenants are invisible', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(a.token), payload: { email: 'Mia@A.test', password: 'mia passphrase 1', name: 'Mia' } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { email: 'mia@a.test', role: 'member', tenant: a.slug })
  const mia = created.json() as { id: string }
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(a.token), payload: { email: 'mia@a.test', password: 'mia passphrase 1' } })).statusCode, 409)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(b.token), payload: { email: 'mia@a.test', password: 'mia passphrase 2' } })).statusCode, 201, 'the same email may exist in another tenant')

  const miaToken = (await login(app, { email: 'mia@a.test', password: 'mia passphrase 1', tenant: a.slug })).tokens.access_token
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(miaToken) })).statusCode, 403, 'members cannot list users')
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/users/${mia.id}`, headers: bearer(b.token) })).statusCode, 404, "another tenant's user is a 404")
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${mia.id}`, headers: bearer(b.token), payload: { name: 'x' } })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${mia.id}`, headers: bearer(b.token) })).statusCode, 404)
  const list = await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(a.token) })
  t.same(list.json().data.map((user: { email: string }) => user.email).sort(), [a.ownerEmail, 'mia@a.test'].sort())

  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(a.token), payload: { email: 'root2@a.test', password: 'root passphrase 1', role: 'platform_admin' } })).statusCode, 400, 'no platform admin from a tenant')
  const promoted = await app.inject({ method: 'PATCH', url: `/api/v1/users/${mia.id}`, headers: bearer(a.token), payload: { role: 'admin' } })
  t.match(promoted.json(), { role: 'admin' })
  const adminMia = (await login(app, { email: 'mia@a.test', password: 'mia passphrase 1', tenant: a.slug })).tokens.access_token
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(adminMia), payload: { email: 'o2@a.test', password: 'owner passphrase 2', role: 'owner' } })).statusCode, 403, 'an admin cannot make an owner')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(adminMia) })).statusCode, 200)
})

t.test('the last owner can be neither removed nor demoted', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const ownerId = (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tenant.token) })).json().id as string
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${ownerId}`, headers: bearer(tenant.token) })).statusCode, 409)
  const second = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(tenant.token), payload: { email: 'co@x.test', password: 'co-owner passphrase', role: 'owner' } })
  t.equal(second.statusCode, 201)
  t.equal((await app.inject({ method: 'PATCH', url: `/api/v1/users/${ownerId}`, headers: bearer(tenant.token), payload: { role: 'member' } })).statusCode, 403, 'not your own role')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/users/${second.json().id}`, headers: bearer(tenant.token) })).statusCode, 204)
})

t.test('a platform admin is not a tenant user', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(admin) })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(admin) })).statusCode, 403)
  t.match((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(admin) })).json(), { role: 'platform_admin', tenant: null })
  t.ok(STRONG_PASSWORD)
})
