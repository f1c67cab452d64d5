// Tenants on two servers: each tenant's database is on its own server, and while one server is down only its tenants
// get 503s (with Retry-After); the other server's tenants are untouched, and the first server's recover within about a
// second of its return.
import t from 'tap'
import { adminToken, bearer, buildTestApp, STRONG_PASSWORD, randomSlug, login, type TestApp } from '../helpers/app.ts'
import { settle } from '../helpers/deadline.ts'
import { withAdmin } from '../helpers/database.ts'
import { startSecondServer } from '../helpers/throwaway-postgres.ts'
import postgres from 'postgres'

const REQUEST_TIMEOUT_MS = 2000

async function tenantOn (app: TestApp, admin: string, server: string): Promise<{ slug: string, token: string }> {
  const slug = randomSlug()
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/tenants',
    headers: bearer(admin),
    payload: { slug, name: slug, server, owner: { email: `o@${slug}.test`, password: STRONG_PASSWORD } },
  })
  if (created.statusCode !== 201) throw new Error(`${created.statusCode} ${created.body}`)
  const { tokens } = await login(app, { email: `o@${slug}.test`, password: STRONG_PASSWORD, tenant: slug })
  return { slug, token: tokens.access_token }
}

interface Sample { at: number, ms: number, status: number | 'no answer', retryAfter: boolean }

t.test('server B down: only its tenants get 503s, A is untouched, B recovers within about a second of its return', async (t) => {
  const second = await startSecondServer(t)
  const app = await buildTestApp(t, { REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_MS), RATE_LIMIT_MAX: '10000000' })
  const admin = await adminToken(app)
  t.equal((await app.inject({ method: 'POST', url: '/api/v1/servers', headers: bearer(admin), payload: { name: 'b', url: second.url('postgres') } })).statusCode, 201)
  const a = await tenantOn(app, admin, 'default')
  const b = await tenantOn(app, admin, 'b')

  const onB = postgres(second.url('postgres'), { max: 1, onnotice: () => {} })
  const [there] = await onB<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${`tenant_${b.slug}`}`
  await onB.end()
  const [here] = await withAdmin((sql) => sql<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${`tenant_${b.slug}`}`)
  t.same([there?.n, here?.n], [1, 0], "B's database is on server B, not on the default server")

  const samples: Record<'a' | 'b', Sample[]> = { a: [], b: [] }
  let running = true
  const worker = async (name: 'a' | 'b', token: string) => {
    while (running) {
      const at = performance.now()
      const result = await settle(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(token) }), REQUEST_TIMEOUT_MS + 5000)
      samples[name].push({ at, ms: result.ms, status: result.answered ? result.value.statusCode : 'no answer', retryAfter: result.answered && result.value.headers['retry-after'] !== undefined })
      await new Promise(setImmediate)
    }
  }
  const workers = [worker('a', a.token), worker('a', a.token), worker('b', b.token), worker('b', b.token)]
  await new Promise((resolve) => setTimeout(resolve, 500))

  const down = performance.now()
  await second.pause()
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const back = performance.now()
  await second.start()
  const returned = performance.now()
  const recovered = await waitFor(() => samples.b.some((sample) => sample.at > returned && sample.status === 200), 10_000)
  const recovery = recovered - returned
  running = false
  await Promise.all(workers)

  const during = (name: 'a' | 'b') => samples[name].filter((sample) => sample.at > down + 200 && sample.at + sample.ms < back)
  t.ok(during('a').length > 10, `${during('a').length} requests for A while B was down`)
  t.same(during('a').filter((sample) => sample.status !== 200), [], 'every one of them succeeded')
  t.ok(during('b').length > 0, `${during('b').length} requests for B while it was down`)
  t.same(during('b').filter((sample) => !(sample.status === 503 && sample.retryAfter)), [], "B's got 503 with Retry-After")
  const slowest = Math.max(...samples.b.map((sample) => sample.ms))
  t.ok(slowest <= REQUEST_TIMEOUT_MS + 1000, `every request for B was answered within the deadline (slowest ${Math.round(slowest)} ms)`)
  t.ok(recovery < 1500, `B's tenants served again ${Math.round(recovery)} ms after B was back`)
})

async function waitFor (check: () => boolean, ms: number): Promise<number> {
  const deadline = performance.now() + ms
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`not within ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return performance.now()
}
