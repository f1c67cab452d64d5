// Categories and notes in a tenant's own database: CRUD, pagination, filters, cascades and every error as problem+json.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

t.test('categories and notes CRUD; deleting a category deletes its notes', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const category = await app.inject({ method: 'POST', url: '/api/v1/categories', headers, payload: { name: 'Ideas' } })
  t.equal(category.statusCode, 201)
  const { id: categoryId } = category.json() as { id: string }
  const note = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'First', content: 'hello', category_id: categoryId } })
  t.equal(note.statusCode, 201)
  t.match(note.json(), { title: 'First', content: 'hello', category_id: categoryId, created_at: /^\d{4}-\d\d-\d\dT/ })
  const { id: noteId } = note.json() as { id: string }

  t.match((await app.inject({ method: 'GET', url: `/api/v1/categories/${categoryId}`, headers })).json(), { name: 'Ideas', notes: [{ id: noteId }] })
  t.match((await app.inject({ method: 'PATCH', url: `/api/v1/notes/${noteId}`, headers, payload: { title: 'Renamed', content: null } })).json(), { title: 'Renamed', content: null })
  t.match((await app.inject({ method: 'PATCH', url: `/api/v1/categories/${categoryId}`, headers, payload: { name: 'Plans' } })).json(), { name: 'Plans' })
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/notes/${noteId}`, headers })).statusCode, 200)

  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/categories/${categoryId}`, headers })).statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: `/api/v1/notes/${noteId}`, headers })).statusCode, 404, 'the note went with its category')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/categories/${categoryId}`, headers })).statusCode, 404)
  const other = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'Loose' } })
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/notes/${other.json().id}`, headers })).statusCode, 204)
})

t.test('notes list newest first, page by cursor without gaps or repeats, and filter by category', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const work = (await app.inject({ method: 'GET', url: '/api/v1/categories', headers })).json().data.find((c: { name: string }) => c.name === 'Work').id as string
  const created: string[] = []
  // Concurrent inserts share timestamps; the id breaks ties so paging stays stable.
  for (let batch = 0; batch < 5; batch++) {
    const responses = await Promise.all(Array.from({ length: 5 }, (_, i) => app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: `n${batch}-${i}`, ...(i % 2 === 0 && { category_id: work }) } })))
    created.push(...responses.map((response) => response.json().id as string))
  }
  const seen: Array<{ id: string, created_at: string }> = []
  let cursor: string | null = null
  let pages = 0
  do {
    const response = await app.inject({ method: 'GET', url: `/api/v1/notes?limit=7${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, headers })
    const body = response.json() as { data: Array<{ id: string, created_at: string }>, next_cursor: string | null }
    seen.push(...body.data)
    cursor = body.next_cursor
    pages++
  } while (cursor !== null)
  t.equal(pages, 4)
  t.same(new Set(seen.map((note) => note.id)), new Set(created), 'every note exactly once')
  t.equal(seen.length, created.length)
  t.ok(seen.every((note, i) => i === 0 || (seen[i - 1] as { created_at: string }).created_at >= note.created_at), 'newest first')

  const filtered = (await app.inject({ method: 'GET', url: `/api/v1/notes?category_id=${work}&limit=100`, headers })).json().data as Array<{ category_id: string }>
  t.equal(filtered.length, 15)
  t.ok(filtered.every((note) => note.category_id === work))
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes?cursor=bogus', headers })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes?limit=0', headers })).statusCode, 400)
})

t.test('a note must use a category of its own tenant', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const foreign = (await app.inject({ method: 'GET', url: '/api/v1/categories', headers: bearer(b.token) })).json().data[0].id as string
  for (const categoryId of [foreign, '00000000-0000-4000-8000-000000000000']) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(a.token), payload: { title: 'x', category_id: categoryId } })
    t.equal(response.statusCode, 400)
    t.match(response.json(), { detail: /category_id/ })
  }
})

t.test('errors: 400 with errors, 415, 413, 404, X-Tenant mismatch 403, no token 401, unreachable database 503', async (t) => {
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const headers = bearer(a.token)
  const invalid = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: '' } })
  t.equal(invalid.statusCode, 400)
  t.match(invalid.json(), { errors: [{ location: 'body', path: '/title' }] })
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...headers, 'content-type': 'text/plain' }, payload: 'title' })).statusCode, 415)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify({ title: 'x', content: 'y'.repeat(1024 * 1024) }) })).statusCode, 413)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes/not-a-uuid', headers })).statusCode, 400)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes/00000000-0000-4000-8000-000000000000', headers })).statusCode, 404)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: { ...headers, 'x-tenant': b.slug } })).statusCode, 403)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: { ...headers, 'x-tenant': a.slug } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes' })).statusCode, 401)

  // The tenant's role can no longer log in: its database is unreachable for this process.
  app.runtime.connections.evict(a.slug)
  await withAdmin((sql) => sql`alter role ${sql(`tenant_${a.slug}`)} nologin`)
  const down = await app.inject({ method: 'GET', url: '/api/v1/notes', headers })
  t.equal(down.statusCode, 503)
  t.ok(Number(down.headers['retry-after']) > 0)
  t.match(down.json(), { type: 'urn:tenancy:problem:tenant-database-unavailable' })
  t.notMatch(down.body, /tenant_|role|login/i, 'no server detail leaks')
  await withAdmin((sql) => sql`alter role ${sql(`tenant_${a.slug}`)} login`)
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers })).statusCode, 200, 'and it recovers on the next request')

  // Now with the pool already open: its connections are cut and cannot come back.
  await withAdmin(async (sql) => {
    await sql`alter role ${sql(`tenant_${a.slug}`)} nologin`
    await sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${`tenant_${a.slug}`}`
  })
  const cut = await app.inject({ method: 'GET', url: '/api/v1/notes', headers })
  t.equal(cut.statusCode, 503, 'a warm pool that loses its database is a 503, not a 500')
  t.ok(Number(cut.headers['retry-after']) > 0)
  t.match(cut.json(), { type: 'urn:tenancy:problem:database-unavailable' })
  await withAdmin((sql) => sql`alter role ${sql(`tenant_${a.slug}`)} login`)
})
