// Timestamps and cursors in responses are byte for byte what they were when they went through a Date: ISO 8601 with
// milliseconds (truncated) in fields, microseconds in cursors, whatever time zone the tenant database is set to.
import t from 'tap'
import { encodeCursor } from '../../src/pagination.ts'
import { tenantDatabaseName } from '../../src/tenant-database/identity.ts'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

interface Expected { id: string, millis: string, micros: string, updatedMillis: string }

t.test('fields and cursors match to_char of the stored values, whatever zone the database is set to', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const database = tenantDatabaseName(tenant.slug)
  const category = (await app.inject({ method: 'POST', url: '/api/v1/categories', headers, payload: { name: 'Times' } })).json() as { id: string }
  const posted = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'posted', category_id: category.id } })
  t.match(posted.json(), { created_at: ISO_MILLIS, updated_at: ISO_MILLIS })
  // Stored instants with every fraction length PostgreSQL prints (it drops trailing zeros), and one updated later.
  await withAdmin(async (sql) => {
    await sql`
      insert into notes (title, category_id, created_at, updated_at)
      select 'n' || g, ${category.id}::uuid, at, at + interval '1.5 seconds'
      from unnest(array[
        '2026-11-23 08:16:08+00', '2026-11-23 08:16:08.1+00', '2026-11-23 08:16:08.12+00', '2026-11-23 08:16:08.123+00',
        '2026-11-23 08:16:08.1234+00', '2026-11-23 08:16:08.12345+00', '2026-11-23 08:16:08.123456+00', '2026-11-23 08:16:08.999999+00'
      ]::timestamptz[]) with ordinality as stored(at, g)`
    await sql`insert into notes (title, created_at, updated_at) select 'later ' || g, now() - g * interval '1 minute', now() from generate_series(1, 15) g`
  }, database)
  const expected = await withAdmin((sql) => sql<Expected[]>`
    select id,
      to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as millis,
      to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as micros,
      to_char(updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedMillis"
    from notes order by created_at desc, id desc`, database)
  const categoryExpected = await withAdmin((sql) => sql<Array<{ millis: string }>>`
    select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as millis from categories where id = ${category.id}`, database)

  /** Every response a client sees of these rows: pages of 7 by cursor, each note, the category and its notes. */
  async function responses () {
    const pages: unknown[] = []
    let cursor: string | null = null
    do {
      const url: string = `/api/v1/notes?limit=7${cursor === null ? '' : `&cursor=${cursor}`}`
      const body = (await app.inject({ method: 'GET', url, headers })).json() as { data: unknown[], next_cursor: string | null }
      pages.push(body)
      cursor = body.next_cursor
    } while (cursor !== null)
    const notes = await Promise.all(expected.map(async (row) => (await app.inject({ method: 'GET', url: `/api/v1/notes/${row.id}`, headers })).body))
    const withNotes = (await app.inject({ method: 'GET', url: `/api/v1/categories/${category.id}`, headers })).body
    return { pages, notes, withNotes }
  }

  const utc = await responses()
  const listed = utc.pages.flatMap((body) => (body as { data: Array<{ id: string, created_at: string, updated_at: string }> }).data)
  t.same(listed.map((note) => [note.id, note.created_at, note.updated_at]), expected.map((row) => [row.id, row.millis, row.updatedMillis]),
    'every note, in order, with the milliseconds a Date would have kept')
  const cursors = utc.pages.map((body) => (body as { next_cursor: string | null }).next_cursor).filter((cursor) => cursor !== null)
  t.same(cursors, [6, 13, 20].map((i) => encodeCursor({ at: (expected[i] as Expected).micros, id: (expected[i] as Expected).id })),
    'cursors carry the microseconds, as to_char made them')
  t.match(JSON.parse(utc.withNotes), { created_at: categoryExpected[0]?.millis, notes: { length: 9 } })

  for (const zone of ['Asia/Kolkata', 'America/St_Johns']) {
    await withAdmin((sql) => sql`alter database ${sql(database)} set timezone to ${sql.unsafe(`'${zone}'`)}`)
    app.runtime.connections.evict(tenant.slug)
    const [session] = await (await app.runtime.connections.managerFor(app.runtime.servers.default().id).get(tenant.slug)).sql<Array<{ TimeZone: string }>>`show timezone`
    t.equal(session?.TimeZone, 'UTC', `the tenant pool's sessions stay in UTC when the database's zone is ${zone}`)
    t.same(await responses(), utc, `the same bytes when the database's zone is ${zone}`)
  }
})
