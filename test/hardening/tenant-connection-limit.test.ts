// Proves a tenant's CONNECTION LIMIT follows the configured pool size and fits several instances serving it at once.
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant } from '../helpers/app.ts'
import { anotherInstance } from '../helpers/instances.ts'

t.test('a restart with a larger POOL_MAX_CONNECTIONS_PER_TENANT raises existing tenants\' limits', async (t) => {
  const first = await buildTestApp(t, { POOL_MAX_CONNECTIONS_PER_TENANT: '2' })
  const tenant = await createTenant(first, await adminToken(first))
  await first.close()

  const second = await anotherInstance(t, first, { POOL_MAX_CONNECTIONS_PER_TENANT: '6' })
  await second.ready()
  const [role] = await second.runtime.master.sql<{ limit: number }[]>`select rolconnlimit as limit from pg_roles where rolname = ${`tenant_${tenant.slug}`}`
  const [database] = await second.runtime.master.sql<{ limit: number }[]>`select datconnlimit as limit from pg_database where datname = ${`tenant_${tenant.slug}`}`
  t.ok((role?.limit ?? 0) >= 6, `the role's rolconnlimit is at least 6 (got ${role?.limit})`)
  t.ok((database?.limit ?? 0) >= 6, `the database's datconnlimit is at least 6 (got ${database?.limit})`)
})

t.test('three instances with default settings serve 60 concurrent requests for one tenant without a failure', async (t) => {
  const first = await buildTestApp(t)
  const tenant = await createTenant(first, await adminToken(first))
  const instances = [first, await anotherInstance(t, first), await anotherInstance(t, first)]

  const responses = await Promise.all(Array.from({ length: 60 }, (_, i) =>
    (instances[i % 3] as typeof first).inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })))
  const failed = responses.filter((response) => response.statusCode !== 200)
  const [limit] = await first.runtime.master.sql<{ limit: number }[]>`select rolconnlimit as limit from pg_roles where rolname = ${`tenant_${tenant.slug}`}`
  t.equal(failed.length, 0, `no request fails (role connection limit ${limit?.limit}; failures: ${failed.map((response) => `${response.statusCode} ${response.json<{ type: string }>().type}`).join(', ')})`)
})
