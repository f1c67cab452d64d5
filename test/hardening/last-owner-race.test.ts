// Proves that two owners removing or demoting each other at the same moment can never leave their tenant without an owner.
import t, { type Test } from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, login, STRONG_PASSWORD, type TestApp } from '../helpers/app.ts'
import { settle } from '../helpers/deadline.ts'

const ROUNDS = 20
const DEADLINE_MS = 10_000

interface Owner { id: string, token: string }
interface Pair { slug: string, tenantId: string, a: Owner, b: Owner }

async function ownerIds (app: TestApp, tenantId: string): Promise<string[]> {
  const rows = await app.runtime.master.sql<{ id: string }[]>`select id from users where tenant_id = ${tenantId} and role = 'owner'`
  return rows.map((row) => row.id)
}

/** `owner` makes a second owner; the two form the next pair. */
async function pairWith (app: TestApp, slug: string, tenantId: string, owner: Owner, n: number): Promise<Pair> {
  const email = `second-owner-${n}@${slug}.test`
  const created = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(owner.token), payload: { email, password: STRONG_PASSWORD, role: 'owner' } })
  if (created.statusCode !== 201) throw new Error(`second owner not created: ${created.body}`)
  const { tokens } = await login(app, { email, password: STRONG_PASSWORD, tenant: slug })
  return { slug, tenantId, a: owner, b: { id: (created.json() as { id: string }).id, token: tokens.access_token } }
}

async function freshPair (app: TestApp, admin: string, n: number): Promise<Pair> {
  const tenant = await createTenant(app, admin)
  const [row] = await app.runtime.master.sql<{ id: string }[]>`select id from tenants where slug = ${tenant.slug}`
  const me = (await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(tenant.token) })).json() as { id: string }
  return pairWith(app, tenant.slug, row?.id as string, { id: me.id, token: tenant.token }, n)
}

type Act = (app: TestApp, actor: Owner, target: Owner) => Promise<{ statusCode: number }>

async function race (t: Test, act: Act) {
  const app = await buildTestApp(t, { RATE_LIMIT_MAX: '100000' })
  const admin = await adminToken(app)
  const ownerless: number[] = []
  const statuses = new Set<string>()
  let pair = await freshPair(app, admin, 0)
  for (let round = 1; round <= ROUNDS; round++) {
    t.same((await ownerIds(app, pair.tenantId)).sort(), [pair.a.id, pair.b.id].sort(), `round ${round}: exactly two owners before`)
    const results = await Promise.all([settle(act(app, pair.a, pair.b), DEADLINE_MS), settle(act(app, pair.b, pair.a), DEADLINE_MS)])
    for (const result of results) statuses.add(result.answered ? String(result.value.statusCode) : 'timeout')
    const left = await ownerIds(app, pair.tenantId)
    if (left.length === 0) {
      ownerless.push(round)
      pair = await freshPair(app, admin, round)
    } else {
      const survivor = left[0] === pair.a.id ? pair.a : pair.b
      pair = await pairWith(app, pair.slug, pair.tenantId, survivor, round)
    }
  }
  t.same(ownerless, [], `no round leaves the tenant without an owner (ownerless after rounds: ${ownerless.join(', ') || 'none'})`)
  // A caller already removed or demoted by the other request may be refused outright (401/403): also no harm done.
  t.ok([...statuses].every((status) => ['200', '204', '401', '403', '409'].includes(status)), `every answer is a success or a refusal, in time (saw ${[...statuses].join(', ')})`)
}

t.test(`${ROUNDS} rounds of two owners deleting each other at once`, async (t) => {
  await race(t, (app, actor, target) => app.inject({ method: 'DELETE', url: `/api/v1/users/${target.id}`, headers: bearer(actor.token) }))
})

t.test(`${ROUNDS} rounds of two owners demoting each other at once`, async (t) => {
  await race(t, (app, actor, target) => app.inject({ method: 'PATCH', url: `/api/v1/users/${target.id}`, headers: bearer(actor.token), payload: { role: 'member' } }))
})
