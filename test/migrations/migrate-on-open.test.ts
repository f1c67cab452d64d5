// A tenant found behind the latest schema when its pool opens is migrated first, once, even under concurrent requests.
import t from 'tap'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

t.test('a tenant behind is brought up to date by its first request, once', async (t) => {
  const app = await buildTestApp(t, { TENANT_CACHE_TTL_SECONDS: '0' })
  const tenant = await createTenant(app, await adminToken(app))
  app.runtime.connections.evict(tenant.slug)
  // As after a deploy that added a migration: the database has not applied the newest one yet.
  await withAdmin((sql) => sql`delete from drizzle.__drizzle_migrations`, `tenant_${tenant.slug}`)
  await withAdmin((sql) => sql`drop table notes, categories`, `tenant_${tenant.slug}`)
  await app.runtime.master.sql`update tenants set schema_version = 0 where slug = ${tenant.slug}`

  let migrations = 0
  const migrate = app.runtime.migrator.migrate
  app.runtime.migrator.migrate = async (slug) => { migrations++; return migrate(slug) }
  const responses = await Promise.all(Array.from({ length: 20 }, () => app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })))
  t.same(responses.map((response) => response.statusCode), responses.map(() => 200))
  t.equal(migrations, 1, 'migrated once')
  const [row] = await app.runtime.master.sql`select schema_version from tenants where slug = ${tenant.slug}`
  t.equal(row?.schema_version, tenantMigrations.latestVersion, 'the new version is recorded in the master database')
  const created = await app.inject({ method: 'POST', url: '/api/v1/categories', headers: bearer(tenant.token), payload: { name: 'after' } })
  t.equal(created.statusCode, 201, 'tables created by the migration are usable by the tenant role')
})
