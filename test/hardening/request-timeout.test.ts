// Proves that a request stuck in its tenant's database is cut off at REQUEST_TIMEOUT with a 503/504, and never holds up other tenants.
import { readFile } from 'node:fs/promises'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { settle, type Settled } from '../helpers/deadline.ts'
import { eventually } from '../helpers/tenant-databases.ts'
import { lockNotes } from '../helpers/tenant-locks.ts'
import { withAdmin } from '../helpers/database.ts'

const REQUEST_TIMEOUT_MS = 2000
const DEADLINE_MS = 6000
const PROMPT_MS = 2000

async function setUp (t: Test, env: Record<string, string> = {}) {
  const app = await buildTestApp(t, { REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_MS), RATE_LIMIT_MAX: '100000', POOL_DRAIN_TIMEOUT_SECONDS: '1', ...env })
  const admin = await adminToken(app)
  const a = await createTenant(app, admin)
  const b = await createTenant(app, admin)
  const notes = (token: string) => settle(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(token) }), DEADLINE_MS)
  return { app, a, b, notes }
}

/** A 503 or 504 problem with Retry-After: the client is told to come back, not left waiting. */
function isTimeoutProblem (response: LightMyRequestResponse): boolean {
  return [503, 504].includes(response.statusCode) &&
    String(response.headers['content-type']).startsWith('application/problem+json') &&
    response.headers['retry-after'] !== undefined
}

function describe (result: Settled<LightMyRequestResponse>): string {
  return result.answered ? `${result.value.statusCode} after ${result.ms} ms, retry-after ${result.value.headers['retry-after']}` : `no answer in ${result.ms} ms`
}

t.test('a request blocked on a lock in its tenant database gets a 503/504 with Retry-After; another tenant is served meanwhile', async (t) => {
  const { a, b, notes } = await setUp(t)
  const lock = await lockNotes(a.slug)
  t.teardown(() => lock.release())

  const blocked = notes(a.token)
  const other = await notes(b.token)
  t.ok(other.answered && other.value.statusCode === 200 && other.ms < PROMPT_MS, `tenant B is served promptly meanwhile (${describe(other)})`)

  const result = await blocked
  t.ok(result.answered, `tenant A's blocked request is answered within ${DEADLINE_MS} ms with REQUEST_TIMEOUT=${REQUEST_TIMEOUT_MS} (${describe(result)})`)
  if (result.answered) t.ok(isTimeoutProblem(result.value), `and the answer is a 503/504 problem+json with Retry-After (${describe(result)})`)
})

t.test('with one pool slot, tenant A blocked on a lock does not make tenant B wait forever', async (t) => {
  const { app, a, b, notes } = await setUp(t, { POOL_MAX_TENANTS: '1' })
  const lock = await lockNotes(a.slug)
  t.teardown(() => lock.release())

  const blocked = notes(a.token)
  // B's request is sent only once A's holds the one pool slot.
  await eventually(async () => app.runtime.connections.stats().leases > 0, 5000)
  const other = await notes(b.token)
  t.ok(other.answered, `tenant B is answered within ${DEADLINE_MS} ms (${describe(other)})`)
  if (other.answered) {
    t.ok(other.value.statusCode === 200 || (other.value.statusCode === 503 && other.value.headers['retry-after'] !== undefined),
      `with a 200, or a 503 with Retry-After (${describe(other)})`)
  }
  await blocked
})

t.test('a request answered at its deadline keeps its lease until its query has ended', async (t) => {
  // One connection per pool: the second request's query waits behind the first's on it, so it is still running
  // (waiting for the lock, for up to its own lock_timeout) when the second request's deadline answers it.
  const { app, a, notes } = await setUp(t, { POOL_MAX_CONNECTIONS_PER_TENANT: '1' })
  const lock = await lockNotes(a.slug)
  t.teardown(() => lock.release())
  const leases = () => app.runtime.connections.stats().leases

  const first = notes(a.token)
  await eventually(async () => leases() === 1, 5000)
  const second = await notes(a.token)
  t.ok(second.answered && isTimeoutProblem(second.value), `the second request is answered at its deadline (${describe(second)})`)
  t.ok(leases() >= 1, `its lease is still held while its query runs (${leases()} held)`)

  await first
  await lock.release()
  await eventually(async () => leases() === 0, 5000)
  const after = await notes(a.token)
  t.ok(after.answered && after.value.statusCode === 200, `once the query ended the lease went back, and the tenant is served (${describe(after)})`)
})

/** Whether this process may stop the test server's backends: the server runs on this machine, as a user we may signal. */
async function canSignalBackends (): Promise<boolean> {
  // Asked while the session is open: its backend ends with it.
  return withAdmin(async (sql) => {
    const [row] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`
    try {
      process.kill(row?.pid as number, 0)
      return (await readFile(`/proc/${row?.pid}/cmdline`, 'utf8')).includes('postgres')
    } catch {
      return false
    }
  })
}

t.test('a lease is not held past the deadline by a server that stopped answering: other tenants get the pool slot',
  { skip: !(await canSignalBackends()) && 'the test server\'s backends cannot be stopped from here (another machine, or another user\'s)' }, async (t) => {
    // One pool slot, one connection: tenant A's pool must be closed for tenant B to be served.
    const { app, a, b, notes } = await setUp(t, { POOL_MAX_TENANTS: '1', POOL_MAX_CONNECTIONS_PER_TENANT: '1' })
    const warm = await notes(a.token)
    t.ok(warm.answered && warm.value.statusCode === 200, 'tenant A is served')
    const [backend] = await withAdmin((sql) => sql<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = ${`tenant_${a.slug}`} and backend_type = 'client backend'`)
    const pid = backend?.pid as number
    // A stopped backend is a server that stops answering without closing its connections: statement_timeout cannot
    // fire in it, and the kernel still acknowledges TCP keepalives for it.
    process.kill(pid, 'SIGSTOP')
    t.teardown(() => { process.kill(pid, 'SIGCONT') })

    const stuck = await notes(a.token)
    t.ok(stuck.answered && isTimeoutProblem(stuck.value), `tenant A's request is answered at its deadline (${describe(stuck)})`)
    // Held until REQUEST_TIMEOUT past the deadline at most; then the slot's pool can be closed for B.
    await eventually(async () => app.runtime.connections.stats().leases === 0, 3 * REQUEST_TIMEOUT_MS)
    const served = await eventually(async () => {
      const result = await notes(b.token)
      return result.answered && result.value.statusCode === 200
    }, 4 * REQUEST_TIMEOUT_MS).then(() => true, () => false)
    t.ok(served, 'and tenant B is then served from the one slot')
  })
