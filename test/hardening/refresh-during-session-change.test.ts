// Proves a user's refreshes in flight neither block nor outlive a password change, reset, demotion or deletion.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, login, type TestApp } from '../helpers/app.ts'

const PASSWORD = 'member has a passphrase 5'
const SESSIONS = 20

/** Sessions of one user refreshing in a loop until told to stop; each keeps its latest refresh token. */
async function refreshing (app: TestApp, email: string, tenant: string) {
  const sessions = await Promise.all(Array.from({ length: SESSIONS }, async () => {
    const { tokens } = await login(app, { email, password: PASSWORD, tenant })
    return { token: tokens.refresh_token as string, rotations: 0 }
  }))
  const failures: number[] = []
  let stop = false
  const loops = sessions.map(async (session) => {
    while (!stop) {
      const response = await app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.token } })
      if (response.statusCode >= 500) failures.push(response.statusCode)
      if (response.statusCode !== 200) return
      session.token = response.json().refresh_token
      session.rotations++
    }
  })
  // Every session has rotated at least once before the change: the loops are really running.
  while (sessions.some((session) => session.rotations === 0) && failures.length === 0) await new Promise(setImmediate)
  return {
    failures,
    async stop () {
      stop = true
      await Promise.all(loops)
      return sessions.map((session) => session.token)
    },
  }
}

interface Change { method: 'PATCH' | 'DELETE', url: string, token?: string, payload?: Record<string, string> }

const changes: Record<string, (id: string, own: string) => Change> = {
  'a password change by the user': (id: string, own: string) => ({
    method: 'PATCH', url: '/api/v1/users/me', token: own, payload: { password: 'a brand new passphrase 7', current_password: PASSWORD },
  }),
  'a password reset by the owner': (id: string) => ({ method: 'PATCH', url: `/api/v1/users/${id}`, payload: { password: 'reset by the owner 8' } }),
  'a demotion by the owner': (id: string) => ({ method: 'PATCH', url: `/api/v1/users/${id}`, payload: { role: 'member' } }),
  'a deletion by the owner': (id: string) => ({ method: 'DELETE', url: `/api/v1/users/${id}` }),
}

for (const [name, change] of Object.entries(changes)) {
  t.test(`${name} succeeds while ${SESSIONS} of the user's sessions refresh, and ends every one of them`, async (t) => {
    const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
    const tenant = await createTenant(app, await adminToken(app))
    const email = `held@${tenant.slug}.test`
    const created = await app.inject({
      method: 'POST', url: '/api/v1/users', headers: bearer(tenant.token), payload: { email, password: PASSWORD, role: 'admin' },
    })
    t.equal(created.statusCode, 201)
    const id = created.json().id as string
    const own = (await login(app, { email, password: PASSWORD, tenant: tenant.slug })).tokens.access_token as string

    const loops = await refreshing(app, email, tenant.slug)
    const request = change(id, own)
    const response = await app.inject({
      method: request.method, url: request.url, headers: bearer(request.token ?? tenant.token), payload: request.payload,
    })
    t.ok([200, 204].includes(response.statusCode), `answered ${response.statusCode}`)
    const last = await loops.stop()
    t.same(loops.failures, [], 'no refresh answered 5xx')

    const after = await Promise.all(last.map((token) => app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: token } })))
    t.same(after.map((answer) => answer.statusCode), last.map(() => 401), 'no session outlives the change')
  })
}
