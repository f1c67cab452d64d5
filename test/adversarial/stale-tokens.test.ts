// The adversarial sweep of stale tokens: a token dies with its tenant on every tenant route (even if the slug is
// reused), and loses its power on every users route with its user's deletion or demotion. (Data routes accept a
// deleted user's token until it expires, ACCESS_TOKEN_TTL_SECONDS at most: see the README.)
import t, { type Test } from 'tap'
import type { TenantRoute } from '../../src/http/tenant-scope/index.ts'
import { adminToken, bearer, buildTestApp, createTenant, login, type TestApp } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'
import { exampleOf, urlsFor } from '../helpers/tenant-fixture.ts'

const ADMIN_PASSWORD = 'admin passphrase 77'

/** Rows in the tenant's own database and its users in the master: compared before and after the attacks. */
async function snapshot (app: TestApp, slug: string) {
  return {
    data: await withAdmin(async (sql) => ({
      categories: await sql`select id, name, updated_at from categories order by id`,
      notes: await sql`select id, title, content, category_id, updated_at from notes order by id`,
    }), `tenant_${slug}`),
    users: await app.runtime.master.sql`select u.id, u.email, u.name, u.role, u.password_hash, u.updated_at from users u join tenants t on t.id = u.tenant_id where t.slug = ${slug} order by u.id`,
  }
}

/** A category, a note and a member in the tenant; returns their ids and the owner's. */
async function seed (app: TestApp, token: string) {
  const post = async (url: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url, headers: bearer(token), payload })
    if (response.statusCode !== 201) throw new Error(`seeding ${url} failed: ${response.statusCode} ${response.body}`)
    return (response.json() as { id: string }).id
  }
  const category = await post('/api/v1/categories', { name: 'seed category' })
  const note = await post('/api/v1/notes', { title: 'seed note', content: 'seed', category_id: category })
  const member = await post('/api/v1/users', { email: 'mo@seed.test', password: 'sturdy passphrase 9' })
  const owner = ((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) })).json() as { id: string }).id
  return { category, note, member, owner }
}

/**
 * A body the handler accepts, so only the token can be the reason for a refusal: a role asks for the least power, a
 * category is a real one, a name is not part of the password.
 */
function payloadFor (route: TenantRoute, categoryId: string): object | undefined {
  if (route.schema?.body === undefined) return undefined
  const body = exampleOf(route.schema.body) as Record<string, unknown>
  if ('role' in body) body.role = 'member'
  if ('category_id' in body) body.category_id = categoryId
  if ('name' in body) body.name = 'Swept Name'
  return body
}

/** Reads first, then writes, deletions last: every route meets the rows while they still exist. */
const ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']

async function sweep (
  t: Test,
  app: TestApp,
  routes: TenantRoute[],
  token: string,
  ids: { category: string, all: string[] },
  allowed: number[],
) {
  let requests = 0
  for (const route of [...routes].sort((x, y) => ORDER.indexOf(x.method) - ORDER.indexOf(y.method))) {
    const payload = payloadFor(route, ids.category)
    for (const url of urlsFor(route, ids.all)) {
      const response = await app.inject({ method: route.method, url, headers: bearer(token), ...(payload !== undefined && { payload }) })
      requests++
      t.ok(allowed.includes(response.statusCode), `${route.method} ${url}: refused with ${allowed.join(' or ')} (got ${response.statusCode})`)
    }
  }
  return requests
}

t.test('a token of a deleted tenant does nothing to a new tenant that reuses its slug', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const admin = await adminToken(app)
  const old = await createTenant(app, admin)
  const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${old.slug}`, headers: bearer(admin) })
  t.equal(deleted.statusCode, 204, 'tenant X deleted')
  const reborn = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug: old.slug, name: 'New X', owner: { email: 'new-owner@x.test', password: 'new owner passphrase 5' } },
  })
  t.equal(reborn.statusCode, 201, 'a new tenant with the same slug is created')
  const newOwner = (await login(app, { email: 'new-owner@x.test', password: 'new owner passphrase 5', tenant: old.slug })).tokens.access_token
  const ids = await seed(app, newOwner)
  const before = await snapshot(app, old.slug)

  const requests = await sweep(t, app, app.tenantRoutes, old.token, { category: ids.category, all: Object.values(ids) }, [401, 404])
  t.ok(requests >= app.tenantRoutes.length, `${requests} requests with the dead tenant's token`)
  for (const method of ['GET', 'PATCH'] as const) {
    const me = await app.inject({ method, url: '/api/v1/users/me', headers: bearer(old.token), ...(method === 'PATCH' && { payload: { name: 'Swept Name' } }) })
    t.ok([401, 404].includes(me.statusCode), `${method} /api/v1/users/me: refused with 401 or 404 (got ${me.statusCode})`)
  }
  t.same(await snapshot(app, old.slug), before, "the new tenant's rows and users are unchanged")
})

/** An owner, a member, and an admin holding a token; `change` then takes the admin's power away. */
async function adminThenChange (t: Test, change: (app: TestApp, owner: string, adminId: string) => Promise<number>) {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const tenant = await createTenant(app, await adminToken(app))
  const ids = await seed(app, tenant.token)
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/users',
    headers: bearer(tenant.token),
    payload: { email: 'ada@staff.test', password: ADMIN_PASSWORD, role: 'admin' },
  })
  t.equal(created.statusCode, 201, 'an admin is created')
  const adminId = (created.json() as { id: string }).id
  const adminAccess = (await login(app, { email: 'ada@staff.test', password: ADMIN_PASSWORD, tenant: tenant.slug })).tokens.access_token
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(adminAccess) })).statusCode, 200, 'the admin may list users while an admin')
  t.equal(await change(app, tenant.token, adminId), 200, 'the owner takes the admin\'s power away')
  const userRoutes = app.tenantRoutes.filter((route) => route.url.startsWith('/api/v1/users'))
  t.ok(userRoutes.length >= 5, `${userRoutes.length} /api/v1/users routes swept`)
  return { app, slug: tenant.slug, ids: { category: ids.category, all: [ids.member, ids.owner] }, adminAccess, userRoutes }
}

t.test('a deleted admin\'s token is refused by every /api/v1/users route and changes nothing', async (t) => {
  const { app, slug, ids, adminAccess, userRoutes } = await adminThenChange(t, async (app, owner, adminId) => {
    const response = await app.inject({ method: 'DELETE', url: `/api/v1/users/${adminId}`, headers: bearer(owner) })
    return response.statusCode === 204 ? 200 : response.statusCode
  })
  const before = await snapshot(app, slug)
  await sweep(t, app, userRoutes, adminAccess, ids, [401, 403])
  t.same(await snapshot(app, slug), before, 'no user created, changed or removed')
})

t.test('a demoted admin\'s token is refused by every /api/v1/users route and changes nothing', async (t) => {
  const { app, slug, ids, adminAccess, userRoutes } = await adminThenChange(t, async (app, owner, adminId) =>
    (await app.inject({ method: 'PATCH', url: `/api/v1/users/${adminId}`, headers: bearer(owner), payload: { role: 'member' } })).statusCode)
  const before = await snapshot(app, slug)
  await sweep(t, app, userRoutes, adminAccess, ids, [403, 401])
  t.same(await snapshot(app, slug), before, 'no user created, changed or removed')
})
