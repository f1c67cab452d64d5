// A tenant made before the admin owned tenant databases (its role owned the database, and could plant a search_path and
// objects for the admin to run) is brought to the new ownership by the next migration, `tenancy migrate` or on open.
import postgres from 'postgres'
import t from 'tap'
import { tenantMigrations } from '../../src/migrations/migrator.ts'
import { tenantRolePassword } from '../../src/tenant-database/identity.ts'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { serverUrl, withAdmin } from '../helpers/database.ts'

t.test('the ownership migration takes back a legacy tenant database and undoes what its role planted', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const database = `tenant_${tenant.slug}`
  const server = new URL(serverUrl())
  const asTenant = postgres({
    host: server.hostname,
    port: Number(server.port),
    database,
    username: database,
    password: tenantRolePassword(app.config.tenantDbSecret, tenant.slug),
    max: 1,
    onnotice: () => {},
  })
  t.teardown(() => asTenant.end({ timeout: 1 }))

  // What an older version made, and what its tenant role could then do to it.
  await withAdmin(async (sql) => { await sql`alter database ${sql(database)} owner to ${sql(database)}` })
  await asTenant`create schema evil`
  await asTenant.unsafe('create function evil.lower(text) returns text language sql as $$ select \'planted\' $$')
  await asTenant.unsafe(`alter database ${database} set search_path = evil, pg_catalog, public`)
  // Its schema as that version left it: the first migration only (the page sizes of 0002 came later still).
  await withAdmin(async (sql) => {
    await sql`alter table notes drop column text_bytes`
    await sql`drop function json_string_bytes(text)`
    await sql`delete from drizzle.__drizzle_migrations where id > (select min(id) from drizzle.__drizzle_migrations)`
  }, database)
  await app.runtime.master.sql`update tenants set schema_version = 1 where slug = ${tenant.slug}`

  t.equal(await app.runtime.migrator.migrate({ slug: tenant.slug, serverId: app.runtime.servers.default().id }), tenantMigrations.latestVersion, 'migrated to the latest version')

  const state = await withAdmin(async (sql) => {
    const [row] = await sql<{ owner: string, config: string[] | null, admin: string }[]>`
      select pg_get_userbyid(datdba) as owner, (select setconfig from pg_db_role_setting s where s.setdatabase = d.oid and s.setrole = 0) as config, current_user as admin
      from pg_database d where datname = ${database}`
    return row
  })
  t.equal(state?.owner, state?.admin, 'the admin owns the database again')
  t.equal(state?.config ?? null, null, 'the planted search_path is gone')
  const [schema] = await withAdmin((sql) => sql<{ owner: string }[]>`select pg_get_userbyid(nspowner) as owner from pg_namespace where nspname = 'evil'`, database)
  t.equal(schema?.owner, state?.admin, "what the role made is the admin's now, out of its reach")
  const refused = await asTenant`create schema evil2`.then(() => 'created', (error: { code?: string }) => error.code)
  t.equal(refused, '42501', 'the role can create nothing any more')
  const [lowered] = await withAdmin((sql) => sql<{ value: string }[]>`select lower('ADMIN') as value`, database)
  t.equal(lowered?.value, 'admin', 'an admin session runs the built-in function, not a planted one')
  const notes = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(tenant.token), payload: { title: 'still works' } })
  t.equal(notes.statusCode, 201, 'and the tenant is served as before')
})
