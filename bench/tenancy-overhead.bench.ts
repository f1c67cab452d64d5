// What tenancy costs a request: GET /api/v1/notes across 50 tenants (JWT verify, tenant hook, pool lease, query in
// the tenant's database) against the same handler with no tenancy at all (no token, one static pool, one database).
import autocannon from 'autocannon'
import { drizzle } from 'drizzle-orm/postgres-js'
import postgres from 'postgres'
import { List, ListQuery } from '../src/http/schemas/common.ts'
import { NoteResponse, noteResponse, rowKeyset } from '../src/http/schemas/notes.ts'
import { pageOf } from '../src/pagination.ts'
import { createNotesRepository } from '../src/tenant-database/notes-repository.ts'
import * as tenantSchema from '../src/tenant-database/schema.ts'
import { databaseUrl } from '../src/tenant-database/admin.ts'
import { benchApp, median, provisionTenants, report, round, startServer } from './harness.ts'

const TENANTS = 50
const ROUNDS = 3
const SECONDS = 6
const CONNECTIONS = 16

export async function run (): Promise<void> {
  // 50 pools x 2 connections + the master pool must fit the server.
  const server = await startServer({ max_connections: 200 })
  // Every tenant keeps its pool: this measures the warm cost of tenancy, not pool churn (see many-tenants).
  const app = await benchApp(server.masterUrl, { POOL_MAX_TENANTS: String(TENANTS) })
  let plainSql: postgres.Sql | undefined
  try {
    const tenants = await provisionTenants(app, TENANTS)
    const first = tenants[0] as { slug: string }
    // No tenancy: the server's own login, one database, one pool (a tenant role's CONNECTION LIMIT would not fit it).
    plainSql = postgres(databaseUrl(server.masterUrl, `tenant_${first.slug}`), { max: 2, onnotice: () => {} })
    const plainDb = drizzle(plainSql, { schema: tenantSchema })
    // Built once, as the product builds a pool's repositories: its queries are prepared on first use.
    const plainNotes = createNotesRepository(plainDb)
    app.get('/bench/plain-notes', { schema: { querystring: ListQuery, response: { 200: List(NoteResponse) } } }, async (request) => {
      const { limit } = request.query as { limit: number }
      const { rows, more } = await plainNotes.list(limit)
      const { data, nextCursor } = pageOf(rows, more, rowKeyset)
      return { data: data.map(noteResponse), next_cursor: nextCursor }
    })
    for (const tenant of tenants) {
      for (let i = 0; i < 5; i++) await app.inject({ method: 'POST', url: '/api/v1/notes', headers: { authorization: `Bearer ${tenant.token}` }, payload: { title: `note ${i}`, content: 'x'.repeat(200) } })
    }
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    // Each autocannon connection is one tenant's client; requests spread over all 50 tenants.
    const requests = tenants.map((tenant) => ({ method: 'GET' as const, path: '/api/v1/notes', headers: { authorization: `Bearer ${tenant.token}` } }))
    const measure = async (tenancy: boolean) => {
      const result = await autocannon(tenancy
        ? { url: address, connections: CONNECTIONS, duration: SECONDS, requests }
        : { url: `${address}/bench/plain-notes`, connections: CONNECTIONS, duration: SECONDS })
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors: ${JSON.stringify(result.statusCodeStats)}`)
      return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 }
    }
    await measure(true)
    await measure(false)
    const ours: Array<Awaited<ReturnType<typeof measure>>> = []
    const plain: Array<Awaited<ReturnType<typeof measure>>> = []
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await measure(true))
      plain.push(await measure(false))
    }
    const oursRps = median(ours.map((r) => r.rps))
    const plainRps = median(plain.map((r) => r.rps))
    await report('tenancy-overhead', [
      { request: 'no tenancy (baseline)', 'requests/s': round(plainRps, 0), 'p50 ms': median(plain.map((r) => r.p50)), 'p99 ms': median(plain.map((r) => r.p99)), ratio: 1 },
      { request: `tenancy, ${TENANTS} tenants`, 'requests/s': round(oursRps, 0), 'p50 ms': median(ours.map((r) => r.p50)), 'p99 ms': median(ours.map((r) => r.p99)), ratio: round(oursRps / plainRps, 3) },
    ], {
      'server time per request': `${round(1000 / plainRps, 3)} ms without tenancy, ${round(1000 / oursRps, 3)} ms with it (+${round(1000 / oursRps - 1000 / plainRps, 3)} ms)`,
      tenancyIncludes: 'JWT verification, per-tenant rate limit key, tenant status look-up (cached), pool lease, a query in the tenant database',
      rounds: ROUNDS,
      secondsPerRound: SECONDS,
    })
  } finally {
    await plainSql?.end()
    await app.close()
    await server.close()
  }
}
