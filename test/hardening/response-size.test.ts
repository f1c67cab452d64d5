// Proves one list response stays near 1 MiB of note text however large a tenant's notes are, that paging loses none,
// and that the server reads no more than that from the tenant database to answer it.
import fc from 'fast-check'
import t from 'tap'
import { PAGE_TEXT_BYTES } from '../../src/tenant-database/notes-repository.ts'
import { adminToken, bearer, buildTestApp, createTenant, type TestApp } from '../helpers/app.ts'
import { serverUrl, withAdmin } from '../helpers/database.ts'
import { startWireProxy } from '../helpers/wire-proxy.ts'

const MAX_CONTENT = 100_000
/** JSON around the text of one note: its id, timestamps, keys and quotes. */
const NOTE_FRAME_BYTES = 300

interface Page { data: Array<{ id: string, content: string | null }>, next_cursor: string | null }

async function allPages (app: TestApp, headers: Record<string, string>, query: string) {
  const pages: Array<{ bytes: number, body: Page }> = []
  let cursor: string | null = null
  do {
    const response = await app.inject({ method: 'GET', url: `/api/v1/notes?${query}${cursor === null ? '' : `&cursor=${cursor}`}`, headers })
    if (response.statusCode !== 200) throw new Error(`GET /notes answered ${response.statusCode}`)
    const body = response.json() as Page
    pages.push({ bytes: response.rawPayload.length, body })
    cursor = body.next_cursor
  } while (cursor !== null && pages.length < 100)
  return pages
}

t.test('a list of the largest notes is cut at the page budget, and the cursor carries on without gaps or repeats', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const created: string[] = []
  // Thirty notes of 100,000 characters, some of them 3-byte characters: about 5 MB of text in all.
  for (let i = 0; i < 30; i++) {
    const content = (i % 3 === 0 ? '€' : 'x').repeat(MAX_CONTENT)
    const response = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: `large ${i}`, content } })
    t.equal(response.statusCode, 201)
    created.push(response.json().id)
  }

  const pages = await allPages(app, headers, 'limit=100')
  const largest = Math.max(...pages.map((page) => page.bytes))
  t.ok(largest <= PAGE_TEXT_BYTES + 100 * NOTE_FRAME_BYTES, `the largest response is ${largest} bytes, within the budget`)
  t.ok(pages.length >= 5, `the 30 notes came in ${pages.length} pages, not one of about 5 MB`)
  const seen = pages.flatMap((page) => page.body.data.map((note) => note.id))
  t.same([...seen].sort(), [...created].sort(), 'every note exactly once')
  t.equal(new Set(seen).size, seen.length, 'no note twice')
  t.ok(pages.every((page) => page.body.data.every((note) => note.content?.length === MAX_CONTENT)), 'no note cut short')
  t.ok(pages.every((page) => page.body.data.length > 0), 'no empty page before the end')

  const small = await app.inject({ method: 'GET', url: '/api/v1/notes?limit=2', headers })
  t.equal(small.json().data.length, 2, 'the row limit still applies when it comes first')
  t.type(small.json().next_cursor, 'string')

  // A control character is stored in one byte and written in six (\u0001): the budget counts what is written.
  for (let i = 0; i < 4; i++) {
    const content = '\u0001'.repeat(MAX_CONTENT)
    t.equal((await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'escaped', content } })).statusCode, 201)
  }
  const escaped = await app.inject({ method: 'GET', url: '/api/v1/notes?limit=100', headers })
  t.ok(escaped.rawPayload.length <= PAGE_TEXT_BYTES + 100 * NOTE_FRAME_BYTES, `notes that escape sixfold: ${escaped.rawPayload.length} bytes`)
  t.equal(escaped.json().data.length, 1, 'one of them to a page')

  const category = (await app.inject({ method: 'POST', url: '/api/v1/categories', headers, payload: { name: 'Large' } })).json().id as string
  for (let i = 0; i < 15; i++) {
    await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: `in category ${i}`, content: 'y'.repeat(MAX_CONTENT), category_id: category } })
  }
  const withNotes = await app.inject({ method: 'GET', url: `/api/v1/categories/${category}`, headers })
  t.equal(withNotes.statusCode, 200)
  t.ok(withNotes.rawPayload.length <= PAGE_TEXT_BYTES + 100 * NOTE_FRAME_BYTES, `a category with its notes is ${withNotes.rawPayload.length} bytes`)
  t.ok(withNotes.json().notes.length >= 1, 'and shows its newest notes')
  const filtered = await allPages(app, headers, `limit=100&category_id=${category}`)
  t.equal(filtered.flatMap((page) => page.body.data).length, 15, 'the category filter pages by size too')
})

t.test('a note larger than the whole budget still comes, alone on its page, and paging moves past it', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const older = (await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'older', content: 'small' } })).json().id
  const huge = (await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'huge', content: 'placeholder' } })).json().id
  // The API refuses content this large; a row written by other means must not stall the pages.
  await withAdmin((sql) => sql`update public.notes set content = repeat('z', ${PAGE_TEXT_BYTES + 10}) where id = ${huge}`, `tenant_${tenant.slug}`)
  const newer = (await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'newer', content: 'small' } })).json().id

  const pages = await allPages(app, headers, 'limit=100')
  t.same(pages.map((page) => page.body.data.map((note) => note.id)), [[newer], [huge], [older]])
  t.equal(pages[1]?.body.data[0]?.content?.length, PAGE_TEXT_BYTES + 10)
})

t.test('a page of large notes reads about its budget from the tenant database, not every listed note whole', async (t) => {
  const server = new URL(serverUrl())
  const proxy = await startWireProxy({ host: server.hostname, port: Number(server.port) })
  const app = await buildTestApp(t, {}, {}, proxy.via)
  t.teardown(() => proxy.close())
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const database = `tenant_${tenant.slug}`
  // 40 notes of 100,000 characters, written directly (quicker than 40 requests): 4 MB, of which a page shows 10.
  await withAdmin((sql) => sql`
    insert into notes (title, content, created_at) select 'large ' || g, repeat('x', ${MAX_CONTENT}), now() - g * interval '1 second'
    from generate_series(1, 40) g`, database)
  const received = () => proxy.connections.reduce((sum, connection) => sum + connection.received, 0)
  // Warm: the pool is open and its statements are parsed, so what follows is what a page costs.
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes?limit=100', headers })).statusCode, 200)

  const before = received()
  const response = await app.inject({ method: 'GET', url: '/api/v1/notes?limit=100', headers })
  const read = received() - before
  t.equal(response.json().data.length, 10, 'the page holds the 10 notes its budget fits')
  // At most the budget from each of the two queries, and the other rows without their text.
  t.ok(read <= 2 * PAGE_TEXT_BYTES + 101 * NOTE_FRAME_BYTES, `${read} bytes read from the database for one page, not the 4 MB of notes listed`)
})

t.test('a note keeps the size of its text as JSON writes it, whatever the characters', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  // What the API accepts: any Unicode but NUL and lone surrogates (JSON.stringify would escape those; PostgreSQL cannot store them).
  const character = fc.oneof(fc.constantFrom('\u0001', '\n', '\t', '"', '\\', '/', '\u001f', '\u007f', '\u2028', '€', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
  const text = (maxLength: number) => fc.string({ unit: character, maxLength }).filter((value) => !value.includes('\u0000'))
  await fc.assert(fc.asyncProperty(text(50).filter((title) => title.length > 0), fc.option(text(200)), async (title, content) => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title, content } })
    if (created.statusCode !== 201) throw new Error(`POST /notes answered ${created.statusCode}: ${created.body}`)
    const [row] = await withAdmin((sql) => sql<{ bytes: number }[]>`select text_bytes as bytes from notes where id = ${created.json().id}`, `tenant_${tenant.slug}`)
    const expected = Buffer.byteLength(JSON.stringify(title)) + (content === null ? 0 : Buffer.byteLength(JSON.stringify(content)))
    if (row?.bytes !== expected) throw new Error(`${JSON.stringify(title)} / ${JSON.stringify(content)}: ${row?.bytes} bytes kept, ${expected} written`)
  }), { numRuns: 60 })
  t.pass('every note\'s kept size is its text\'s size in the response')
})
