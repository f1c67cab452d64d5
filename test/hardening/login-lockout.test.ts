// Proves that a stranger's failed logins for someone's email, from another address, cannot lock that user out.
import t, { type Test } from 'tap'
import { adminToken, buildTestApp, createTenant, STRONG_PASSWORD, type TestApp } from '../helpers/app.ts'

const ATTACKER = '203.0.113.7'
const VICTIM = '198.51.100.9'
const FAILED_ATTEMPTS = 10

async function lockOutThenLogIn (t: Test, app: TestApp, credentials: { email: string, tenant?: string }) {
  const statuses: number[] = []
  for (let i = 0; i < FAILED_ATTEMPTS; i++) {
    const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ATTACKER, payload: { ...credentials, password: `wrong guess number ${i}` } })
    statuses.push(response.statusCode)
  }
  t.ok(statuses.every((status) => status === 401 || status === 429), `the stranger's ${FAILED_ATTEMPTS} guesses from ${ATTACKER} fail (${[...new Set(statuses)].join(', ')})`)
  const response = await app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: VICTIM, payload: { ...credentials, password: STRONG_PASSWORD } })
  t.equal(response.statusCode, 200, `the user, from ${VICTIM} with the right password, still logs in (got ${response.statusCode}: ${response.body.slice(0, 100)})`)
}

t.test('a tenant owner is not locked out by failed logins from a stranger\'s address', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  await lockOutThenLogIn(t, app, { email: tenant.ownerEmail, tenant: tenant.slug })
})

t.test('the platform admin is not locked out by failed logins from a stranger\'s address', async (t) => {
  const app = await buildTestApp(t)
  await adminToken(app)
  await lockOutThenLogIn(t, app, { email: 'root@platform.test' })
})
