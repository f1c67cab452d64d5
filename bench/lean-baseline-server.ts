// The server a user would build instead of tenancy (bench/lean-baseline): Fastify, @fastify/jwt, one postgres.js pool
// of 10 to one database, the same query. Nothing of tenancy in it. Run by the bench as its own process.
// With TENANT_DATABASES=per-tenant, the same server keeps a pool of TENANT_POOL_MAX (default 2) per tenant database,
// named by the token's tid, instead: database-per-tenant with nothing else, to tell what the structure costs from
// what the product adds.
import jwt from '@fastify/jwt'
import Fastify from 'fastify'
import postgres from 'postgres'

const { DATABASE_URL, JWT_SECRET, PORT, TENANT_DATABASES, TENANT_POOL_MAX } = process.env
if (DATABASE_URL === undefined || JWT_SECRET === undefined || PORT === undefined) throw new Error('DATABASE_URL, JWT_SECRET and PORT are required')

// postgres.js defaults: prepared statements, timestamps parsed to Date (JSON.stringify writes them as ISO 8601).
const sql = postgres(DATABASE_URL, { max: 10, onnotice: () => {} })
const tenantPools = new Map<string, postgres.Sql>()
function poolFor (tenant: string): postgres.Sql {
  let pool = tenantPools.get(tenant)
  if (pool === undefined) {
    const url = new URL(DATABASE_URL as string)
    url.pathname = `/tenant_${tenant}`
    tenantPools.set(tenant, pool = postgres(url.toString(), { max: Number(TENANT_POOL_MAX ?? 2), onnotice: () => {} }))
  }
  return pool
}

const app = Fastify()
await app.register(jwt, { secret: JWT_SECRET, verify: { algorithms: ['HS256'] } })

app.get('/api/v1/notes', { onRequest: async (request) => { await request.jwtVerify() } }, async (request) => {
  const db = TENANT_DATABASES === 'per-tenant' ? poolFor((request.user as { tid: string }).tid) : sql
  const data = await db`
    select id, title, content, category_id, created_at, updated_at
    from notes order by created_at desc, id desc limit 20`
  return { data, next_cursor: null }
})
app.get('/health', async () => ({ status: 'ok' }))

process.once('SIGTERM', () => {
  const pools = [sql, ...tenantPools.values()]
  void app.close().then(() => Promise.all(pools.map((pool) => pool.end({ timeout: 5 })))).then(() => process.exit(0))
})
await app.listen({ host: '127.0.0.1', port: Number(PORT) })
