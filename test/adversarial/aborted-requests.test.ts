// The adversarial sweep of clients that hang up: every route of the app (from its OpenAPI document, so a route added
// later is covered) is sent and its client gone before the answer; afterwards no lease is left, and with every slot
// of a small budget used, other tenants still get pools.
import { once } from 'node:events'
import { connect } from 'node:net'
import { promisify } from 'node:util'
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { settle } from '../helpers/deadline.ts'
import { everyRoute, exampleFor } from '../helpers/route-bodies.ts'
import { eventually } from '../helpers/tenant-databases.ts'

const MAX_TENANTS = 2
const ABORTS_PER_ROUTE = 3

/** Writes the request by hand on its own socket and hangs up at once, before any answer. */
async function hangUp (port: number, method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<void> {
  const socket = connect(port, '127.0.0.1')
  socket.on('error', () => {})
  await once(socket, 'connect')
  const payload = body === undefined ? '' : JSON.stringify(body)
  const lines = [`${method} ${url} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close', ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)]
  if (body !== undefined) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(payload)}`)
  socket.write(`${lines.join('\r\n')}\r\n\r\n${payload}`)
  socket.destroy()
}

t.test('every route, its client gone mid-request: no lease is left and other tenants are served', async (t) => {
  const app = await buildTestApp(t, { POOL_MAX_TENANTS: String(MAX_TENANTS), RATE_LIMIT_MAX: '100000', LOGIN_RATE_LIMIT_MAX: '100000' })
  await app.ready()
  const routes = await everyRoute(app)
  t.ok(routes.length >= 20, `${routes.length} routes from the app's OpenAPI document`)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  for (const route of routes) {
    for (let i = 0; i < ABORTS_PER_ROUTE; i++) {
      await hangUp(port, route.method, route.url, route.headers, route.schema === undefined ? undefined : exampleFor(route.schema))
    }
  }
  const connections = promisify(app.server.getConnections.bind(app.server))
  await eventually(async () => (await connections()) === 0)
  await eventually(async () => app.runtime.connections.stats().leases === 0 && app.runtime.connections.stats().opening === 0, 10_000)
  t.match(app.runtime.connections.stats(), { leases: 0, opening: 0 }, `no lease left after ${routes.length * ABORTS_PER_ROUTE} aborted requests`)

  // Every slot may still hold a pool: tenants that never had one must still be served. (The sweep's requests may
  // have gone through, a PATCH of the default server's limits among them: lift them for the tenants made here.)
  await app.runtime.serverAdmin.update('default', { status: 'active', maxTenants: null })
  const admin = await adminToken(app)
  for (let i = 0; i < MAX_TENANTS + 1; i++) {
    const tenant = await createTenant(app, admin)
    const answer = await settle(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) }), app.config.requestTimeoutMs + 2000)
    t.ok(answer.answered && answer.value.statusCode === 200, `a new tenant is served (${answer.answered ? answer.value.statusCode : 'no answer'} in ${answer.ms} ms)`)
  }
})
