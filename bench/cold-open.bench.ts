// Cold open: the first request to a tenant whose pool is closed (connect, authenticate, first query) against the
// same request once the pool is warm, over many tenants, through the whole HTTP stack.
import { analyzeTenants, benchApp, percentile, provisionTenants, report, round, startServer } from './harness.ts'

const TENANTS = 151

export async function run (): Promise<void> {
  const server = await startServer()
  const app = await benchApp(server.masterUrl)
  try {
    const tenants = await provisionTenants(app, TENANTS)
    await analyzeTenants(server, tenants.map((tenant) => tenant.slug))
    const cold: number[] = []
    const warm: number[] = []
    const get = async (token: string) => {
      const started = performance.now()
      const response = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: { authorization: `Bearer ${token}` } })
      if (response.statusCode !== 200) throw new Error(`unexpected ${response.statusCode}`)
      return performance.now() - started
    }
    // Warm up the process (JIT, master caches) on a tenant that is not measured.
    for (let i = 0; i < 20; i++) await get((tenants[0] as { token: string }).token)
    for (const tenant of tenants.slice(1)) {
      app.tenantConnections.evict(tenant.slug)
      cold.push(await get(tenant.token))
      warm.push(await get(tenant.token))
    }
    const row = (name: string, values: number[]) => ({ request: name, 'p50 ms': round(percentile(values, 50), 2), 'p99 ms': round(percentile(values, 99), 2), 'max ms': round(Math.max(...values), 2) })
    await report('cold-open', [row('warm pool (baseline)', warm), row('cold pool: first request', cold)], {
      target: 'cold p99 < 25 ms on loopback',
      'cold / warm at p50': `${round(percentile(cold, 50) / percentile(warm, 50), 1)}x`,
      tenants: TENANTS - 1,
      auth: 'scram-sha-256 over TCP loopback',
    })
  } finally {
    await app.close()
    await server.close()
  }
}
