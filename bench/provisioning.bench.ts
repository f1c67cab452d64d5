// Provisioning: POST /api/v1/tenants end to end, cloning the migrated template against creating an empty
// database and migrating it, in the same run on the same server.
import { adminToken, benchApp, PASSWORD, percentile, report, round, startServer } from './harness.ts'

const TENANTS = 20

export async function run (): Promise<void> {
  const server = await startServer()
  try {
    const rows = []
    for (const [strategy, useTemplate] of [['create then migrate (baseline)', false], ['clone template', true]] as const) {
      const app = await benchApp(server.masterUrl, {}, { useTemplate })
      try {
        const token = await adminToken(app)
        const times: number[] = []
        for (let i = 0; i < TENANTS; i++) {
          const slug = `${useTemplate ? 'clone' : 'migrate'}_${i}`
          const started = performance.now()
          const response = await app.inject({ method: 'POST', url: '/api/v1/tenants', headers: { authorization: `Bearer ${token}` }, payload: { slug, name: slug, owner: { email: `o@${slug}.test`, password: PASSWORD } } })
          if (response.statusCode !== 201) throw new Error(`${slug}: ${response.statusCode} ${response.body}`)
          times.push(performance.now() - started)
        }
        rows.push({ strategy, 'p50 ms': round(percentile(times, 50), 1), 'p95 ms': round(percentile(times, 95), 1), 'mean ms': round(times.reduce((a, b) => a + b, 0) / times.length, 1) })
      } finally {
        await app.close()
      }
    }
    const [baseline, clone] = rows as Array<{ 'p50 ms': number }>
    await report('provisioning', rows, {
      'clone / create-then-migrate at p50': round((clone?.['p50 ms'] ?? 0) / (baseline?.['p50 ms'] ?? 1), 2),
      includes: 'validation, argon2id hash of the owner password, role, database, migrations (or clone), grants, seed, owner, activation',
      tenantsPerStrategy: TENANTS,
    })
  } finally {
    await server.close()
  }
}
