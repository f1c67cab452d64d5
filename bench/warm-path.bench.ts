// Warm path: GET /api/v1/notes through JWT, the tenant hook and the TenantConnectionManager, against the same
// route answered from one static pool to the same database. Same process, same PostgreSQL, alternating rounds.
import autocannon from 'autocannon'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { List, ListQuery } from '../src/http/schemas/common.ts'
import { NoteResponse, noteResponse, rowKeyset } from '../src/http/schemas/notes.ts'
import { pageOf } from '../src/pagination.ts'
import { createNotesRepository } from '../src/tenant-database/notes-repository.ts'
import * as tenantSchema from '../src/tenant-database/schema.ts'
import { tenantRoleName, tenantRolePassword } from '../src/tenant-database/identity.ts'
import { benchApp, median, provisionTenants, report, round, startServer } from './harness.ts'

const ROUNDS = 3
const SECONDS = 6
const CONNECTIONS = 16
// Both pools together must fit the tenant role's CONNECTION LIMIT (pool size + 2), which the server enforces.
const POOL = 2

export async function run (): Promise<void> {
  const server = await startServer()
  const app = await benchApp(server.masterUrl, { POOL_MAX_CONNECTIONS_PER_TENANT: String(POOL) })
  let staticSql: postgres.Sql | undefined
  try {
    const [tenant] = await provisionTenants(app, 1)
    if (tenant === undefined) throw new Error('no tenant')

    // The baseline: the same handler, schema, JWT check and tenant status look-up, on a pool opened once for this
    // one database. What differs is exactly the TenantConnectionManager (lease, LRU, release).
    const location = await app.runtime.directory.lookup(tenant.slug)
    staticSql = postgres({
      host: location?.host,
      port: location?.port,
      database: location?.databaseName,
      username: tenantRoleName(tenant.slug),
      password: tenantRolePassword(app.config.tenantDbSecret, tenant.slug),
      max: POOL,
      onnotice: () => {},
    })
    const staticDb = drizzle(staticSql, { schema: tenantSchema })
    // Built once, as the product builds a pool's repositories: its queries are prepared on first use.
    const staticNotes = createNotesRepository(staticDb)
    app.get('/bench/static-notes', {
      preValidation: async (request) => {
        const claims = await app.authenticate(request)
        if ((await app.runtime.directory.lookup(claims.tid as string))?.status !== 'active') throw new Error('tenant not active')
      },
      schema: { querystring: ListQuery, response: { 200: List(NoteResponse) } },
    }, async (request) => {
      const { limit } = request.query as { limit: number }
      const { rows, more } = await staticNotes.list(limit)
      const { data, nextCursor } = pageOf(rows, more, rowKeyset)
      return { data: data.map(noteResponse), next_cursor: nextCursor }
    })
    // Routes can be added until the app is ready, which the first inject makes it.
    for (let i = 0; i < 20; i++) await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { authorization: `Bearer ${tenant.token}` }, payload: { title: `note ${i}`, content: 'x'.repeat(200) } })
    const address = await app.listen({ host: '127.0.0.1', port: 0 })

    const measure = async (path: string) => {
      const result = await autocannon({ url: `${address}${path}`, connections: CONNECTIONS, duration: SECONDS, headers: { authorization: `Bearer ${tenant.token}` } })
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`)
      return { rps: result.requests.average, p99: result.latency.p99 }
    }
    await measure('/api/v1/notes') // warm-up: JIT, pool, caches
    await measure('/bench/static-notes')
    const ours: Array<{ rps: number, p99: number }> = []
    const baseline: Array<{ rps: number, p99: number }> = []
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await measure('/api/v1/notes'))
      baseline.push(await measure('/bench/static-notes'))
    }
    const oursRps = median(ours.map((r) => r.rps))
    const staticRps = median(baseline.map((r) => r.rps))
    await report('warm-path', [
      { path: 'static pool (baseline)', 'requests/s': round(staticRps, 0), 'p99 ms': median(baseline.map((r) => r.p99)), ratio: 1 },
      { path: 'TenantConnectionManager', 'requests/s': round(oursRps, 0), 'p99 ms': median(ours.map((r) => r.p99)), ratio: round(oursRps / staticRps, 3) },
    ], { target: 'ratio >= 0.95', rounds: ROUNDS, secondsPerRound: SECONDS, connections: CONNECTIONS, poolSize: POOL })
  } finally {
    await staticSql?.end()
    await app.close()
    await server.close()
  }
}
