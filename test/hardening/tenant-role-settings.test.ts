// Proves settings a tenant role plants on itself (ALTER ROLE … SET) change nothing in the app's sessions with it.
import postgres from 'postgres'
import t from 'tap'
import { tenantRolePassword } from '../../src/tenant-database/identity.ts'
import { adminToken, bearer, buildAnotherApp, buildTestApp, createTenant } from '../helpers/app.ts'
import { serverUrl } from '../helpers/database.ts'

const PLANTED = {
  search_path: 'pg_temp',
  default_transaction_read_only: 'on',
  default_transaction_isolation: 'serializable',
  DateStyle: 'SQL, DMY',
  // Its offset had seconds before 1942 (+05:21:10): a session in this zone writes a 1900 timestamp as no Date can read.
  TimeZone: 'Asia/Kolkata',
}

t.test('a tenant role that rewrites its own settings still gets correct answers from its API', async (t) => {
  const app = await buildTestApp(t)
  const tenant = await createTenant(app, await adminToken(app))
  const server = new URL(serverUrl())
  const sql = postgres({
    host: server.hostname,
    port: Number(server.port),
    database: `tenant_${tenant.slug}`,
    username: `tenant_${tenant.slug}`,
    password: tenantRolePassword(app.config.tenantDbSecret, tenant.slug),
    max: 1,
    onnotice: () => {},
  })
  t.teardown(() => sql.end({ timeout: 1 }))
  for (const [name, value] of Object.entries(PLANTED)) {
    await sql.unsafe(`alter role current_user set ${name} = '${value}'`)
  }
  const [planted] = await sql<{ count: number }[]>`
    select count(*)::int as count from pg_db_role_setting s join pg_roles r on r.oid = s.setrole where r.rolname = current_user`
  t.equal(planted?.count, 1, 'the role did plant its settings')

  // Another instance opens its pools now, after the planting.
  const fresh = await buildAnotherApp(t, app)
  const headers = bearer(tenant.token)
  const created = await fresh.inject({ method: 'POST', url: '/api/v1/notes', headers, payload: { title: 'still writable' } })
  t.equal(created.statusCode, 201, `writes still work (${created.body.slice(0, 200)})`)
  t.match(created.json().created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'timestamps are still ISO 8601 in UTC')
  const listed = await fresh.inject({ method: 'GET', url: '/api/v1/notes', headers })
  t.equal(listed.statusCode, 200)
  t.equal(listed.json().data[0]?.created_at, created.json().created_at, 'and read back the same')

  // A note dated 1900 (imported by the tenant's own role, say) still lists, and a cursor pages to it.
  await sql`insert into notes (title, created_at, updated_at) values ('old', '1900-01-01 00:00:00+00', '1900-01-01 00:00:00+00')`
  const first = await fresh.inject({ method: 'GET', url: '/api/v1/notes?limit=1', headers })
  t.equal(first.statusCode, 200)
  const withOld = await fresh.inject({ method: 'GET', url: `/api/v1/notes?limit=1&cursor=${first.json().next_cursor}`, headers })
  t.equal(withOld.statusCode, 200, `a note of 1900 lists (${withOld.body.slice(0, 200)})`)
  t.equal(withOld.json().data[0]?.created_at, '1900-01-01T00:00:00.000Z')
})
