// Provisioning over HTTP: what a 201 guarantees, races on one slug, a failure at every step, and a crash mid-way.
import t from 'tap'
import { randomUUID } from 'node:crypto'
import { PROVISIONING_STEPS, type ProvisioningStep } from '../../src/lifecycle/provisioner.ts'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { TENANT_SCRAM_ITERATIONS } from '../../src/tenant-database/identity.ts'
import { adminToken, bearer, buildTestApp, createTenant, login, randomSlug, STRONG_PASSWORD, type TestApp } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

function provision (app: TestApp, admin: string, slug: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug, name: 'Acme', owner: { email: `owner@${slug}.test`, password: STRONG_PASSWORD } },
  })
}

async function serverState (slug: string) {
  return withAdmin(async (sql) => {
    const [database] = await sql`select datconnlimit, pg_get_userbyid(datdba) as owner, datacl::text as acl from pg_database where datname = ${`tenant_${slug}`}`
    const [role] = await sql`select rolconnlimit, rolsuper, rolcreatedb, rolcreaterole, rolpassword from pg_authid where rolname = ${`tenant_${slug}`}`
    return { database, role }
  })
}

async function tenantRow (app: TestApp, slug: string) {
  const [row] = await app.runtime.master.sql`select status, schema_version from tenants where slug = ${slug}`
  return row
}

t.test('a 201 means: database migrated and seeded, owned by the admin, reached by its own capped role, closed to PUBLIC, owner can log in', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const slug = randomSlug()
  const response = await provision(app, admin, slug)
  t.equal(response.statusCode, 201)
  t.match(response.json(), {
    tenant: { slug, status: 'active', database: `tenant_${slug}`, schema_version: tenantMigrations.latestVersion },
    owner: { email: `owner@${slug}.test`, role: 'owner', tenant: slug },
  })
  const { database, role } = await serverState(slug)
  const limit = app.config.pool.maxConnectionsPerTenant + 2
  const [{ admin: adminRole }] = await withAdmin((sql) => sql`select current_user as admin`) as [{ admin: string }]
  t.match(database, { owner: adminRole, datconnlimit: limit })
  t.notMatch(database?.acl, /(^|[{,])=/, 'PUBLIC has no privileges on the database')
  t.match(database?.acl, new RegExp(`tenant_${slug}=c/`), 'the tenant role may only connect')
  t.match(role, { rolconnlimit: limit, rolsuper: false, rolcreatedb: false, rolcreaterole: false })
  t.match(role?.rolpassword, new RegExp(`^SCRAM-SHA-256\\$${TENANT_SCRAM_ITERATIONS}:[A-Za-z0-9+/=]{24}\\$`), 'a SCRAM verifier with our round count, never a plain or md5 password')

  const { response: owner, tokens } = await login(app, { email: `owner@${slug}.test`, password: STRONG_PASSWORD, tenant: slug })
  t.equal(owner.statusCode, 200)
  const categories = await app.inject({ method: 'GET', url: '/api/v1/categories', headers: bearer(tokens.access_token) })
  t.same(categories.json().data.map((c: { name: string }) => c.name).sort(), ['General', 'Personal', 'Work'])
})

t.test('bad slugs are a 400 and create nothing', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  for (const slug of ['ab', 'Acme', '1acme', 'acme-corp', 'a'.repeat(41), 'x"; drop database postgres; --', 'tenant\u0000']) {
    const response = await provision(app, admin, slug)
    t.equal(response.statusCode, 400, JSON.stringify(slug))
    t.match(response.headers['content-type'], /problem\+json/)
  }
  const [row] = await app.runtime.master.sql`select count(*)::int as n from tenants`
  t.equal(row?.n, 0)
})

t.test('20 concurrent creations of one slug: exactly one 201, the rest 409, one database', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const slug = randomSlug()
  const responses = await Promise.all(Array.from({ length: 20 }, () => provision(app, admin, slug)))
  const codes = responses.map((response) => response.statusCode)
  t.equal(codes.filter((code) => code === 201).length, 1, 'one 201')
  t.equal(codes.filter((code) => code === 409).length, 19, 'nineteen 409s')
  const [row] = await withAdmin((sql) => sql`select count(*)::int as n from pg_database where datname = ${`tenant_${slug}`}`)
  t.equal(row?.n, 1)
  t.match(await tenantRow(app, slug), { status: 'active' })
})

t.test('different slugs provision concurrently without errors', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const slugs = Array.from({ length: 6 }, () => randomSlug())
  const responses = await Promise.all(slugs.map((slug) => provision(app, admin, slug)))
  t.same(responses.map((response) => response.statusCode), slugs.map(() => 201))
})

for (const failing of PROVISIONING_STEPS) {
  t.test(`a failure at "${failing}" rolls everything back and the slug can be retried`, async (t) => {
    let fail: ProvisioningStep | undefined = failing
    const app = await buildTestApp(t, {}, {
      beforeStep: (step) => { if (step === fail) throw new Error(`injected failure at ${step}`) },
    })
    const admin = await adminToken(app)
    const slug = randomSlug()
    const failed = await provision(app, admin, slug)
    t.equal(failed.statusCode, 503)
    t.ok(failed.headers['retry-after'])
    t.match(failed.json(), { type: 'urn:tenancy:problem:provisioning-failed', detail: new RegExp(`"${failing}"`) })
    t.notMatch(failed.body, 'injected failure', 'internal error text is not shown')
    t.same(await serverState(slug), { database: undefined, role: undefined }, 'no orphan database or role')
    t.equal(await tenantRow(app, slug), undefined, 'the slug is free again')
    const [users] = await app.runtime.master.sql`select count(*)::int as n from users where email = ${`owner@${slug}.test`}`
    t.equal(users?.n, 0, 'no orphan owner')

    fail = undefined
    t.equal((await provision(app, admin, slug)).statusCode, 201, 'a retry succeeds')
  })
}

t.test('a process killed mid-provisioning leaves nothing that blocks the slug', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const slug = randomSlug()
  // What a crash after "create-database" leaves: a provisioning row, a role and a database.
  const [server] = await app.runtime.master.sql`select id from database_servers`
  await app.runtime.master.sql`insert into tenants (slug, name, database_name, server_id, status, provisioning_step) values (${slug}, 'Crashed', ${`tenant_${slug}`}, ${server?.id}, 'provisioning', 'create-database')`
  await withAdmin(async (sql) => {
    await sql`create role ${sql(`tenant_${slug}`)} login`
    await sql`create database ${sql(`tenant_${slug}`)} owner ${sql(`tenant_${slug}`)}`
  })
  t.equal((await provision(app, admin, slug)).statusCode, 201, 'a retry of the same slug completes')
  t.match(await tenantRow(app, slug), { status: 'active' })
})

t.test('on start-up, work left by a crashed process is cleaned up', async (t) => {
  const first = await buildTestApp(t)
  const slug = randomSlug()
  const [server] = await first.runtime.master.sql`select id from database_servers`
  await first.runtime.master.sql`insert into tenants (id, slug, name, database_name, server_id, status) values (${randomUUID()}, ${slug}, 'Crashed', ${`tenant_${slug}`}, ${server?.id}, 'provisioning')`
  // Before any step was recorded, only a role carrying this installation's mark is known to be its own (create-role writes it).
  const [installation] = await first.runtime.master.sql<{ id: string }[]>`select id from installation`
  await withAdmin(async (sql) => {
    await sql`create role ${sql(`tenant_${slug}`)} login`
    await sql.unsafe(`comment on role "tenant_${slug}" is 'tenancy:${installation?.id}'`)
  })
  const recovered = await first.runtime.lifecycle.recover()
  t.same(recovered, [slug])
  t.equal(await tenantRow(first, slug), undefined)
  t.same(await serverState(slug), { database: undefined, role: undefined })
})

t.test('a tenant role cannot connect to another tenant database nor to the master database', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const { default: postgres } = await import('postgres')
  const { tenantRolePassword } = await import('../../src/tenant-database/identity.ts')
  const server = new URL(process.env.TEST_DATABASE_URL as string)
  const as = (slug: string, database: string) => postgres({
    host: server.hostname, port: Number(server.port), database, username: `tenant_${slug}`, password: tenantRolePassword(app.config.tenantDbSecret, slug), max: 1, onnotice: () => {},
  })
  const own = as(a.slug, `tenant_${a.slug}`)
  t.same(await own`select current_user as role`, [{ role: `tenant_${a.slug}` }], 'A connects to its own database with the derived password')
  await own.end()
  for (const database of [`tenant_${b.slug}`, app.masterDatabaseName]) {
    const other = as(a.slug, database)
    await t.rejects(other`select 1`, { code: '42501' }, `A is refused by ${database}`)
    await other.end()
  }
  const wrong = postgres({ host: server.hostname, port: Number(server.port), database: `tenant_${a.slug}`, username: `tenant_${a.slug}`, password: 'guess', max: 1 })
  await t.rejects(wrong`select 1`, { code: '28P01' }, 'password authentication is enforced')
  await wrong.end()
})

t.test('a creation that times out waiting for its turn on the server leaves no reserved row behind', async (t) => {
  // The server's admin turns (two) are held by creations parked before their first step; a third reserves its row,
  // then cannot get a turn before its deadline and answers 503 lifecycle-busy.
  let release!: () => void
  const parked = new Promise<void>((resolve) => { release = resolve })
  let arrived = 0
  const app = await buildTestApp(t, { REQUEST_TIMEOUT: '1s' }, {
    beforeStep: async (step, slug) => {
      if (step === 'clear-leftovers' && slug.startsWith('park_')) {
        arrived++
        await parked
      }
    },
  })
  const admin = await adminToken(app)
  const holders = [randomSlug('park_'), randomSlug('park_')].map((slug) => provision(app, admin, slug))
  while (arrived < 2) await new Promise((resolve) => setTimeout(resolve, 10))
  const slug = randomSlug()
  const busy = await provision(app, admin, slug)
  t.equal(busy.statusCode, 503)
  t.match(busy.json(), { type: 'urn:tenancy:problem:lifecycle-busy' }, 'the busy error is answered as such')
  t.equal(await tenantRow(app, slug), undefined, 'the reserved row was discarded')
  release()
  await Promise.all(holders)

  const [left] = await app.runtime.master.sql`select count(*)::int as n from tenants where status = 'provisioning'`
  t.equal(left?.n, 0, 'no tenant is left half-made')
  const list = await app.inject({ method: 'GET', url: '/api/v1/tenants', headers: bearer(admin) })
  t.notOk(JSON.stringify(list.json()).includes(slug), 'the failed tenant is not listed')
  const [counted] = await app.runtime.master.sql`select count(*)::int as n from tenants`
  const [real] = await app.runtime.master.sql`select count(*)::int as n from tenants where status = 'active'`
  t.equal(counted?.n, real?.n, 'the server counts only real tenants')
  t.equal((await provision(app, admin, slug)).statusCode, 201, 'the slug can be created afterwards')
})
