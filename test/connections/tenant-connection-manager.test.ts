// The connection manager's invariants, each checked against a real PostgreSQL and its pg_stat_activity.
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { TenantConnectionManager, type TenantConnectionManagerOptions } from '../../src/connections/tenant-connection-manager.ts'
import { requestLimits } from '../../src/master/database.ts'
import { postgresConnector, type TenantConnectionTarget, type TenantPoolOptions } from '../../src/connections/tenant-pool.ts'
import { TenantNotFoundError } from '../../src/errors.ts'
import { createTenantDatabases, eventually } from '../helpers/tenant-databases.ts'

type Tenants = Awaited<ReturnType<typeof createTenantDatabases>>

type Options = Partial<TenantConnectionManagerOptions> & Partial<TenantPoolOptions>

function manager (t: { teardown (fn: () => unknown): void }, tenants: Tenants, options: Options = {}) {
  const applicationName = `test_${randomBytes(4).toString('hex')}`
  const located: string[] = []
  const { idleTimeoutSeconds = 30, connectTimeoutSeconds = 5, ...rest } = options
  const instance = new TenantConnectionManager({
    maxTenants: 5,
    maxConnectionsPerTenant: 2,
    drainTimeoutSeconds: 5,
    locate: async (slug) => { located.push(slug); return tenants.target(slug) },
    connect: postgresConnector({ ...requestLimits(5000), idleTimeoutSeconds, connectTimeoutSeconds, applicationName }),
    ...rest,
  })
  t.teardown(() => instance.close())
  return { manager: instance, applicationName, located, connections: () => tenants.connections(applicationName) }
}

t.test('1. lazy: no pool and no connection before the first get; idle pools hold no connections', async (t) => {
  const tenants = await createTenantDatabases(t, 1)
  const [slug] = tenants.slugs as [string]
  const { manager: pools, connections } = manager(t, tenants, { idleTimeoutSeconds: 1 })
  t.equal(pools.stats().openPools, 0)
  t.equal(await connections(), 0)

  const { sql } = await pools.get(slug)
  const [row] = await sql`select current_user as role, current_database() as database`
  t.same(row, { role: `tenant_${slug}`, database: `tenant_${slug}` }, 'connects as the tenant role, to its database')
  t.equal(pools.stats().openPools, 1)
  t.equal(await connections(), 1)

  await eventually(async () => (await connections()) === 0)
  t.equal(pools.stats().openPools, 1, 'the pool object stays, its idle connection is gone')
})

t.test('2. single flight: 100 concurrent gets of one cold tenant open exactly one pool', async (t) => {
  const tenants = await createTenantDatabases(t, 1)
  const [slug] = tenants.slugs as [string]
  const { manager: pools, located } = manager(t, tenants)
  const results = await Promise.all(Array.from({ length: 100 }, () => pools.get(slug)))
  t.equal(new Set(results.map((connection) => connection.sql)).size, 1, 'every caller got the same pool')
  t.equal(located.length, 1, 'the tenant was located once')
  t.match(pools.stats(), { openPools: 1, misses: 1, hits: 0 })
  await pools.get(slug)
  t.match(pools.stats(), { hits: 1 })
})

t.test('3. bounded: pools and server connections stay within budget under load over more tenants', async (t) => {
  const tenants = await createTenantDatabases(t, 12)
  const maxTenants = 3
  const perTenant = 2
  const { manager: pools, connections } = manager(t, tenants, { maxTenants, maxConnectionsPerTenant: perTenant })
  let peakConnections = 0
  let peakPools = 0
  const sampling = { on: true }
  const sampler = (async () => {
    while (sampling.on) {
      peakConnections = Math.max(peakConnections, await connections())
      peakPools = Math.max(peakPools, pools.stats().openPools + pools.stats().draining)
    }
  })()
  const work = Array.from({ length: 240 }, async (_, i) => {
    const slug = tenants.slugs[(i * 7) % tenants.slugs.length] as string
    const lease = await pools.lease(slug)
    try {
      const [row] = await lease.connection.sql`select current_database() as database, pg_sleep(0.005)`
      return row?.database === `tenant_${slug}`
    } finally {
      lease.release()
    }
  })
  const answers = await Promise.all(work)
  sampling.on = false
  await sampler
  t.ok(answers.every(Boolean), 'every query ran in its own tenant database')
  t.ok(peakConnections > 0, `connections were sampled (peak ${peakConnections})`)
  t.ok(peakConnections <= maxTenants * perTenant, `peak ${peakConnections} connections within the budget of ${maxTenants * perTenant}`)
  t.ok(peakPools <= maxTenants, `peak ${peakPools} pools (open + draining) within ${maxTenants}`)
  t.ok(pools.stats().evictions > 0, 'least recently used pools were evicted')
})

t.test('3b. at capacity, one slot in twenty stays free: the next cold tenant does not wait for a pool to close', async (t) => {
  const tenants = await createTenantDatabases(t, 22)
  const { manager: pools, connections } = manager(t, tenants, { maxTenants: 20, maxConnectionsPerTenant: 1 })
  for (const slug of tenants.slugs.slice(0, 19)) await pools.get(slug)
  t.match(pools.stats(), { openPools: 19, evictions: 0 }, 'below the spare, nothing is evicted')
  for (const slug of tenants.slugs.slice(19)) await pools.get(slug)
  await eventually(async () => pools.stats().draining === 0)
  t.match(pools.stats(), { openPools: 19, evictions: 3 }, 'each open past nineteen closes the least recently used idle pool')
  t.equal(await connections(), 19)
})

t.test('3b2. with as many tenants in use as slots, the spare slot stops once a tenant it closed comes back', async (t) => {
  const tenants = await createTenantDatabases(t, 20)
  const { manager: pools } = manager(t, tenants, { maxTenants: 20, maxConnectionsPerTenant: 1 })
  for (let round = 0; round < 5; round++) {
    for (const slug of tenants.slugs) await pools.get(slug)
    await eventually(async () => pools.stats().draining === 0)
  }
  t.match(pools.stats(), { openPools: 20, misses: 21, evictions: 1 }, 'one pool closed for the spare, reopened once, then all twenty kept')
})

t.test('3c. the busiest tenants keep their pools: a new tenant waits for a turn rather than close one of them', async (t) => {
  const tenants = await createTenantDatabases(t, 6)
  // Five slots: the four tenants asked for most keep theirs, one slot takes turns among the others.
  const { manager: pools, connections } = manager(t, tenants, { maxTenants: 5, maxConnectionsPerTenant: 1, keptPoolPatienceMs: 60_000 })
  const regulars = tenants.slugs.slice(0, 4)
  const [visitor, newcomer] = tenants.slugs.slice(4) as [string, string]
  for (const slug of regulars) {
    for (let i = 0; i < 3; i++) await pools.get(slug)
  }
  const visit = await pools.lease(visitor)
  const queued = pools.get(newcomer)
  await eventually(async () => pools.stats().opening === 1)
  // One more turn of the event loop: any eviction the queued open triggers has run by then.
  await new Promise(setImmediate)
  t.match(pools.stats(), { openPools: 5, draining: 0, evictions: 0 }, 'no regular was closed, though all four are idle')
  visit.release()
  await queued
  await eventually(async () => pools.stats().draining === 0)
  t.match(pools.stats(), { openPools: 5, evictions: 1 }, 'the visitor\'s pool made room once it was idle')
  const { misses } = pools.stats()
  for (const slug of regulars) await pools.get(slug)
  t.equal(pools.stats().misses, misses, 'every regular is still pooled')
  t.equal(await connections(), 5)
})

t.test('3d. when the queue stalls behind a long query in the window, a kept pool closes for the queued open', async (t) => {
  const tenants = await createTenantDatabases(t, 6)
  const { manager: pools } = manager(t, tenants, { maxTenants: 5, maxConnectionsPerTenant: 1, keptPoolPatienceMs: 50 })
  const regulars = tenants.slugs.slice(0, 4)
  const [visitor, newcomer] = tenants.slugs.slice(4) as [string, string]
  for (const slug of regulars) {
    for (let i = 0; i < 3; i++) await pools.get(slug)
  }
  const longQuery = await pools.lease(visitor)
  const { sql } = await pools.get(newcomer)
  t.same((await sql`select current_database() as db`)[0], { db: `tenant_${newcomer}` }, 'the newcomer got its pool while the window was busy')
  await eventually(async () => pools.stats().draining === 0)
  t.match(pools.stats(), { openPools: 5, evictions: 1, leases: 1 }, 'one regular\'s pool was closed for it; the visitor still holds its lease')
  t.same((await longQuery.connection.sql`select 1 as one`)[0], { one: 1 }, 'the busy pool was left alone')
  longQuery.release()
})

t.test('3e. a window tenant\'s pool holds one connection; the busiest tenants get maxConnectionsPerTenant, and so does a tenant that joins them', async (t) => {
  const tenants = await createTenantDatabases(t, 5)
  const { manager: pools, applicationName } = manager(t, tenants, { maxTenants: 5, maxConnectionsPerTenant: 3 })
  const regulars = tenants.slugs.slice(0, 4)
  const [visitor] = tenants.slugs.slice(4) as [string]
  const connectionsTo = async (slug: string): Promise<number> => {
    const [row] = await tenants.sql<{ count: number }[]>`
      select count(*)::int as count from pg_stat_activity where application_name = ${applicationName} and datname = ${`tenant_${slug}`}`
    return row?.count ?? 0
  }
  // Three requests at once, each on its own lease: postgres.js opens a connection for each while the pool allows.
  const busy = async (slug: string): Promise<void> => {
    await Promise.all(Array.from({ length: 3 }, async () => {
      const lease = await pools.lease(slug)
      try {
        await lease.connection.sql`select pg_sleep(0.05)`
      } finally {
        lease.release()
      }
    }))
  }
  for (const slug of regulars) {
    for (let i = 0; i < 5; i++) await pools.get(slug)
  }
  await busy(visitor)
  t.equal(await connectionsTo(visitor), 1, 'the window tenant\'s three requests shared one connection')
  const [regular] = regulars as [string]
  await busy(regular)
  t.equal(await connectionsTo(regular), 3, 'a kept tenant\'s three requests had three')

  // The visitor becomes the busiest tenant: its narrow pool, shared by requests, gives way to a wide one.
  for (let i = 0; i < 10; i++) await pools.get(visitor)
  t.equal(pools.stats().evictions, 0)
  await busy(visitor)
  await eventually(async () => pools.stats().draining === 0)
  t.match(pools.stats(), { openPools: 5, evictions: 1 }, 'the narrow pool closed once its requests were done')
  await busy(visitor)
  t.equal(await connectionsTo(visitor), 3, 'the visitor\'s requests now have three connections')
})

t.test('4. graceful: an evicted pool lets in-flight queries finish while the tenant gets a fresh pool', async (t) => {
  const tenants = await createTenantDatabases(t, 1)
  const [slug] = tenants.slugs as [string]
  const { manager: pools } = manager(t, tenants)
  const first = await pools.lease(slug)
  const slow = first.connection.sql`select pg_sleep(0.3), 'finished' as state`
  const started = slow.execute()
  pools.evict(slug)
  const second = await pools.get(slug)
  t.not(second.sql, first.connection.sql, 'a new pool opened meanwhile')
  const [fresh] = await second.sql`select 1 as one`
  t.same(fresh, { one: 1 })
  const [row] = await started
  t.equal(row?.state, 'finished', 'the in-flight query on the evicted pool completed')
  const [again] = await first.connection.sql`select 2 as two`
  t.same(again, { two: 2 }, 'a leased pool serves its holder until released')
  first.release()
  await eventually(async () => pools.stats().draining === 0)
  await t.rejects(first.connection.sql`select 3`, 'once released, the evicted pool is closed')
})

t.test('5a. no leaks: a pool opened for a tenant evicted while opening is closed, not cached', async (t) => {
  const tenants = await createTenantDatabases(t, 1)
  const [slug] = tenants.slugs as [string]
  const { manager: pools, connections, located } = manager(t, tenants)
  const pending = pools.get(slug)
  pools.evict(slug)
  const connection = await pending
  const [row] = await connection.sql`select 1 as one`
  t.same(row, { one: 1 })
  t.equal(located.length, 2, 'the cancelled open was discarded and the tenant located again')
  await eventually(async () => pools.stats().draining === 0)
  t.match(pools.stats(), { openPools: 1, draining: 0 })
  t.equal(await connections(), 1, 'only the fresh pool holds a connection')
})

t.test('5b. no leaks: failed opens are not cached, raise a 503 error, and the next get retries', async (t) => {
  const tenants = await createTenantDatabases(t, 1)
  const [slug] = tenants.slugs as [string]
  const target = tenants.target(slug)
  let broken: ((target: TenantConnectionTarget) => TenantConnectionTarget) | undefined
  const { manager: pools, connections } = manager(t, tenants, {
    connectTimeoutSeconds: 2,
    locate: async (slug) => (broken ?? ((x) => x))(tenants.target(slug)),
  })
  const failures: Array<[string, (target: TenantConnectionTarget) => TenantConnectionTarget]> = [
    ['missing database', (x) => ({ ...x, database: 'tenant_does_not_exist' })],
    ['wrong password', (x) => ({ ...x, password: 'wrong' })],
    ['server down', (x) => ({ ...x, port: 1 })],
  ]
  for (const [name, breakIt] of failures) {
    broken = breakIt
    await t.rejects(pools.get(slug), { code: 'TENANT_DATABASE_UNAVAILABLE', statusCode: 503 }, name)
    t.equal(pools.stats().openPools, 0, `${name}: nothing cached`)
  }
  t.equal(pools.stats().openFailures, failures.length)
  broken = undefined
  const { sql } = await pools.get(slug)
  t.same((await sql`select current_database() as db`)[0], { db: target.database }, 'the next get opens the pool')
  t.equal(await connections(), 1, 'failed opens left no connection behind')
})

t.test('5c. a tenant that locate refuses gets no pool', async (t) => {
  const tenants = await createTenantDatabases(t, 1)
  const { manager: pools } = manager(t, tenants, { locate: async () => { throw new TenantNotFoundError() } })
  await t.rejects(pools.get('nobody_here'), { code: 'TENANT_NOT_FOUND', statusCode: 404 })
  t.match(pools.stats(), { openPools: 0, openFailures: 0 })
})

t.test('6. close ends every pool and later gets fail clearly', async (t) => {
  const tenants = await createTenantDatabases(t, 3)
  const { manager: pools, connections } = manager(t, tenants)
  await Promise.all(tenants.slugs.map(async (slug) => (await pools.get(slug)).sql`select 1`))
  t.equal(await connections(), 3)
  await pools.close()
  t.equal(await connections(), 0, 'no connection left on the server')
  t.match(pools.stats(), { openPools: 0, draining: 0 })
  await t.rejects(pools.get(tenants.slugs[0] as string), { code: 'CONNECTION_MANAGER_CLOSED', statusCode: 503 })
})

t.test('6b. close with an open queued behind a busy pool: the open fails clearly and nothing is left', async (t) => {
  const tenants = await createTenantDatabases(t, 2)
  const [a, b] = tenants.slugs as [string, string]
  const { manager: pools, connections } = manager(t, tenants, { maxTenants: 1 })
  const held = await pools.lease(a)
  const queued = pools.get(b)
  await eventually(async () => pools.stats().opening === 1)
  const closing = pools.close()
  held.release()
  await closing
  await t.rejects(queued, { code: 'CONNECTION_MANAGER_CLOSED' })
  t.equal(await connections(), 0)
})
