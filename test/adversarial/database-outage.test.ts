// Proves that with PostgreSQL down every request is answered within REQUEST_TIMEOUT + 1 s, and service resumes within 2 s of its return.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/http/app.ts'
import { createRuntime } from '../../src/runtime.ts'
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from '../../src/embedded-postgres.ts'
import { freePort } from '../helpers/free-port.ts'
import { adminToken, bearer, createTenant, testConfig, type TestApp } from '../helpers/app.ts'
import { settle } from '../helpers/deadline.ts'

const REQUEST_TIMEOUT_MS = 3000
const ANSWER_WITHIN_MS = REQUEST_TIMEOUT_MS + 1000
const OUTAGE_MS = 5000
const RECOVERY_MS = 2000
const WORKERS = 4
/** Far beyond any requirement: only so that a hung request cannot hang the file. */
const HARD_CAP_MS = 20_000

interface Sample { tenant: string, started: number, ms: number, status: number | 'no answer', retryAfter: boolean }

t.test(`PostgreSQL down for ${OUTAGE_MS / 1000} s under load: bounded answers during, fast recovery after`, async (t) => {
  // A server of its own, stopped and restarted on the same data directory.
  const dataDir = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'tenancy-outage-'))
  const options = { dataDir, port: await freePort(), password: randomBytes(16).toString('hex'), settings: { fsync: 'off', max_connections: 100 } }
  let server: EmbeddedServer | undefined = await startEmbeddedPostgres(options)
  t.teardown(async () => {
    await server?.stop()
    await rm(dataDir, { recursive: true, force: true })
  })
  await ensureDatabase(server.url('postgres'), 'outage_master')
  const runtime = await createRuntime(testConfig(server.url('outage_master'), { REQUEST_TIMEOUT: String(REQUEST_TIMEOUT_MS), RATE_LIMIT_MAX: '10000000' }))
  const built = await buildApp(runtime, { logger: false })
  const app: TestApp = Object.assign(built, { masterDatabaseName: 'outage_master' })
  // Teardowns run last first: the app closes before its server stops.
  t.teardown(async () => {
    await app.close().catch(() => {})
    await app.runtime.close().catch(() => {})
  })
  const admin = await adminToken(app)
  const tenants = [await createTenant(app, admin), await createTenant(app, admin)]

  const samples: Sample[] = []
  let running = true
  const probe = async (tenant: (typeof tenants)[number]) => {
    const started = performance.now()
    const result = await settle(app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) }), HARD_CAP_MS)
    const status = result.answered ? result.value.statusCode : 'no answer'
    samples.push({ tenant: tenant.slug, started, ms: result.ms, status, retryAfter: result.answered && result.value.headers['retry-after'] !== undefined })
  }
  const worker = async (n: number) => {
    for (let i = n; running; i++) {
      await probe(tenants[i % tenants.length] as (typeof tenants)[number])
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const workers = Array.from({ length: WORKERS }, (_, n) => worker(n))
  const waitFor = (check: () => boolean, ms: number) => new Promise<void>((resolve, reject) => {
    const deadline = performance.now() + ms
    const poll = () => check() ? resolve() : performance.now() > deadline ? reject(new Error(`not within ${ms} ms`)) : setTimeout(poll, 10)
    poll()
  })
  await waitFor(() => samples.filter((s) => s.status === 200).length >= 20, 10_000)
  t.ok(samples.every((s) => s.status === 200), 'under load, before the outage, every request succeeds')

  const down = performance.now()
  await server.stop()
  server = undefined
  // The outage itself is the point of the test: it lasts a fixed time.
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS))
  server = await startEmbeddedPostgres(options)
  const up = performance.now()

  // Fresh probes every 100 ms from the return on, independent of workers still stuck in older requests.
  const probes: Array<Promise<void>> = []
  const probing = setInterval(() => { for (const tenant of tenants) probes.push(probe(tenant)) }, 100)
  const recovered = (slug: string) => samples.filter((s) => s.tenant === slug && s.started >= up && s.status === 200)
    .reduce<number>((first, s) => Math.min(first, Math.round(s.started + s.ms - up)), Infinity)
  await waitFor(
    () => performance.now() > up + RECOVERY_MS + 1000 && tenants.every((tenant) => recovered(tenant.slug) < Infinity),
    HARD_CAP_MS,
  ).catch(() => {})
  clearInterval(probing)
  running = false
  await Promise.all([...workers, ...probes])

  const during = samples.filter((s) => s.started >= down && s.started < up)
  const worst = during.reduce<Sample | undefined>((max, s) => (max === undefined || s.ms > max.ms ? s : max), undefined)
  const statuses = [...new Set(during.map((s) => `${s.status}${s.retryAfter ? '+retry-after' : ''}`))]
  const recovery = tenants.map((tenant) => recovered(tenant.slug))
  const failingLate = samples.filter((s) => s.started >= up + RECOVERY_MS && (s.status !== 200 || s.ms > ANSWER_WITHIN_MS))
  t.comment(`outage: ${during.length} requests, worst ${worst?.ms} ms (${worst?.status}), statuses ${statuses.join(', ')}; recovery per tenant ${recovery.join(' ms, ')} ms`)

  t.ok(during.length > 0, `${during.length} requests were issued during the outage`)
  t.ok(worst !== undefined && worst.ms <= ANSWER_WITHIN_MS, `every request issued during the outage is answered within ${ANSWER_WITHIN_MS} ms (worst: ${worst?.ms} ms, ${worst?.status})`)
  const badAnswers = during.filter((s) => !(s.status === 200 || ((s.status === 503 || s.status === 504) && s.retryAfter)))
  t.same([...new Set(badAnswers.map((s) => s.status))], [], `during the outage every answer is a 200 or a 503/504 with Retry-After (saw ${statuses.join(', ')})`)
  t.ok(recovery.every((ms) => ms <= RECOVERY_MS), `each tenant is served again within ${RECOVERY_MS} ms of PostgreSQL's return (took ${recovery.join(' ms, ')} ms)`)
  t.equal(failingLate.length, 0, `every request started ${RECOVERY_MS} ms after the return is a 200 within ${ANSWER_WITHIN_MS} ms (${failingLate.length} not: ${failingLate.slice(0, 5).map((s) => `${s.status} in ${s.ms} ms`).join(', ')})`)
})
