// Proves that a request whose client hangs up mid-query gives back its pool lease, so other tenants still get pools.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { promisify } from 'node:util'
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, type TestTenant } from '../helpers/app.ts'
import { settle } from '../helpers/deadline.ts'
import { eventually } from '../helpers/tenant-databases.ts'
import { lockNotes } from '../helpers/tenant-locks.ts'

const MAX_TENANTS = 3
const REQUESTS_PER_TENANT = 3
const DEADLINE_MS = 10_000

/** Writes a GET /api/v1/notes by hand on its own socket; the caller destroys the socket before any answer. */
async function sendRaw (port: number, tenant: TestTenant): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(`GET /api/v1/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tenant.token}\r\nConnection: close\r\n\r\n`)
  socket.on('error', () => {})
  return socket
}

t.test('aborted requests release their leases: a fourth tenant still gets a pool', async (t) => {
  // One connection per pool: no pool widens (and reopens) while its requests are held, so each holds its lease throughout.
  const app = await buildTestApp(t, { POOL_MAX_TENANTS: String(MAX_TENANTS), POOL_MAX_CONNECTIONS_PER_TENANT: '1', POOL_DRAIN_TIMEOUT_SECONDS: '1', RATE_LIMIT_MAX: '100000' })
  const admin = await adminToken(app)
  const tenants: TestTenant[] = []
  for (let i = 0; i <= MAX_TENANTS; i++) tenants.push(await createTenant(app, admin))
  const busy = tenants.slice(0, MAX_TENANTS)
  const fourth = tenants[MAX_TENANTS] as TestTenant
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }

  // Each aborted request is deterministically inside its query (holding a lease) when its client goes away.
  const locks = await Promise.all(busy.map((tenant) => lockNotes(tenant.slug)))
  t.teardown(async () => { await Promise.all(locks.map((lock) => lock.release())) })
  const sockets: Socket[] = []
  for (const tenant of busy) for (let i = 0; i < REQUESTS_PER_TENANT; i++) sockets.push(await sendRaw(port, tenant))
  const inFlight = busy.length * REQUESTS_PER_TENANT
  await eventually(async () => app.runtime.connections.stats().leases === inFlight)
  t.equal(app.runtime.connections.stats().openPools, MAX_TENANTS, `${MAX_TENANTS} pools open, every slot busy`)

  for (const socket of sockets) socket.destroy()
  const connections = promisify(app.server.getConnections.bind(app.server))
  await eventually(async () => (await connections()) === 0)
  // The queries now finish, and their answers go to clients that are gone.
  await Promise.all(locks.map((lock) => lock.release()))

  const answer = await settle(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(fourth.token) }), DEADLINE_MS)
  t.ok(answer.answered, `a request for a fourth tenant answers within ${DEADLINE_MS} ms (waited ${answer.ms} ms)`)
  if (answer.answered) t.equal(answer.value.statusCode, 200, 'and it is a 200')

  const leases = await eventually(async () => app.runtime.connections.stats().leases === 0, 5_000)
    .then(() => 0, () => app.runtime.connections.stats().leases)
  t.equal(leases, 0, 'no lease is left behind by the aborted requests')
})
