// Two PostgreSQL servers and two app instances sharing each server's connection budget: tenants spread over both
// servers, traffic over both instances. Sampled peak tenant connections per server against its budget, errors, and
// throughput against one instance serving one server's tenants, in the same run, rounds in turn.
import autocannon from 'autocannon'
import postgres from 'postgres'
import { accessToken } from '../src/auth/tokens.ts'
import { startThrowawayPostgres } from '../test/helpers/throwaway-postgres.ts'
import { adminToken, analyzeTenants, benchApp, benchAppWith, median, PASSWORD, report, round, startServer } from './harness.ts'

const TENANTS_PER_SERVER = 10
/** Tenant connections all instances together may hold on each server: small enough to bind. */
const BUDGET = 24
const ROUNDS = 3
const SECONDS = 5
const CONNECTIONS = 32

export async function run (): Promise<void> {
  const serverA = await startServer({ max_connections: 100 })
  const serverB = await startThrowawayPostgres({ max_connections: 100 })
  const one = await benchApp(serverA.masterUrl, { POOL_MAX_CONNECTIONS_PER_TENANT: '2' })
  let two: Awaited<ReturnType<typeof benchAppWith>> | undefined
  const monitors = [postgres(serverA.server.url('postgres'), { max: 1, onnotice: () => {} }), postgres(serverB.url('postgres'), { max: 1, onnotice: () => {} })]
  try {
    const admin = await adminToken(one)
    const add = await one.inject({ method: 'POST', url: '/api/v1/servers', headers: { authorization: `Bearer ${admin}` }, payload: { name: 'b', url: serverB.url('postgres'), connection_budget: BUDGET } })
    if (add.statusCode !== 201) throw new Error(`adding server b: ${add.body}`)
    await one.runtime.serverAdmin.update('default', { connectionBudget: BUDGET })
    const tenants: Array<{ server: 'default' | 'b', token: string, slug: string }> = []
    for (const server of ['default', 'b'] as const) {
      for (let i = 0; i < TENANTS_PER_SERVER; i++) {
        const slug = `two_${server === 'b' ? 'b' : 'a'}_${i}`
        const { tenant, owner } = await one.runtime.lifecycle.provision({ slug, name: slug, server, owner: { email: `o@${slug}.test`, password: PASSWORD } })
        tenants.push({ server, slug, token: accessToken(one, { ...owner, tenant: { id: tenant.id, slug } }) })
      }
    }
    await analyzeTenants(serverA, tenants.filter((tenant) => tenant.server === 'default').map((tenant) => tenant.slug))
    two = await benchAppWith(one.config)
    const addresses = [await one.listen({ host: '127.0.0.1', port: 0 }), await two.listen({ host: '127.0.0.1', port: 0 })]

    const peaks = [0, 0]
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        for (const [i, monitor] of monitors.entries()) {
          const [row] = await monitor<{ n: number }[]>`select count(*)::int as n from pg_stat_activity where usename like 'tenant\\_%'`
          peaks[i] = Math.max(peaks[i] as number, row?.n ?? 0)
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()
    const load = async (address: string, over: typeof tenants, connections: number) => {
      const requests = over.map((tenant) => ({ method: 'GET' as const, path: '/api/v1/notes', headers: { authorization: `Bearer ${tenant.token}` } }))
      const result = await autocannon({ url: address, connections, duration: SECONDS, requests })
      return { rps: result.requests.average, errors: result.errors + result.non2xx + result.timeouts, p99: result.latency.p99 }
    }
    const spread: Array<{ rps: number, errors: number, p99: number }> = []
    const single: Array<{ rps: number, errors: number, p99: number }> = []
    for (let round = 0; round < ROUNDS; round++) {
      const both = await Promise.all(addresses.map((address) => load(address, tenants, CONNECTIONS / 2)))
      spread.push({
        rps: both.reduce((n, r) => n + r.rps, 0),
        errors: both.reduce((n, r) => n + r.errors, 0),
        p99: Math.max(...both.map((r) => r.p99)),
      })
      single.push(await load(addresses[0] as string, tenants.filter((tenant) => tenant.server === 'default'), CONNECTIONS))
    }
    sampling = false
    await sampler
    const spreadRps = median(spread.map((r) => r.rps))
    const singleRps = median(single.map((r) => r.rps))
    await report('two-servers', [
      { setup: 'one instance, one server (baseline)', 'requests/s': round(singleRps, 0), 'p99 ms': median(single.map((r) => r.p99)), errors: single.reduce((n, r) => n + r.errors, 0), ratio: 1 },
      { setup: 'two instances, two servers', 'requests/s': round(spreadRps, 0), 'p99 ms': median(spread.map((r) => r.p99)), errors: spread.reduce((n, r) => n + r.errors, 0), ratio: round(spreadRps / singleRps, 3) },
    ], {
      budgetPerServer: BUDGET,
      'peak tenant connections, server A (all instances)': peaks[0],
      'peak tenant connections, server B (all instances)': peaks[1],
      'within budget': (peaks[0] as number) <= BUDGET && (peaks[1] as number) <= BUDGET,
      tenantsPerServer: TENANTS_PER_SERVER,
      rounds: ROUNDS,
      secondsPerRound: SECONDS,
      connections: CONNECTIONS,
      note: 'one machine of 2 cores runs both servers, both instances and the load: more servers add no CPU here',
    })
  } finally {
    for (const monitor of monitors) await monitor.end()
    await two?.close()
    await one.close()
    await serverB.stop()
    await serverA.close()
  }
}
