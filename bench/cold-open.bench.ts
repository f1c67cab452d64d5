// Cold open: the first request to a tenant whose pool is closed (connect, authenticate, first query) against the
// same request once the pool is warm, over many tenants, through the whole HTTP stack.
import { analyzeTenants, benchApp, percentile, provisionTenants, report, round, startServer } from './harness.ts'

const TENANTS = 300

export async function run (): Promise<void> {
  const server = await startServer()
  const app = await benchApp(server.masterUrl)
  try {
    const [warmUp, ...tenants] = await provisionTenants(app, TENANTS + 1)
    // Every other tenant is left with no relation cache file, as after a VACUUM of its catalogs; the rest have one,
    // as a tenant coming back after its pool closed does. Interleaved, so a noisy moment falls on both alike.
    const returning = tenants.filter((_, i) => i % 2 === 0)
    const vacuumed = tenants.filter((_, i) => i % 2 === 1)
    await analyzeTenants(server, returning.map((tenant) => tenant.slug))
    await analyzeTenants(server, vacuumed.map((tenant) => tenant.slug), { rebuildRelationCache: false })
    const get = async (token: string) => {
      const started = performance.now()
      const response = await app.inject({ method: 'GET', url: '/api/v1/notes', headers: { authorization: `Bearer ${token}` } })
      if (response.statusCode !== 200) throw new Error(`unexpected ${response.statusCode}`)
      return performance.now() - started
    }
    // Warm up the process (JIT, master caches) on a tenant that is not measured.
    for (let i = 0; i < 20; i++) await get((warmUp as { token: string }).token)
    const warm: number[] = []
    const cold: number[] = []
    const coldAfterVacuum: number[] = []
    for (const [i, tenant] of tenants.entries()) {
      app.runtime.connections.evict(tenant.slug)
      ;(i % 2 === 0 ? cold : coldAfterVacuum).push(await get(tenant.token))
      warm.push(await get(tenant.token))
    }
    const row = (name: string, values: number[]) => ({ request: name, requests: values.length, 'p50 ms': round(percentile(values, 50), 2), 'p99 ms': round(percentile(values, 99), 2), 'max ms': round(Math.max(...values), 2) })
    await report('cold-open', [
      row('warm pool (baseline)', warm),
      row('cold pool: first request', cold),
      row('cold pool, first connection since a catalog VACUUM', coldAfterVacuum),
    ], {
      target: 'cold p99 < 25 ms on loopback',
      'cold / warm at p50': `${round(percentile(cold, 50) / percentile(warm, 50), 1)}x`,
      'relation cache rebuild at p50': `+${round(percentile(coldAfterVacuum, 50) - percentile(cold, 50), 2)} ms`,
      auth: 'scram-sha-256 over TCP loopback',
    })
  } finally {
    await app.close()
    await server.close()
  }
}
