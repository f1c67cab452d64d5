// /health and /ready, including readiness failing when the master database goes away.
import t from 'tap'
import { buildTestApp } from './helpers/app.ts'
import { withAdmin } from './helpers/database.ts'

t.test('GET /health answers while the process serves', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject({ method: 'GET', url: '/health' })
  t.equal(response.statusCode, 200)
  t.same(response.json(), { status: 'ok' })
})

t.test('GET /ready is 200 while the master database answers and 503 once it is gone', async (t) => {
  const app = await buildTestApp(t)
  const ready = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ok' })

  await withAdmin((sql) => sql`drop database ${sql(app.masterDatabaseName)} with (force)`)
  const gone = await app.inject({ method: 'GET', url: '/ready' })
  t.equal(gone.statusCode, 503)
  t.match(gone.headers['content-type'], /^application\/problem\+json/)
  t.ok(gone.headers['retry-after'], 'tells the client when to retry')
  t.match(gone.json(), { status: 503, title: 'Service Unavailable', type: 'urn:tenancy:problem:master-database-unavailable' })
})
