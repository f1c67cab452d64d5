// Proves that provisioning never drops a database or role named tenant_<slug> that this master did not make.
import t from 'tap'
import { adminToken, bearer, buildTestApp, randomSlug, STRONG_PASSWORD } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

t.test('a slug whose database and role already exist on the server, made by someone else, is refused and they survive', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const slug = randomSlug('foreign')
  const name = `tenant_${slug}`
  const marker = `someone else's data ${slug}`

  await withAdmin(async (sql) => {
    await sql`create role ${sql(name)} with login`
    await sql`create database ${sql(name)}`
  })
  t.teardown(() => withAdmin(async (sql) => {
    await sql`drop database if exists ${sql(name)} with (force)`
    await sql`drop role if exists ${sql(name)}`
  }))
  await withAdmin(async (sql) => {
    await sql`create table precious (note text)`
    await sql`insert into precious values (${marker})`
  }, name)
  const identity = () => withAdmin(async (sql) => ({
    database: (await sql<{ oid: number }[]>`select oid::int from pg_database where datname = ${name}`)[0]?.oid,
    role: (await sql<{ oid: number }[]>`select oid::int from pg_roles where rolname = ${name}`)[0]?.oid,
  }))
  const before = await identity()
  t.ok(before.database !== undefined && before.role !== undefined, 'the foreign database and role exist')

  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug, name: 'Squatter', owner: { email: `owner@${slug}.test`, password: STRONG_PASSWORD } },
  })
  t.ok([409, 503].includes(response.statusCode), `provisioning the slug is refused with 409 or 503 (got ${response.statusCode})`)
  t.match(String(response.headers['content-type']), /^application\/problem\+json/, 'as problem+json')

  t.same(await identity(), before, 'the very same database and role still exist (same oids)')
  const rows = await withAdmin((sql) => sql<{ note: string }[]>`select note from precious`, name).catch((error: Error) => error.message)
  t.same(rows, [{ note: marker }], 'the foreign database still holds its marker row')
})
