// On the wire: the request path's queries go out as named prepared statements, parsed once per connection, then one
// round trip each (Bind, Execute, Sync). Everything the app sends to PostgreSQL passes through a reading proxy.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { serverUrl } from '../helpers/database.ts'
import { executions, startWireProxy, type WireProxy } from '../helpers/wire-proxy.ts'

const REPEATS = 5

async function proxiedApp (t: Parameters<typeof buildTestApp>[0]) {
  const server = new URL(serverUrl())
  const proxy = await startWireProxy({ host: server.hostname, port: Number(server.port) })
  // One connection per tenant pool: every statement a request runs is then on the connection the next one uses.
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000', POOL_MAX_CONNECTIONS_PER_TENANT: '1' }, {}, proxy.via)
  t.teardown(async () => {
    await app.close()
    await proxy.close()
  })
  return { app, proxy }
}

/** What the connections ran from message `since[i]` of connection i on. */
function ranSince (proxy: WireProxy, since: number[]) {
  return proxy.connections.flatMap((connection) => executions(connection, since[connection.id] ?? 0))
}

const mark = (proxy: WireProxy) => proxy.connections.map((connection) => connection.messages.length)

t.test('tenant routes run named prepared statements, one round trip each once parsed', async (t) => {
  const { app, proxy } = await proxiedApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const headers = bearer(tenant.token)
  const category = (await app.inject({ method: 'POST', url: '/api/v1/categories', headers, payload: { name: 'Wire' } })).json() as { id: string }
  const ids: string[] = []
  for (let i = 0; i < 25; i++) {
    const note = await app.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: `n${i}`, ...(i % 2 === 0 && { category_id: category.id }) } })
    ids.push(note.json().id as string)
  }
  const cursor = (await app.inject({ method: 'GET', url: '/api/v1/notes', headers })).json().next_cursor as string
  const requests = [
    { method: 'GET', url: '/api/v1/notes' },
    { method: 'GET', url: `/api/v1/notes?cursor=${cursor}` },
    { method: 'GET', url: `/api/v1/notes?category_id=${category.id}` },
    { method: 'GET', url: `/api/v1/notes/${ids[3]}` },
    { method: 'GET', url: '/api/v1/categories' },
    { method: 'GET', url: `/api/v1/categories/${category.id}` },
    { method: 'PATCH', url: `/api/v1/notes/${ids[4]}`, payload: { title: 'changed' } },
  ] as const
  for (const request of requests) t.equal((await app.inject({ ...request, headers })).statusCode, 200, `${request.method} ${request.url} (first run)`)

  const since = mark(proxy)
  for (let i = 0; i < REPEATS; i++) {
    for (const request of requests) t.equal((await app.inject({ ...request, headers })).statusCode, 200)
  }
  const sent = ranSince(proxy, since).filter((execution) => /"(notes|categories)"/.test(execution.query))
  // The notes, after a cursor, of a category, one note, the categories, a category and its notes (the by-category
  // statement again), a PATCH's update: 8 queries a round, 7 statements.
  t.equal(sent.length, REPEATS * 8, 'every query of every request is seen')
  t.same(sent.filter((execution) => execution.statement === '' || execution.parsed || execution.roundTrips !== 1), [],
    'each is a Bind of a named statement parsed earlier: one round trip')
  t.equal(new Set(sent.map((execution) => execution.statement)).size, 7, 'one statement per distinct query')
})

t.test('the master look-ups on the request path are prepared: parsed at most once per connection', async (t) => {
  const { app, proxy } = await proxiedApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const since = mark(proxy)
  const { tenants, users } = app.runtime.master
  const tenantRow = await tenants.findBySlug(tenant.slug)
  for (let i = 0; i < 30; i++) {
    t.ok(await tenants.findLocation(tenant.slug))
    t.ok(await tenants.findById(tenantRow?.id as string))
    const found = await users.findForLogin(tenant.slug, tenant.ownerEmail)
    t.ok(await users.findForLogin(undefined, 'nobody@platform.test') === undefined)
    t.ok(await users.findInScope(tenantRow?.id as string, found?.user.id as string))
    t.ok(await users.findById(found?.user.id as string))
    t.equal(await users.countWithRole(tenantRow?.id as string, 'owner'), 1)
  }
  // Through the HTTP path too: the tenant hook's location look-up, the caller's record.
  for (let i = 0; i < 5; i++) {
    app.runtime.directory.invalidate(tenant.slug)
    t.equal((await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tenant.token) })).statusCode, 200)
  }
  const lookups = ranSince(proxy, since).filter((execution) => /^select .* from "(tenants|users)"/.test(execution.query))
  t.ok(lookups.length >= 30 * 6, 'every look-up is seen')
  t.same(lookups.filter((execution) => execution.statement === ''), [], 'no look-up runs as an unnamed statement')
  const parses = new Map<string, number>()
  for (const execution of lookups.filter((execution) => execution.parsed)) {
    const key = `${execution.connection} ${execution.query}`
    parses.set(key, (parses.get(key) ?? 0) + 1)
  }
  t.same([...parses].filter(([, count]) => count > 1), [], 'no statement is parsed twice on one connection')
  t.ok(lookups.filter((execution) => !execution.parsed).every((execution) => execution.roundTrips === 1), 'once parsed, one round trip')
  t.ok(lookups.filter((execution) => !execution.parsed).length > lookups.length / 2, 'most look-ups find their statement parsed')
})
