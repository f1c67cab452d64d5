// Migrating every tenant: 200 tenant databases brought from an empty schema to the latest migration by the same
// code `tenancy migrate` runs, at concurrency 1, 4 and 8 (each run starts from the same reset state).
import pLimit from 'p-limit'
import postgres from 'postgres'
import { databaseUrl } from '../src/tenant-database/admin.ts'
import { benchApp, provisionTenants, report, round, startServer } from './harness.ts'

const TENANTS = 200

export async function run (): Promise<void> {
  const server = await startServer({ max_connections: 100 })
  const app = await benchApp(server.masterUrl)
  try {
    const slugs = (await provisionTenants(app, TENANTS)).map((tenant) => tenant.slug)
    // As after a deploy that adds the schema: each database has nothing applied yet.
    const reset = () => pLimit(8).map(slugs, async (slug) => {
      const sql = postgres(databaseUrl(server.masterUrl, `tenant_${slug}`), { max: 1, onnotice: () => {} })
      await sql`drop table if exists notes, categories`
      await sql`delete from drizzle.__drizzle_migrations`
      await sql.end()
    })
    const rows: Array<Record<string, number | string>> = []
    for (const concurrency of [1, 4, 8]) {
      await reset()
      const started = performance.now()
      let failed = 0
      await pLimit(concurrency).map(slugs, async (slug) => {
        await app.runtime.migrator.migrate({ slug, serverId: app.runtime.servers.default().id }).catch(() => { failed++ })
      })
      const seconds = (performance.now() - started) / 1000
      rows.push({ concurrency, seconds: round(seconds, 2), 'tenants/s': round(TENANTS / seconds, 1), failed })
    }
    const base = rows[0]?.seconds as number
    for (const row of rows) row['speed-up vs 1'] = round(base / (row.seconds as number), 2)
    await report('migrate', rows, { tenants: TENANTS, migration: 'the full tenant schema (tables, indexes, foreign key)', cores: 2 })
  } finally {
    await app.close()
    await server.close()
  }
}
