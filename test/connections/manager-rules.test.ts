// The connection manager's lease, drain and eviction rules, with an injected connect and no PostgreSQL: every
// interleaving fast-check finds keeps the pools within budget and never closes a pool that is still leased.
import fc from 'fast-check'
import t from 'tap'
import { TenantConnectionManager, type TenantConnectionManagerOptions } from '../../src/connections/tenant-connection-manager.ts'
import type { Connect, TenantConnection } from '../../src/connections/tenant-pool.ts'

interface FakePool extends TenantConnection {
  leased: number
  closedWhileLeased: boolean
  closed: boolean
}

/** A connect that makes fake pools and records what happened to them. */
function fakes () {
  const pools: FakePool[] = []
  let connecting = 0
  const connect: Connect = async (slug, _target, width) => {
    connecting++
    await new Promise(setImmediate)
    connecting--
    const pool: FakePool = {
      slug,
      tenantId: slug,
      width,
      sql: undefined as never,
      repositories: undefined as never,
      leased: 0,
      closed: false,
      closedWhileLeased: false,
      async close () {
        pool.closedWhileLeased ||= pool.leased > 0
        pool.closed = true
      },
    }
    pools.push(pool)
    return pool
  }
  const live = () => pools.filter((pool) => !pool.closed).length + connecting
  return { pools, connect, live }
}

function managerWith (connect: Connect, options: Partial<TenantConnectionManagerOptions> = {}) {
  return new TenantConnectionManager({
    maxTenants: 3,
    maxConnectionsPerTenant: 2,
    drainTimeoutSeconds: 5,
    locate: async () => ({ tenantId: 'fake', host: 'fake', port: 1, database: 'fake', username: 'fake', password: 'fake' }),
    connect,
    ...options,
  })
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 5))

t.test('single flight: a hundred concurrent leases of a cold tenant connect once', async (t) => {
  const { pools, connect } = fakes()
  const manager = managerWith(connect)
  const leases = await Promise.all(Array.from({ length: 100 }, () => manager.lease('a')))
  t.equal(pools.length, 1)
  t.ok(leases.every((lease) => lease.connection === pools[0]))
  for (const lease of leases) lease.release()
  await manager.close()
})

t.test('a retired pool closes when its last lease is released, not before', async (t) => {
  const { pools, connect } = fakes()
  const manager = managerWith(connect)
  const first = await manager.lease('a')
  const second = await manager.lease('a')
  manager.evict('a')
  await settle()
  t.equal(pools[0]?.closed, false, 'leased: still open')
  first.release()
  first.release()
  await settle()
  t.equal(pools[0]?.closed, false, 'releasing one lease twice does not count twice')
  second.release()
  await settle()
  t.equal(pools[0]?.closed, true, 'closed once unleased')
  t.match(manager.stats(), { openPools: 0, draining: 0, evictions: 1, leases: 0 })
  await manager.close()
})

t.test('a lease held past the drain timeout does not keep a retired pool open', async (t) => {
  const { pools, connect } = fakes()
  const manager = managerWith(connect, { drainTimeoutSeconds: 0.05 })
  const held = await manager.lease('a')
  manager.evict('a')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(pools[0]?.closed, true, 'closed at the drain deadline')
  held.release()
  await manager.close()
})

t.test('waiting for a slot ends at the deadline with a 503, and the queue moves on', async (t) => {
  const { connect } = fakes()
  const manager = managerWith(connect, { maxTenants: 1 })
  const held = await manager.lease('a')
  const started = performance.now()
  await t.rejects(manager.lease('b', performance.now() + 50), { code: 'POOLS_BUSY', statusCode: 503 })
  const waited = performance.now() - started
  t.ok(waited >= 45 && waited < 1000, `gave up after ${Math.round(waited)} ms`)
  t.equal(manager.stats().opening, 0, 'the failed open is not left in flight')
  held.release()
  const next = await manager.lease('b', performance.now() + 1000)
  t.equal(next.connection.slug, 'b', 'a later request gets the slot once it is free')
  next.release()
  await manager.close()
})

t.test('close waits for leased pools to drain, and later leases fail clearly', async (t) => {
  const { pools, connect } = fakes()
  const manager = managerWith(connect)
  const held = await manager.lease('a')
  const closing = manager.close()
  await settle()
  t.equal(pools[0]?.closed, false)
  held.release()
  await closing
  t.equal(pools[0]?.closed, true)
  await t.rejects(manager.lease('a'), { code: 'CONNECTION_MANAGER_CLOSED' })
})

t.test('any interleaving of leases, releases and evictions keeps the budget and closes no leased pool', async (t) => {
  const step = fc.oneof(
    fc.record({ kind: fc.constant('lease' as const), tenant: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('release' as const), index: fc.nat() }),
    fc.record({ kind: fc.constant('evict' as const), tenant: fc.integer({ min: 0, max: 7 }) }),
  )
  const sequences = fc.array(step, { minLength: 1, maxLength: 60 })
  await fc.assert(fc.asyncProperty(sequences, fc.integer({ min: 1, max: 4 }), async (steps, maxTenants) => {
    const { pools, connect, live } = fakes()
    const manager = managerWith(connect, { maxTenants, keptPoolPatienceMs: 10 })
    const held: Array<{ release (): void, connection: TenantConnection }> = []
    const pending: Array<Promise<void>> = []
    let peak = 0
    for (const action of steps) {
      if (action.kind === 'lease') {
        pending.push(manager.lease(`t${action.tenant}`, performance.now() + 200).then((lease) => {
          (lease.connection as FakePool).leased++
          held.push(lease)
        }, () => {}))
      } else if (action.kind === 'release' && held.length > 0) {
        const [lease] = held.splice(action.index % held.length, 1)
        if (lease !== undefined) {
          (lease.connection as FakePool).leased--
          lease.release()
        }
      } else if (action.kind === 'evict') {
        manager.evict(`t${action.tenant}`)
      }
      await new Promise(setImmediate)
      peak = Math.max(peak, live())
    }
    // Release everything still held, and each queued lease as it comes through (or fails at its deadline).
    const releaseAll = () => {
      for (const lease of held.splice(0)) {
        (lease.connection as FakePool).leased--
        lease.release()
      }
    }
    const releasing = setInterval(releaseAll, 1)
    await Promise.all(pending)
    clearInterval(releasing)
    releaseAll()
    await manager.close()
    if (peak > maxTenants) throw new Error(`${peak} pools live at once, budget ${maxTenants}`)
    if (pools.some((pool) => pool.closedWhileLeased)) throw new Error('a pool was closed while leased')
    if (pools.some((pool) => !pool.closed)) throw new Error('a pool was left open after close')
  }), { numRuns: 150 })
  t.pass('150 random interleavings held every invariant')
})
