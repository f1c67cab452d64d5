// A server's connection budget is shared by the live instances: each takes budget / instances (in pools as wide as a
// busy tenant's), and the shares are re-divided as instances come and go.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { adminToken, bearer, buildTestApp, createTenant, STRONG_PASSWORD, randomSlug, login } from '../helpers/app.ts'
import { anotherInstance } from '../helpers/instances.ts'
import { eventually } from '../helpers/tenant-databases.ts'
import { startSecondServer } from '../helpers/throwaway-postgres.ts'

t.test('two instances split a server\'s budget, and one leaving gives its share back', async (t) => {
  const second = await startSecondServer(t)
  const one = await buildTestApp(t, { POOL_MAX_CONNECTIONS_PER_TENANT: '2' })
  const admin = await adminToken(one)
  t.equal((await one.inject({ method: 'POST', url: '/api/v1/servers', headers: bearer(admin), payload: { name: 'b', url: second.url('postgres'), connection_budget: 24 } })).statusCode, 201)
  const slug = randomSlug()
  await one.inject({ method: 'POST', url: '/api/v1/tenants', headers: bearer(admin), payload: { slug, name: slug, server: 'b', owner: { email: `o@${slug}.test`, password: STRONG_PASSWORD } } })
  const { tokens } = await login(one, { email: `o@${slug}.test`, password: STRONG_PASSWORD, tenant: slug })
  // A request makes sure the instance has pools on B; the figure is its share there.
  const slotsOnB = async (app: FastifyInstance) => {
    const status = (await app.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tokens.access_token) })).statusCode
    if (status !== 200) throw new Error(`GET /notes answered ${status}`)
    return app.runtime.connections.byServer().get(app.runtime.servers.byName('b')?.id as string)?.maxTenants
  }
  t.equal(await slotsOnB(one), 12, 'alone: the whole budget, 24 connections in pools of 2')

  const two = await anotherInstance(t, one)
  t.equal(await slotsOnB(two), 6, 'the second instance starts with its half')
  await eventually(async () => (await slotsOnB(one)) === 6, 15_000)
  t.pass('the first gives up half at its next beat')

  await two.close()
  await two.runtime.close()
  await eventually(async () => (await slotsOnB(one)) === 12, 15_000)
  t.pass('and takes it back once the second has gone')
  // The default server's budget is shared too; a tenant there still works.
  const tenant = await createTenant(one, admin)
  t.equal((await one.inject({ method: 'GET', url: '/api/v1/notes', headers: bearer(tenant.token) })).statusCode, 200)
})
