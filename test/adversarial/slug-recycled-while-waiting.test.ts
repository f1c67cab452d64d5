// A request whose token passed the tenant check, then waited for a pool slot, while its tenant was deleted and the slug
// given to a new tenant: the pool it gets is the new tenant's database (pools are found by slug). It must be refused,
// not served from the new tenant's data. The wait is held open here by a gate before the real lease (everything else
// is the real server and PostgreSQL); in production it is a busy server's wait for a slot, up to REQUEST_TIMEOUT.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { withAdmin } from '../helpers/database.ts'

t.test('a token of a tenant deleted while its request waited for a pool cannot reach the slug\'s new tenant', async (t) => {
  const app = await buildTestApp(t, { REQUEST_TIMEOUT: '10s' })
  const admin = await adminToken(app)
  const old = await createTenant(app, admin)
  const { connections } = app.runtime
  const lease = connections.lease.bind(connections)
  let opened!: () => void
  const gate = new Promise<void>((resolve) => { opened = resolve })
  let waiting!: () => void
  const arrived = new Promise<void>((resolve) => { waiting = resolve })
  connections.lease = async (...args) => {
    waiting()
    await gate
    return lease(...args)
  }
  const read = app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(old.token) })
  const write = app.inject({ method: 'POST', url: '/api/v1/notes', headers: bearer(old.token), payload: { title: 'written with the old token' } })
  await arrived
  t.equal((await app.inject({ method: 'DELETE', url: `/api/v1/tenants/${old.slug}`, headers: bearer(admin) })).statusCode, 204)
  connections.lease = lease
  const successor = await createTenant(app, admin, old.slug)
  opened()
  const [readAnswer, writeAnswer] = await Promise.all([read, write])
  t.equal(readAnswer.statusCode, 401, 'the read is refused')
  t.equal(writeAnswer.statusCode, 401, 'the write is refused')
  const titles = await withAdmin((sql) => sql<{ title: string }[]>`select title from notes`, `tenant_${old.slug}`)
  t.notOk(titles.some((row) => row.title === 'written with the old token'), 'nothing written in the new tenant\'s database')
  t.equal((await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(successor.token) })).statusCode, 200, 'the new tenant is served')
})
