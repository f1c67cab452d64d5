// Proves 40 concurrent provisionings leave the instance's own /ready and authenticated requests answering promptly.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, randomSlug, STRONG_PASSWORD } from '../helpers/app.ts'

const PROVISIONINGS = 40
const POLL_MS = 50

t.test('/ready and /users/me stay fast while 40 tenants are provisioned at once', async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const admin = await adminToken(app)
  const owner = await createTenant(app, admin)

  let done = false
  const provisioning = Promise.all(Array.from({ length: PROVISIONINGS }, () => {
    const slug = randomSlug()
    return app.inject({
      method: 'POST',
      url: '/api/v1/tenants',
      headers: bearer(admin),
      payload: { slug, name: `Load ${slug}`, owner: { email: `o@${slug}.test`, password: STRONG_PASSWORD } },
    })
  })).finally(() => { done = true })

  const polls: Array<{ url: string, status: number, ms: number }> = []
  const poll = async (url: string, headers: Record<string, string>) => {
    const started = performance.now()
    const response = await app.inject({ method: 'GET', url, headers })
    polls.push({ url, status: response.statusCode, ms: performance.now() - started })
  }
  const inFlight: Array<Promise<void>> = []
  while (!done) {
    inFlight.push(poll('/ready', {}), poll('/api/v1/users/me', bearer(owner.token)))
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
  const created = await provisioning
  await Promise.all(inFlight)

  const ms = polls.map((p) => p.ms).sort((a, b) => a - b)
  const worst = polls.reduce((a, b) => (b.ms > a.ms ? b : a))
  const p99 = ms[Math.floor(ms.length * 0.99)] ?? 0
  t.comment(`${polls.length} polls; worst ${worst.ms.toFixed(0)} ms (${worst.url}), p99 ${p99.toFixed(0)} ms; provisioning: ${created.map((r) => r.statusCode).join(',')}`)
  const failed = created.filter((response) => response.statusCode !== 201 && !([429, 503].includes(response.statusCode) && response.headers['retry-after'] !== undefined))
  t.equal(failed.length, 0, 'every provisioning answers 201, or declines with 429/503 and Retry-After')
  const notReady = polls.filter((p) => p.url === '/ready' && p.status !== 200)
  t.equal(notReady.length, 0, `every /ready is 200 (${notReady.length} were not: ${[...new Set(notReady.map((p) => p.status))].join(', ')})`)
  const slow = polls.filter((p) => p.ms > 1000)
  t.equal(slow.length, 0, `every poll answers within 1 s (${slow.length} of ${polls.length} did not; worst ${worst.ms.toFixed(0)} ms)`)
  t.equal(polls.filter((p) => p.url !== '/ready' && p.status !== 200).length, 0, 'every /users/me is 200')
})
