// Tenant lifecycle over HTTP: list with cursors, get, suspend and reactivate, delete and re-create.
import t from 'tap'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { adminToken, bearer, buildTestApp, createTenant, login, STRONG_PASSWORD } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

t.test('list pages through tenants newest first with an opaque cursor; a bad cursor is a 400', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const created = []
  for (let i = 0; i < 5; i++) created.push((await createTenant(app, admin)).slug)
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const response = await app.inject({ method: 'GET', url: `/api/v1/tenants?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`, headers: bearer(admin) })
    t.equal(response.statusCode, 200)
    const body = response.json() as { data: Array<{ slug: string }>, next_cursor: string | null }
    t.ok(body.data.length <= 2)
    seen.push(...body.data.map((tenant) => tenant.slug))
    cursor = body.next_cursor
  } while (cursor !== null)
  t.same(seen, [...created].reverse(), 'every tenant once, newest first')
  for (const bad of ['nope', Buffer.from('["2020-01-01","x"]').toString('base64url'), 'a'.repeat(201)]) {
    const response = await app.inject({ method: 'GET', url: `/api/v1/tenants?cursor=${bad}`, headers: bearer(admin) })
    t.equal(response.statusCode, 400)
  }
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/tenants?limit=101', headers: bearer(admin) })).statusCode, 400)
})

t.test('only a platform admin manages tenants', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/tenants' })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/tenants', headers: bearer(tenant.token) })).statusCode, 403)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(tenant.token) })).statusCode, 403)
})

t.test('suspend closes the pool and refuses requests and logins with 403; reactivate serves again', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200)
  t.equal(app.runtime.connections.stats().openPools, 1)

  const get = await app.inject({ method: 'GET', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })
  t.match(get.json(), { slug: tenant.slug, status: 'active', database: `tenant_${tenant.slug}`, schema_version: tenantMigrations.latestVersion })

  const suspended = await app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin), payload: { status: 'suspended' } })
  t.match(suspended.json(), { status: 'suspended' })
  t.equal(app.runtime.connections.stats().openPools, 0, 'its pool was closed')
  const refused = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })
  t.equal(refused.statusCode, 403)
  t.match(refused.json(), { type: 'urn:tenancy:problem:tenant-suspended' })
  t.equal((await login(app, { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: tenant.slug })).response.statusCode, 403)
  t.equal((await login(app, { email: tenant.ownerEmail, password: 'wrong password here', tenant: tenant.slug })).response.statusCode, 401, 'wrong credentials stay a 401')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tenant.refreshToken } })).statusCode, 401, 'refresh tokens stop at once')

  await app.inject({ method: 'PATCH', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin), payload: { status: 'active', name: 'Renamed' } })
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200)
  t.match((await app.inject({ method: 'GET', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })).json(), { name: 'Renamed', status: 'active' })
})

t.test('delete closes the pool, drops database and role, removes users and tokens; the slug can be created again', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const tenant = await createTenant(app, admin)
  await app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(tenant.token), payload: { title: 'before' } })
  const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })
  t.equal(deleted.statusCode, 204)
  t.equal(app.runtime.connections.stats().openPools, 0)
  const left = await withAdmin(async (sql) => ({
    databases: (await sql`select 1 from pg_database where datname = ${`tenant_${tenant.slug}`}`).length,
    roles: (await sql`select 1 from pg_roles where rolname = ${`tenant_${tenant.slug}`}`).length,
  }))
  t.same(left, { databases: 0, roles: 0 })
  const [users] = await app.runtime.master.sql`select count(*)::int as n from users u join tenants t on t.id = u.tenant_id where t.slug = ${tenant.slug}`
  t.equal(users?.n, 0)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 404, 'its old token finds no tenant')
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: tenant.refreshToken } })).statusCode, 401)
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })).statusCode, 404)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${tenant.slug}`, headers: bearer(admin) })).statusCode, 404)

  const again = await createTenant(app, admin, tenant.slug)
  const notes = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(again.token) })
  t.same(notes.json().data, [], 'a re-created tenant starts empty')
})
