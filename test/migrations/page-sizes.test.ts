// A tenant made before notes kept their size (tenant migration 0002) gets every existing note's size from the
// migration, and its pages are cut at the budget from then on.
import t from 'tap'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

t.test('migration 0002 sizes the notes a tenant already has', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const database = `tenant_${tenant.slug}`
  const contents = ['plain', '\u0001 escaped \n "quoted"', '€ and 😀', null]
  for (const content of contents) {
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'before', content } })).statusCode, 201)
  }
  // Twelve notes of 100,000 characters, and the schema as it was before 0002.
  await withAdmin(async (sql) => {
    await sql`insert into notes (title, content) select 'large ' || g, repeat('x', 100000) from generate_series(1, 12) g`
    await sql`alter table notes drop column text_bytes`
    await sql`drop function json_string_bytes(text)`
    await sql`delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`
  }, database)
  await app.runtime.master.sql`update tenants set schema_version = ${tenantMigrations.latestVersion - 1} where slug = ${tenant.slug}`
  app.runtime.connections.evict(tenant.slug)

  const migrated = await app.runtime.migrator.migrate({ slug: tenant.slug, serverId: app.runtime.servers.default().id })
  t.equal(migrated, tenantMigrations.latestVersion)
  const rows = await withAdmin((sql) => sql<Array<{ title: string, content: string | null, bytes: number }>>`
    select title, content, text_bytes as bytes from notes`, database)
  t.equal(rows.length, contents.length + 12)
  const written = (text: string | null) => text === null ? 0 : Buffer.byteLength(JSON.stringify(text))
  t.same(rows.filter((row) => row.bytes !== written(row.title) + written(row.content)), [], 'each note\'s size is its text as JSON writes it')

  const listed = await app.inject({ method: 'GET', url: '/api/v1/notes?limit=100', headers })
  t.equal(listed.statusCode, 200)
  t.equal(listed.json().data.length, 10, 'a page holds the 10 large notes the budget fits')
})
