// The adversarial sweep of bursts: every route of the app (from its OpenAPI document, so a route added later is
// covered), forty at once, four times the master pool: every request is answered within its deadline, with no 5xx but
// a 503 that says when to retry, and the instance is ready and lets people log in straight after.
import t from 'tap'
import { MASTER_POOL_SIZE } from '../../src/master/database.ts'
import { login, STRONG_PASSWORD } from '../helpers/app.ts'
import { buildTestApp } from '../helpers/app.ts'
import { settle, tally } from '../helpers/deadline.ts'
import { everyRoute, exampleFor } from '../helpers/route-bodies.ts'

const BURST = 4 * MASTER_POOL_SIZE
/** Creating and deleting tenants have a longer deadline than other requests (see routes/tenants.ts). */
const LIFECYCLE_DEADLINE_MS = 120_000

t.test(`every route, ${BURST} at once: all answered in time, no 500, and the instance is fine afterwards`, async (t) => {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000', LOGIN_RATE_LIMIT_MAX: '100000', REQUEST_TIMEOUT: '5s' })
  await app.ready()
  // Deletions last, the tenant's own last of all: the rest run against rows that exist.
  const rank = (route: { method: string, url: string }) => route.method !== 'DELETE' ? 0 : route.url.startsWith('/api/v1/tenants') ? 2 : 1
  const routes = (await everyRoute(app)).sort((a, b) => rank(a) - rank(b))
  t.ok(routes.length >= 20, `${routes.length} routes`)
  for (const route of routes) {
    const lifecycle = route.url.startsWith('/api/v1/tenants') && route.method !== 'GET'
    const deadline = (lifecycle ? LIFECYCLE_DEADLINE_MS : app.config.requestTimeoutMs) + 2000
    const answers = await Promise.all(Array.from({ length: BURST }, () => settle(app.inject({
      method: route.method,
      url: route.url,
      headers: route.headers,
      ...(route.schema !== undefined && { payload: exampleFor(route.schema) as object }),
    }), deadline)))
    t.comment(`${route.method} ${route.url}: ${JSON.stringify(tally(answers))}`)
    const late = answers.filter((answer) => !answer.answered).length
    const errors = answers.filter((answer) => answer.answered && (answer.value.statusCode >= 500 && !(answer.value.statusCode === 503 && answer.value.headers['retry-after'] !== undefined)))
    t.equal(late, 0, `${route.method} ${route.url}: every one answered within ${deadline} ms`)
    t.same(errors.map((answer) => answer.answered && `${answer.value.statusCode} ${answer.value.body.slice(0, 120)}`), [], `${route.method} ${route.url}: no 5xx but a 503 with Retry-After`)
  }
  const ready = await settle(app.inject({ method: 'GET', url: '/ready' }), 2000)
  t.ok(ready.answered && ready.value.statusCode === 200, `ready straight after (${ready.ms} ms)`)
  await app.runtime.master.users.create({ tenantId: null, email: 'after@burst.test', passwordHash: await import('../../src/auth/passwords.ts').then((m) => m.hashPassword(STRONG_PASSWORD)), role: 'platform_admin' })
  const { response } = await login(app, { email: 'after@burst.test', password: STRONG_PASSWORD })
  t.equal(response.statusCode, 200, 'and logins work')
})
