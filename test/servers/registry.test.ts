// Servers over HTTP: added only after a check, credentials stored encrypted and never shown, listed with what they
// hold; drained servers take no new tenant; only an empty server (never the default) is removed.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, randomSlug, STRONG_PASSWORD } from '../helpers/app.ts'
import { anotherInstance } from '../helpers/instances.ts'
import { startSecondServer } from '../helpers/throwaway-postgres.ts'

t.test('a second server: checked, stored encrypted, used for placement, drained and removed', async (t) => {
  const second = await startSecondServer(t)
  const app = await buildTestApp(t)
  const admin = await adminToken(app)
  const servers = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url = '', payload?: object) =>
    app.inject({ method, url: `/api/v1/servers${url}`, headers: bearer(admin), ...(payload !== undefined && { payload }) })
  const goodUrl = second.url('postgres')
  const password = new URL(goodUrl).password

  const unreachable = await servers('POST', '', { name: 'nowhere', url: 'postgres://postgres:secret-word@127.0.0.1:1/postgres' })
  t.equal(unreachable.statusCode, 400, 'an unreachable server is refused')
  t.notMatch(unreachable.body, 'secret-word', 'without echoing the URL')
  t.equal((await servers('POST', '', { name: 'Bad Name', url: goodUrl })).statusCode, 400, 'a bad name is refused')

  const added = await servers('POST', '', { name: 'second', url: goodUrl, max_tenants: 2 })
  t.equal(added.statusCode, 201, added.body)
  t.match(added.json(), { name: 'second', status: 'active', tenants: 0, max_tenants: 2, reachable: true, version: /^1[5-9]/ })
  t.notMatch(added.body, password, 'the response carries no credential')
  t.equal((await servers('POST', '', { name: 'second', url: goodUrl })).statusCode, 409, 'a taken name is a 409')
  const [row] = await app.runtime.master.sql<{ stored: string }[]>`select admin_url_encrypted as stored from database_servers where name = 'second'`
  t.ok(row?.stored.startsWith('v1:') && !row.stored.includes(password), 'the admin URL is stored encrypted')

  // Another instance places tenants on it at once, with no restart.
  const other = await anotherInstance(t, app)
  const named = await other.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug: randomSlug(), name: 'On second', server: 'second', owner: { email: 'o@second.test', password: STRONG_PASSWORD } },
  })
  t.equal(named.statusCode, 201, named.body)
  t.match(named.json(), { tenant: { server: 'second' } })

  // Placement: the server with the most room. Second has room for one more; default has no limit, so it wins.
  const placed = await createTenant(app, admin)
  const shown = (await app.inject({ method: 'GET', url: `/api/v1/tenants/${placed.slug}`, headers: bearer(admin) })).json() as { server: string }
  t.equal(shown.server, 'default', 'no limit is the most room')
  t.equal((await servers('PATCH', '/default', { max_tenants: 1 })).statusCode, 200, 'default is now full')
  const next = await createTenant(app, admin)
  t.equal(((await app.inject({ method: 'GET', url: `/api/v1/tenants/${next.slug}`, headers: bearer(admin) })).json() as { server: string }).server, 'second')
  const full = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug: randomSlug(), name: 'No room', owner: { email: 'o@full.test', password: STRONG_PASSWORD } },
  })
  t.equal(full.statusCode, 503, 'with every server full, a clear 503')
  t.match(full.json(), { type: 'urn:tenancy:problem:no-server-room' })

  const list = (await servers('GET')).json() as { data: Array<{ name: string, tenants: number }> }
  t.match(list.data.find((server) => server.name === 'second'), { tenants: 2 })
  t.match(list.data.find((server) => server.name === 'default'), { tenants: 1, max_tenants: 1 })

  t.equal((await servers('PATCH', '/second', { status: 'draining', max_tenants: null })).statusCode, 200)
  const toDraining = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug: randomSlug(), name: 'Drained', server: 'second', owner: { email: 'o@drained.test', password: STRONG_PASSWORD } },
  })
  t.equal(toDraining.statusCode, 409, 'a draining server takes no new tenant, even named')

  t.equal((await servers('DELETE', '/second')).statusCode, 409, 'a server with tenants is not removed')
  t.equal((await servers('DELETE', '/default')).statusCode, 409, 'nor is the default one')
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${next.slug}`, headers: bearer(admin) })).statusCode, 204)
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${(named.json() as { tenant: { slug: string } }).tenant.slug}`, headers: bearer(admin) })).statusCode, 204)
  t.equal((await servers('DELETE', '/second')).statusCode, 204, 'an empty server is removed')
  t.equal((await servers('GET', '/second')).statusCode, 404)
})
