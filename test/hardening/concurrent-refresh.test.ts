// Proves that concurrent refreshes (more than the master pool holds) all answer promptly and leave the service usable.
import t, { type Test } from 'tap'
import { adminToken, buildTestApp, createTenant, login, STRONG_PASSWORD, type TestApp } from '../helpers/app.ts'
import { settle, tally } from '../helpers/deadline.ts'

const CONCURRENT = 40
const REFRESH_DEADLINE_MS = 10_000
const AFTER_DEADLINE_MS = 5_000

async function setUp (t: Test) {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const tenant = await createTenant(app, await adminToken(app))
  const ownerLogin = () => login(app, { email: tenant.ownerEmail, password: STRONG_PASSWORD, tenant: tenant.slug })
  return { app, ownerLogin }
}

const refresh = (app: TestApp, token: string) =>
  app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } })

/** After the burst, the service still logs people in and reports itself ready. */
async function stillServes (t: Test, app: TestApp, ownerLogin: () => ReturnType<typeof login>) {
  const loggedIn = await settle(ownerLogin(), AFTER_DEADLINE_MS)
  t.ok(loggedIn.answered, `a login afterwards answers within ${AFTER_DEADLINE_MS} ms (waited ${loggedIn.ms} ms)`)
  if (loggedIn.answered) t.equal(loggedIn.value.response.statusCode, 200, 'the login afterwards succeeds')
  const ready = await settle(app.inject({ method: 'GET', url: '/ready' }), AFTER_DEADLINE_MS)
  t.ok(ready.answered, `GET /ready answers within ${AFTER_DEADLINE_MS} ms (waited ${ready.ms} ms)`)
  if (ready.answered) t.equal(ready.value.statusCode, 200, 'GET /ready is 200')
}

t.test(`${CONCURRENT} concurrent refreshes of distinct tokens all succeed within ${REFRESH_DEADLINE_MS} ms`, async (t) => {
  const { app, ownerLogin } = await setUp(t)
  const tokens: string[] = []
  for (let i = 0; i < CONCURRENT; i++) {
    const { response, tokens: pair } = await ownerLogin()
    if (response.statusCode !== 200) throw new Error(`login ${i} failed: ${response.body}`)
    tokens.push(pair.refresh_token)
  }
  t.equal(new Set(tokens).size, CONCURRENT, `${CONCURRENT} distinct refresh tokens`)

  const results = await Promise.all(tokens.map((token) => settle(refresh(app, token), REFRESH_DEADLINE_MS)))
  t.same(tally(results), { 200: CONCURRENT }, `every refresh answered 200 within ${REFRESH_DEADLINE_MS} ms`)
  await stillServes(t, app, ownerLogin)
})

t.test(`${CONCURRENT} concurrent refreshes of ONE token: all answer within ${REFRESH_DEADLINE_MS} ms, exactly one succeeds`, async (t) => {
  const { app, ownerLogin } = await setUp(t)
  const { tokens } = await ownerLogin()

  const attempt = () => settle(refresh(app, tokens.refresh_token), REFRESH_DEADLINE_MS)
  const results = await Promise.all(Array.from({ length: CONCURRENT }, attempt))
  t.same(tally(results), { 200: 1, 401: CONCURRENT - 1 }, `one 200 and ${CONCURRENT - 1} 401s, none unanswered`)
  await stillServes(t, app, ownerLogin)
})
